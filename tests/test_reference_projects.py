"""Issue 24 on real projects: zope.interface 8.7's unchanged sdist (src layout, the `zope` namespace,
a custom build_ext) once assembled into a wheel without its Python modules. Its fat wheel now holds
every non-binary member of the wheel its own backend builds, and its own test suite passes on it on
Linux and on python.org CPython under Wine, with the compiled module in use."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, install_into
from projectwheel import assert_same_non_binary_members
from winepython import CACHE, WindowsPython, pip_download

from fatpack.pipeline import Options, assemble
from fatpack.targets import PythonAbi, parse_target

ZOPE = "zope.interface==8.7"
HOST_ABI = f"cp3{sys.version_info[1]}"
# zope.interface's own suite, run from the installed package; it reports whether the C module is used
SUITE = (
    "import os, unittest, zope.interface as z, zope.interface._zope_interface_coptimizations as c; "
    "top = os.path.dirname(os.path.dirname(os.path.dirname(z.__file__))); "
    "r = unittest.TextTestRunner(verbosity=0).run(unittest.defaultTestLoader.discover(os.path.dirname(z.__file__), top_level_dir=top)); "
    "print(r.testsRun, len(r.failures), len(r.errors), c.__file__)"
)


@pytest.fixture(scope="module")
def zope(tmp_path_factory) -> tuple[Path, Path]:
    """(the fat wheel from the unchanged sdist, the wheel its own backend builds with `python -m build`)."""
    work = tmp_path_factory.mktemp("zope")
    sdist = pip_download(ZOPE, CACHE / "sdists" / ZOPE, sdist=True)
    fat = assemble(
        Options(
            sdist,
            work / "fat",
            targets=(parse_target("linux_x86_64"), parse_target("win_amd64")),
            abis=(PythonAbi.parse(HOST_ABI),),
        )
    )
    with tarfile.open(sdist) as tar:
        tar.extractall(work / "src", filter="data")
    (source,) = (work / "src").iterdir()
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(work / "own"), str(source)],
        check=True,
        capture_output=True,
    )
    (own,) = (work / "own").glob("*.whl")
    return fat, own


@pytest.mark.compile
def test_zope_interface_fat_wheel_holds_what_its_own_wheel_does(zope):
    fat, own = zope
    assert_same_non_binary_members(fat, own)


@pytest.mark.compile
def test_zope_interface_own_tests_pass_on_linux(zope, tmp_path):
    fat, _ = zope
    site = install_into(fat, tmp_path / "site")
    deps = (
        tmp_path / "deps"
    )  # the suite's own test requirement, beside (a namespace shared with zope.interface)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--target", str(deps), "zope.testing"], check=True
    )
    code = f"import sys; sys.path[:0] = [{str(site)!r}, {str(deps)!r}]; " + SUITE
    proc = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    runs, failures, errors, binary = proc.stdout.split()
    assert int(runs) > 1000 and (failures, errors) == ("0", "0"), proc.stderr[-3000:]
    assert "/_fatpack_zope_interface/linux_x86_64/" in binary


@pytest.mark.compile
@pytest.mark.wine
def test_zope_interface_own_tests_pass_under_wine(zope, tmp_path):
    fat, _ = zope
    python = WindowsPython(f"3.{sys.version_info[1]}", tmp_path / "py")
    python.pip_install(fat)
    testing = pip_download("zope.testing==6.2", CACHE / "wheels" / "zope.testing-6.2", sdist=False)
    python.pip_install(testing)
    runs, failures, errors, binary = python.check("-c", SUITE).split()
    assert int(runs) > 1000 and (failures, errors) == ("0", "0")
    assert "\\_fatpack_zope_interface\\win_amd64\\" in binary


@pytest.mark.compile
@pytest.mark.parametrize("example", ["hello", "mixed"])
def test_bundled_examples_hold_what_their_own_wheel_does(example, tmp_path):
    """The examples declare their extensions in [tool.fatpack] (fatpack builds them; no reference wheel
    is made), and have no [build-system]: their own backend is PEP 517's default, setuptools, whose
    wheel holds the pure files. setuptools' legacy dist-info/top_level.txt is its own, not a file of
    the project, and is the one difference allowed."""
    project = tmp_path / example
    shutil.copytree(REPO / "examples" / example, project, ignore=shutil.ignore_patterns("dist", "build"))
    fat = assemble(Options(project, tmp_path / "fat", targets=(parse_target("linux_x86_64"),)))
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "own"), str(project)],
        check=True,
        capture_output=True,
    )
    (own,) = (tmp_path / "own").glob("*.whl")
    legacy = tmp_path / "own-without-top-level" / own.name
    legacy.parent.mkdir()
    with zipfile.ZipFile(own) as source, zipfile.ZipFile(legacy, "w") as copy:
        for name in source.namelist():
            if not name.endswith(".dist-info/top_level.txt"):
                copy.writestr(name, source.read(name))
    assert_same_non_binary_members(fat, legacy)


# more of issue 23's projects, as their sdists are: what each shows
OWN_BUILD_SDISTS = {
    # setup.py imports setuptools_scm, named in build-system.requires (fatpack's own Python lacks it)
    "ujson==6.1.0": ("import ujson; print(ujson.dumps([1, 'a']), ujson.__file__)", '[1,"a"]'),
    # a .pth installed from the wheel's purelib, and a custom build_ext
    "coverage==7.17.5": ("import coverage.tracer as t; print(t.CTracer.__name__, t.__file__)", "CTracer"),
}


@pytest.mark.compile
@pytest.mark.parametrize("requirement", sorted(OWN_BUILD_SDISTS))
def test_real_sdists_hold_what_their_own_wheel_does(requirement, tmp_path):
    sdist = pip_download(requirement, CACHE / "sdists" / requirement, sdist=True)
    fat = assemble(Options(sdist, tmp_path / "fat", targets=(parse_target("linux_x86_64"),)))
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path / "src", filter="data")
    (source,) = (tmp_path / "src").iterdir()
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "own"), str(source)],
        check=True,
        capture_output=True,
    )
    (own,) = (tmp_path / "own").glob("*.whl")
    assert_same_non_binary_members(fat, own)
    probe, expected = OWN_BUILD_SDISTS[requirement]
    site = install_into(fat, tmp_path / "site")
    proc = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); " + probe],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert expected in proc.stdout and "/linux_x86_64/" in proc.stdout


CP311 = PythonAbi(11, abi3=False)

# issue 23 item 5: sdists whose C code is written for MSVC on Windows, built by zig for win_amd64
MSVC_STYLE_SDISTS = {
    # <Windows.h> in mixed case, and _getpid() called without <process.h>
    "setproctitle==1.3.8": (
        "import sys, setproctitle as s; s.setproctitle('fatpack-title'); "
        "print(s.getproctitle(), sys.modules['setproctitle._setproctitle'].__file__)",
        "fatpack-title",
    ),
    # <Windows.h> in mixed case
    "zstandard==0.25.0": (
        "import zstandard as z; c = z.ZstdCompressor().compress(b'x' * 100); "
        "print(z.ZstdDecompressor().decompress(c, max_output_size=1000) == b'x' * 100, "
        "__import__('sys').modules['zstandard.backend_c'].__file__)",
        "True",
    ),
}


@pytest.mark.compile
@pytest.mark.wine
@pytest.mark.network
@pytest.mark.parametrize("requirement", sorted(MSVC_STYLE_SDISTS))
def test_msvc_style_sdists_run_on_windows_python(requirement, tmp_path):
    sdist = pip_download(requirement, CACHE / "sdists" / requirement, sdist=True)
    wheel = assemble(Options(sdist, tmp_path / "fat", targets=(parse_target("win_amd64"),), abis=(CP311,)))
    python = WindowsPython("3.11", tmp_path / "py")
    python.pip_install(wheel)
    probe, expected = MSVC_STYLE_SDISTS[requirement]
    out = python.check("-c", probe).split()
    # the project's own .pyd (the cross build), at its install-relative path below the loader
    assert (
        out[0] == expected and out[1].endswith(".cp311-win_amd64.pyd") and "\\_fatpack\\win_amd64\\" in out[1]
    ), out
