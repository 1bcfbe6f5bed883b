"""Each target built by the project's own setuptools build, cross-compiling (fatpack/crossbuild.py,
fatpack/crossenv.py): setup.py choosing sources by platform, a custom build_ext, build_clib and a cffi
module, each imported and called on Linux, under Wine and (one) under qemu."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from conftest import install_into, run_on_path
from qemupython import Arm64Python
from winepython import CACHE, WindowsPython, pip_wheel, windows_path

from fatpack.crossbuild import drives_backend, failed_step, meaningful_line, serves
from fatpack.crossenv import ANSWERS_FILE, SITE_DIR, extension_suffix, host_platform, soabi, target_answers
from fatpack.errors import BuildError, ConfigError
from fatpack.pipeline import Options, assemble
from fatpack.targets import TARGETS, PythonAbi

PROJECTS = Path(__file__).parent / "projects"
MINOR = sys.version_info[1]
HOST_ABI = PythonAbi(MINOR, abi3=False)
LINUX, WINDOWS = TARGETS["linux_x86_64"], TARGETS["win_amd64"]
CFFI = "cffi==2.1.1"

# project: (probe printing one line, what the line is on Linux, what it is on Windows)
FIXTURES = {
    "xplatform": (
        "import xplat, xplat._impl as m; print(*xplat.describe(), hex(xplat.net_order(1)), m.__file__)",
        "linux Linux x86_64 0x1000000",
        "windows Windows amd64 0x1000000",
    ),
    "buildextdemo": (
        "import bxt._flag as m; print(m.flag(), m.__file__)",
        "linux-x86_64",
        "win-amd64",
    ),
    "clibdemo": ("import clibdemo._use as m; print(m.add(1, 2), m.__file__)", "1003", "1003"),
    "cffidemo": (
        "from cffidemo._ops import lib; import cffidemo._ops as m; print(lib.ops_scale(6), m.__file__)",
        "42",
        "42",
    ),
}


@pytest.fixture(scope="module")
def cross_wheels(tmp_path_factory) -> dict[str, Path]:
    """Each fixture assembled for linux_x86_64 + win_amd64 at the host's CPython."""
    out = tmp_path_factory.mktemp("cross")
    return {
        name: assemble(Options(PROJECTS / name, out / name, targets=(LINUX, WINDOWS), abis=(HOST_ABI,)))
        for name in FIXTURES
    }


def cffi_wheel(platform: str) -> Path:
    """cffi's own wheel (its _cffi_backend) for the platform, from PyPI once."""
    dest = CACHE / "wheels" / f"{CFFI}-{platform}"
    found = sorted(dest.glob("*.whl"))
    if found:
        return found[0]
    where = ["--platform", "win_amd64", "--python-version", f"3.{MINOR}"] if platform == "win" else []
    command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:"]
    subprocess.run([*command, *where, CFFI, "-d", str(dest)], check=True)
    return sorted(dest.glob("*.whl"))[0]


@pytest.mark.compile
@pytest.mark.network
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_imports_on_linux(cross_wheels, name, tmp_path):
    probe, expected, _ = FIXTURES[name]
    site = install_into(cross_wheels[name], tmp_path / "site")
    if name == "cffidemo":
        install_into(cffi_wheel("linux"), site)
    proc = run_on_path(site, probe)
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.strip()
    assert line.startswith(expected + " ") and "/_fatpack/linux_x86_64/" in line, line


@pytest.mark.compile
@pytest.mark.wine
@pytest.mark.network
def test_fixtures_import_under_wine(cross_wheels, tmp_path):
    """The Windows payloads are what setup.py builds on Windows: the Windows source with ws2_32, the
    build_ext define saying win-amd64, the C library, the cffi module."""
    python = WindowsPython(f"3.{MINOR}", tmp_path / "py")
    pip = windows_path(pip_wheel(python.version)) + "\\pip"
    for wheel in [cffi_wheel("win"), *cross_wheels.values()]:  # cffi's pycparser is not needed to import
        python.check(pip, "install", "--no-index", "--no-deps", windows_path(wheel))
    for name in sorted(cross_wheels):
        probe, _, expected = FIXTURES[name]
        line = python.check("-c", probe).strip().splitlines()[-1]
        assert line.startswith(expected + " ") and "\\_fatpack\\win_amd64\\" in line, (name, line)


