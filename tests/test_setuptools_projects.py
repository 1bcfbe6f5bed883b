"""Existing setuptools projects, unchanged: setup.py (read in a subprocess) and [tool.setuptools]
ext-modules, their packages and metadata; an sdist as input; the features fatpack refuses."""

from __future__ import annotations

import shutil
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import install_into, run_on_path
from winepython import CACHE, WindowsPython, pip_download

from fatpack.cli import main
from fatpack.config import load_project
from fatpack.errors import ConfigError
from fatpack.packages import find_package_files
from fatpack.pipeline import Options, assemble
from fatpack.targets import PythonAbi

PROJECTS = Path(__file__).parent / "projects"
HOST_ABI = PythonAbi(sys.version_info[1], abi3=False)


def copy_project(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECTS / name, tmp_path / name))


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_setup_py_extensions_packages_and_metadata(tmp_path):
    root = copy_project("setuppy_demo", tmp_path)
    before = snapshot(root)
    config = load_project(root)
    (ext,) = config.extensions
    assert ext.name == "spam._spam"
    assert [s.relative_to(root).as_posix() for s in ext.sources] == [
        "src/spam/_spammodule.c",
        "src/spam/helpers.c",
    ]
    assert [d.relative_to(root).as_posix() for d in ext.include_dirs] == ["src/spam/include"]
    assert ext.define_macros == (("SPAM_GREETING", '"spam"'),)  # setup.py ran on Linux: no SPAM_WINDOWS
    assert (config.name, config.version) == ("spam-demo", "2.1.0")
    assert config.abis == (HOST_ABI,)  # no py_limited_api: built for the running CPython, as setuptools does
    assert [f.archive_name for f in find_package_files(config)] == ["spam/__init__.py", "spam/data/words.txt"]
    assert snapshot(root) == before  # reading setup.py wrote nothing into the project


def test_tool_setuptools_ext_modules(tmp_path):
    root = copy_project("setuptools_toml", tmp_path)
    config = load_project(root)
    (ext,) = config.extensions
    assert ext.name == "toml_demo._fast" and ext.define_macros == ()  # Py_LIMITED_API comes from the ABI
    assert config.abis == (PythonAbi(8, abi3=True),)
    assert [f.archive_name for f in find_package_files(config)] == ["toml_demo/__init__.py"]


def test_cythonize_is_intercepted_and_writes_nothing(tmp_path):
    root = tmp_path / "cy"
    (root / "cy").mkdir(parents=True)
    (root / "cy/__init__.py").write_text("")
    (root / "cy/fast.pyx").write_text("def f(): return 1\n")
    (root / "setup.py").write_text(
        "from setuptools import setup\nfrom Cython.Build import cythonize\n"
        "setup(name='cy', version='1', packages=['cy'], ext_modules=cythonize('cy/*.pyx'))\n"
    )
    config = load_project(root)
    assert [(e.name, [s.name for s in e.sources]) for e in config.extensions] == [("cy.fast", ["fast.pyx"])]
    assert config.abis == (HOST_ABI,)
    assert sorted(p.name for p in (root / "cy").iterdir()) == ["__init__.py", "fast.pyx"]


UNSUPPORTED = {
    "cmdclass build_ext": (
        "from setuptools.command.build_ext import build_ext\n"
        "setup(name='x', version='1', ext_modules=[Extension('x', ['x.c'])], cmdclass={'build_ext': build_ext})",
        "setup.py replaces build_ext (cmdclass)",
    ),
    "build_clib": (
        "setup(name='x', version='1', ext_modules=[Extension('x', ['x.c'])], libraries=[('foo', {'sources': ['x.c']})])",
        "setup.py builds C libraries (foo) with libraries=",
    ),
    "data_files": (
        "setup(name='x', version='1', ext_modules=[Extension('x', ['x.c'])], data_files=[('etc', ['x.c'])])",
        "setup.py uses data_files, which fatpack does not support",
    ),
    "extra_objects": (
        "setup(name='x', version='1', ext_modules=[Extension('x', ['x.c'], extra_objects=['a.o'])])",
        "setup.py ext_modules 'x': extra_objects is not supported by fatpack",
    ),
    "package_dir mapping": (
        "setup(name='x', version='1', ext_modules=[Extension('x', ['x.c'])], package_dir={'x': 'lib'})",
        "setup.py package_dir maps 'x'",
    ),
    "computed version": (
        "setup(name='x', ext_modules=[Extension('x', ['x.c'])])",
        "setup.py passes no version to setup()",
    ),
    "no ext_modules": ("setup(name='x', version='1')", "setup.py declares no ext_modules"),
    "setup.py raises": (
        "raise RuntimeError('needs numpy at build time')",
        "RuntimeError: needs numpy at build time",
    ),
}