@pytest.mark.compile
def test_the_windows_payload_is_built_from_the_windows_source(cross_wheels):
    """psutil's case: setup.py picks its sources by os.name; the win_amd64 payload is a PE file
    importing ws2_32.dll (named only in setup.py's Windows branch) and pythonXY.dll."""
    import pefile

    with zipfile.ZipFile(cross_wheels["xplatform"]) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".pyd")]
        pe = pefile.PE(data=archive.read(name))
    imported = {entry.dll.decode().lower() for entry in pe.DIRECTORY_ENTRY_IMPORT}
    assert {"ws2_32.dll", f"python3{MINOR}.dll"} <= imported
    assert name.endswith(f"/win_amd64/cp3{MINOR}/xplat/_impl.cp3{MINOR}-win_amd64.pyd")


@pytest.mark.compile
@pytest.mark.qemu
def test_fixture_imports_on_linux_aarch64_under_qemu(tmp_path):
    wheel = assemble(
        Options(
            PROJECTS / "xplatform", tmp_path / "out", targets=(TARGETS["linux_aarch64"],), abis=(HOST_ABI,)
        )
    )
    site = install_into(wheel, tmp_path / "site")
    proc = Arm64Python().run(
        "import xplat, xplat._impl as m; print(*xplat.describe(), hex(xplat.net_order(1)), m.__file__)", site
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("linux Linux aarch64 0x1000000 ") and "/linux_aarch64/" in proc.stdout


@pytest.mark.compile
def test_a_target_that_fails_to_compile_is_one_line_naming_it(tmp_path):
    root = Path(shutil.copytree(PROJECTS / "xplatform", tmp_path / "p"))
    (root / "csrc" / "impl_windows.c").write_text("#include <no_such_header.h>\n")
    with pytest.raises(BuildError) as caught:
        assemble(Options(root, tmp_path / "out", targets=(LINUX, WINDOWS), abis=(HOST_ABI,)))
    message = str(caught.value)
    assert message.startswith("win_amd64: the project's own build failed cross-compiling: ")
    assert "'no_such_header.h' file not found" in message and "\n" not in message
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


@pytest.mark.compile
def test_an_abi_the_project_does_not_build_is_named(tmp_path):
    other = PythonAbi(MINOR + 1, abi3=False)
    with pytest.raises(
        ConfigError, match=rf"^linux_x86_64: {other.tag} was asked for, but the project's own"
    ):
        assemble(Options(PROJECTS / "buildextdemo", tmp_path / "out", targets=(LINUX,), abis=(other,)))


# --- unit: the cross environment, the backend check, error lines ------------------------------------


def test_target_variables():
    assert extension_suffix(WINDOWS, 11) == ".cp311-win_amd64.pyd"
    assert extension_suffix(TARGETS["linux_aarch64"], 12) == ".cpython-312-aarch64-linux-gnu.so"
    assert extension_suffix(TARGETS["musllinux_x86_64"], 11) == ".cpython-311-x86_64-linux-musl.so"
    assert soabi(WINDOWS, 11) == "cp311-win_amd64" and soabi(LINUX, 11) == "cpython-311-x86_64-linux-gnu"
    names = ("linux_aarch64", "win_amd64", "musllinux_x86_64", "macosx_arm64", "macosx_x86_64")
    assert [host_platform(TARGETS[t]) for t in names] == [
        "linux-aarch64",
        "win-amd64",
        "musllinux_1_2-x86_64",
        "macosx-11.0-arm64",
        "macosx-10.9-x86_64",
    ]


def test_abi3_serves_every_version_from_its_floor():
    assert serves(PythonAbi(8, abi3=True), PythonAbi(11, abi3=False))
    assert serves(PythonAbi(11, abi3=False), PythonAbi(11, abi3=False))
    assert not serves(PythonAbi(11, abi3=False), PythonAbi(12, abi3=False))
    assert not serves(PythonAbi(12, abi3=True), PythonAbi(11, abi3=False))


@pytest.mark.parametrize(
    ("backend", "name"),
    [("mesonpy", "meson-python"), ("scikit_build_core.build", "scikit-build-core"), ("maturin", "maturin")],
)
def test_a_backend_fatpack_cannot_drive_is_refused_in_one_line(backend, name, tmp_path):
    with pytest.raises(ConfigError, match=rf"^{name} projects cannot be cross-built by fatpack yet"):
        drives_backend(tmp_path, {"build-system": {"build-backend": backend}})


def test_setuptools_and_in_tree_backends_wrapping_it_are_driven(tmp_path):
    assert drives_backend(tmp_path, {})
    assert drives_backend(tmp_path, {"build-system": {"build-backend": "setuptools.build_meta:__legacy__"}})
    package = tmp_path / "packaging" / "pep517_backend"  # frozenlist's layout
    package.mkdir(parents=True)
    (package / "hooks.py").write_text("from ._backend import *\n")
    (package / "_backend.py").write_text("from setuptools.build_meta import *\n")
    in_tree = {"build-backend": "pep517_backend.hooks", "backend-path": ["packaging"]}
    assert drives_backend(tmp_path, {"build-system": in_tree})
    (package / "_backend.py").write_text("def build_wheel(*args): ...\n")
    assert not drives_backend(tmp_path, {"build-system": in_tree})  # fatpack compiles what it declares


def test_the_meaningful_line_is_the_compiler_error():
    output = textwrap.dedent(
        """\
        running build_ext
        x.c:3:10: fatal error: 'Winsvc.h' file not found
        1 error generated.
        error: command '/tmp/zig-cc' failed with exit code 1
        """
    )
    assert meaningful_line(output) == "x.c:3:10: fatal error: 'Winsvc.h' file not found"
    assert (
        meaningful_line("a\nValueError: bad\nerror: command 'x' failed with exit code 1\n")
        == "ValueError: bad"
    )


def test_the_failed_step_says_whether_setup_py_or_the_compiler_stopped():
    setup_py = (
        "Traceback (most recent call last):\n  File ...\nModuleNotFoundError: No module named '_winapi'\n"
    )
    assert (
        failed_step(setup_py, WINDOWS)
        == "running setup.py as on Windows (win_amd64's sys.platform and os.name)"
    )
    compiled = "running bdist_wheel\nrunning build_ext\nx.c:1:1: error: nope\n"
    assert failed_step(compiled, WINDOWS) == "cross-compiling"


def test_setup_py_sees_the_target_only_while_its_top_level_code_runs(tmp_path):
    """The sitecustomize: while setup.py's code runs, sys.platform, os.name, platform.system(),
    sys.getwindowsversion() and sys.version's compiler answer as Windows and pathlib.Path still makes PosixPath; inside setup()
    and afterwards the real answers are back."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copyfile(SITE_DIR / "sitecustomize.py", site / "sitecustomize.py")
    (site / ANSWERS_FILE).write_text(json.dumps(target_answers(WINDOWS)))
    project = tmp_path / "p"
    project.mkdir()
    (project / "setup.py").write_text(
        textwrap.dedent(
            """\
            import json, os, pathlib, platform, sys
            import setuptools
            from setuptools._distutils import ccompiler
            top = [sys.platform, os.name, platform.system(), sys.getwindowsversion()[0],
                   type(pathlib.Path(".")).__name__, ccompiler.new_compiler().compiler_type,
                   "64 bit" in sys.version, sys.version.split()[0] == platform.python_version()]
            def record(**kwargs):
                inside = [sys.platform, os.name, platform.system(), "64 bit" in sys.version]
                pathlib.Path("seen.json").write_text(json.dumps({"top": top, "setup": inside}))
            setuptools._distutils.core.setup = record
            setuptools.setup()
            """
        )
    )
    code = (
        "import json, os, platform, sys; from setuptools.build_meta import _BACKEND; _BACKEND.run_setup(); "
        "print(json.dumps([sys.platform, os.name, platform.system(), hasattr(sys, 'getwindowsversion'), "
        "'MSC' in sys.version]))"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((project / "seen.json").read_text()) == {
        # zig, not MSVC (zstandard's probe); greenlet's `'64 bit' in sys.version` picks its MASM object
        "top": ["win32", "nt", "Windows", 10, "PosixPath", "unix", True, True],
        "setup": ["linux", "posix", "Linux", False],
    }
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == ["linux", "posix", "Linux", False, False]


@pytest.mark.compile
def test_a_limited_api_module_for_windows_is_a_pyd_linking_python3_dll(tmp_path):
    """Without isolation (this interpreter's setuptools, older than 72 here, which names abi3 modules
    from importlib's suffixes): the Windows module is still `X.pyd`, linked to python3.dll only."""
    import pefile

    root = Path(shutil.copytree(PROJECTS / "buildextdemo", tmp_path / "p"))
    setup = root / "setup.py"
    setup.write_text(
        setup.read_text().replace(
            'Extension("bxt._flag", ["src/bxt/_flag.c"])',
            'Extension("bxt._flag", ["src/bxt/_flag.c"], py_limited_api=True, '
            'define_macros=[("Py_LIMITED_API", "0x03080000")])',
        )
    )
    (root / "setup.cfg").write_text("[bdist_wheel]\npy_limited_api = cp38\n")
    wheel = assemble(Options(root, tmp_path / "out", targets=(WINDOWS,), isolation=False))
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if "/win_amd64/" in n and n.endswith((".pyd", ".so"))]
        pe = pefile.PE(data=archive.read(name))
    assert name.endswith("/win_amd64/abi3/bxt/_flag.pyd")
    assert {
        e.dll.decode().lower() for e in pe.DIRECTORY_ENTRY_IMPORT if e.dll.lower().startswith(b"python")
    } == {"python3.dll"}


@pytest.mark.compile
def test_an_optional_extension_that_fails_for_a_target_is_named(tmp_path):
    """setproctitle's pattern: setup.py retries without the extension when it fails to build; the
    target's wheel is then pure, and the error says why (the compiler's line)."""
    root = Path(shutil.copytree(PROJECTS / "buildextdemo", tmp_path / "p"))
    (root / "src" / "bxt" / "_flag.c").write_text("#ifdef _WIN32\n#include <NoSuchWindows.h>\n#endif\n")
    (root / "setup.py").write_text(
        textwrap.dedent(
            """\
            from setuptools import Extension, setup
            try:
                setup(packages=["bxt"], package_dir={"": "src"},
                      ext_modules=[Extension("bxt._flag", ["src/bxt/_flag.c"])])
            except SystemExit:
                setup(packages=["bxt"], package_dir={"": "src"})
            """
        )
    )
    with pytest.raises(BuildError) as caught:
        assemble(Options(root, tmp_path / "out", targets=(WINDOWS,), abis=(HOST_ABI,)))
    assert str(caught.value).startswith("win_amd64: the project's own build made no extension module for it")
    assert str(caught.value).endswith("fatal error: 'NoSuchWindows.h' file not found")


@pytest.mark.compile
def test_setup_py_failing_as_on_the_target_is_one_line_naming_the_step(tmp_path):
    root = Path(shutil.copytree(PROJECTS / "xplatform", tmp_path / "p"))
    setup = root / "setup.py"
    setup.write_text(
        setup.read_text().replace(
            'if os.name == "nt":\n', 'if os.name == "nt":\n    raise RuntimeError("needs the Windows SDK")\n'
        )
    )
    with pytest.raises(BuildError) as caught:
        assemble(Options(root, tmp_path / "out", targets=(LINUX, WINDOWS), abis=(HOST_ABI,)))
    assert str(caught.value) == (
        "win_amd64: the project's own build failed running setup.py as on Windows "
        "(win_amd64's sys.platform and os.name): RuntimeError: needs the Windows SDK"
    )


def test_assembling_a_meson_python_project_is_refused_before_any_environment_is_made(tmp_path, capsys):
    from fatpack.cli import main

    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["meson-python"]\nbuild-backend = "mesonpy"\n'
        '[project]\nname = "m"\nversion = "1"\n'
    )
    assert main(["assemble", str(tmp_path), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: meson-python projects cannot be cross-built by fatpack yet")
    assert err.count("\n") == 1 and not (tmp_path / "out").exists()


def test_the_meaningful_line_names_a_clash_with_mingw_headers_and_the_way_out():
    # psutil 7.2.2's ntextapi.h defines what the Windows SDK's winternl.h lacks and mingw-w64's has
    output = textwrap.dedent(
        """\
        In file included from psutil/arch/windows/init.h:11:
        psutil/arch/windows/ntextapi.h:60:14: error: redefinition of '_KWAIT_REASON'
           60 | typedef enum _KWAIT_REASON {
              |              ^
        /z/lib/libc/include/any-windows-any/winternl.h:693:16: note: previous definition is here
          693 |   typedef enum _KWAIT_REASON {
        error: command '/tmp/zig-cc' failed with exit code 1
        """
    )
    line = meaningful_line(output)
    assert line.startswith("_KWAIT_REASON is defined both in ntextapi.h and in mingw-w64's winternl.h")
    assert "#ifndef __MINGW32__" in line


def test_the_meaningful_line_names_the_library_a_missing_header_comes_from():
    output = "src/_crc32c.c:3:10: fatal error: 'crc32c/crc32c.h' file not found\n1 error generated.\n"
    assert meaningful_line(output) == (
        "missing header crc32c/crc32c.h (from crc32c); build crc32c for this target first "
        "(a before-build step) and add its include directory"
    )
    project_header = "x.c:3:10: fatal error: 'local.h' file not found\n"
    assert meaningful_line(project_header) == "x.c:3:10: fatal error: 'local.h' file not found"