@pytest.mark.parametrize("case", sorted(UNSUPPORTED))
def test_unsupported_setuptools_features_are_named(case, tmp_path, capsys):
    body, message = UNSUPPORTED[case]
    (tmp_path / "x.c").write_text("")
    (tmp_path / "setup.py").write_text("from setuptools import setup, Extension\n" + body + "\n")
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert main(["assemble", str(tmp_path), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and not (tmp_path / "out").exists()


# --- built, installed and imported -----------------------------------------------------------------


@pytest.fixture(scope="module")
def spam_sdist(tmp_path_factory) -> Path:
    """setuppy_demo as an sdist: spam-demo-2.1.0/ with PKG-INFO, tarred."""
    work = tmp_path_factory.mktemp("sdist")
    top = work / "spam_demo-2.1.0"
    shutil.copytree(PROJECTS / "setuppy_demo", top)
    (top / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: spam-demo\nVersion: 2.1.0\n")
    sdist = work / "spam_demo-2.1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tar:
        tar.add(top, arcname=top.name)
    return sdist


@pytest.fixture(scope="module")
def spam_wheel(spam_sdist, tmp_path_factory) -> Path:
    """Assembled from the sdist, as `fatpack assemble spam_demo-2.1.0.tar.gz` does."""
    return assemble(Options(project_dir=spam_sdist, out_dir=tmp_path_factory.mktemp("spam-dist")))


@pytest.mark.slow
def test_sdist_input_gives_the_same_wheel_as_the_directory(spam_wheel, tmp_path):
    from_dir = assemble(
        Options(project_dir=copy_project("setuppy_demo", tmp_path), out_dir=tmp_path / "dist")
    )
    assert from_dir.name == spam_wheel.name == "spam_demo-2.1.0-py3-none-any.whl"
    with zipfile.ZipFile(from_dir) as a, zipfile.ZipFile(spam_wheel) as b:
        assert a.namelist() == b.namelist()


@pytest.mark.slow
def test_setup_py_project_imports_on_linux(spam_wheel, tmp_path):
    site = install_into(spam_wheel, tmp_path / "site")
    proc = run_on_path(
        site, "import spam; print(spam.sum_list([1, 2, 39]), spam.greeting(), spam.platform(), spam.WORDS)"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["42", "spam", "posix", "['eggs',", "'ham']"]


@pytest.mark.slow
@pytest.mark.wine
def test_setup_py_project_imports_on_windows_python(spam_wheel, tmp_path):
    version = f"3.{sys.version_info[1]}"  # the payload is version-specific: the host's CPython
    python = WindowsPython(version, tmp_path / "py")
    python.pip_install(spam_wheel)
    out = python.check(
        "-c",
        "import spam, spam._spam as s; print(spam.sum_list([1, 2, 39]), spam.greeting(), spam.platform(), s.__file__)",
    )
    total, greeting, platform, file = out.split()
    assert (total, greeting, platform) == ("42", "spam", "windows")
    assert file.endswith(rf"\spam\_fatpack\win_amd64\spam._spam.cp3{sys.version_info[1]}.pyd")


# --- a real project from PyPI, unchanged -----------------------------------------------------------

BITARRAY_PROBE = (
    "import bitarray, bitarray._bitarray as b; r = bitarray.test(verbosity=0); "
    "print('RESULT', r.testsRun, r.wasSuccessful(), b.__file__)"
)


@pytest.fixture(scope="module")
def bitarray_wheel(tmp_path_factory) -> Path:
    """bitarray 3.8.0's sdist from PyPI (setup.py, two C extensions, no fatpack config), assembled."""
    sdist = pip_download("bitarray==3.8.0", CACHE / "bitarray-3.8.0-sdist", sdist=True)
    return assemble(Options(project_dir=sdist, out_dir=tmp_path_factory.mktemp("bitarray")))


def bitarray_result(output: str) -> list[str]:
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return line.split()[1:]


@pytest.mark.slow
def test_real_sdist_passes_its_own_tests_on_linux(bitarray_wheel, tmp_path):
    site = install_into(bitarray_wheel, tmp_path / "site")
    proc = run_on_path(site, BITARRAY_PROBE)
    assert proc.returncode == 0, proc.stderr
    count, ok, file = bitarray_result(proc.stdout)
    assert int(count) > 500 and ok == "True"
    assert file.endswith(f"/bitarray/_fatpack/linux_x86_64/bitarray._bitarray.cp3{sys.version_info[1]}.so")


@pytest.mark.slow
@pytest.mark.wine
def test_real_sdist_passes_its_own_tests_on_windows_python(bitarray_wheel, tmp_path):
    python = WindowsPython(f"3.{sys.version_info[1]}", tmp_path / "py")
    python.pip_install(bitarray_wheel)
    count, ok, file = bitarray_result(python.check("-c", BITARRAY_PROBE))
    assert int(count) > 500 and ok == "True"
    assert file.endswith(rf"\bitarray\_fatpack\win_amd64\bitarray._bitarray.cp3{sys.version_info[1]}.pyd")
