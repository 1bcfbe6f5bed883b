"""CPython 3.14 and 3.15 for real (issue 22 items 1 and 3): Debian unstable's python3.14 and python3.15
(tests/debiansid.py, a private root; fatpack does not assume them) named in the sdk settings, a C fixture
assembled for cp311 (fatpack's own Python), cp314 and cp315 x linux_x86_64 + win_amd64, installed with
pip into a venv of each Debian interpreter and called there.

win_amd64 cp314/cp315: NOT RUN (no Windows build of 3.14 or 3.15 here): structure-checked only, the
.pyd exports PyInit__ver and imports from python31X.dll nothing but names in fatpack's derived
python314.def/python315.def, and no other Python DLL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import debiansid
import pytest
from test_py315_names import SID_314, SID_315

from fatpack.pipeline import Options, assemble
from fatpack.runner import run_command
from fatpack.sdk.windows import EXPORTS_DIR
from fatpack.targets import TARGETS, PythonAbi

PROJECTS = Path(__file__).parent / "projects"
LINUX, WINDOWS = TARGETS["linux_x86_64"], TARGETS["win_amd64"]
PROBE = "import pyver._ver as m; print(m.headers(), m.add(2, 3), m.__file__)"
MINORS = (14, 15)

pytestmark = pytest.mark.network  # Debian's archive, the first time (cached in FATPACK_TEST_CACHE)


@pytest.fixture(scope="module")
def sid() -> dict[int, Path]:
    """Debian sid's python3.14 and python3.15 (skipped only when Debian's archive is unreachable)."""
    return {minor: debiansid.skip_unless_reachable(minor) for minor in MINORS}


def build_details(python: Path) -> Path:
    found = sorted((python.parents[1] / "lib" / python.name).glob("build-details*.json"))
    assert found, f"Debian's {python.name} ships a build-details.json in its stdlib directory"
    return found[0]


@pytest.fixture(scope="module")
def setuptools_wheel(sid: dict[int, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The setuptools fixture cross-built by its own backend on each version: 3.14 named by its
    interpreter, 3.15 by its build-details.json (whose base_interpreter runs the backend)."""
    out = tmp_path_factory.mktemp("setuptools-py315")
    options = Options(
        PROJECTS / "pyversions",
        out,
        targets=(LINUX, WINDOWS),
        abis=(PythonAbi(11, abi3=False), PythonAbi(14, abi3=False), PythonAbi(15, abi3=False)),
        sdk={"cp314": str(sid[14]), "cp315": str(build_details(sid[15]))},
    )
    return assemble(options)


FATPACK_PROJECT = """\
[project]
name = "pyversions-fatpack"
version = "1.0"

[tool.fatpack]
python = ["cp314", "cp315"]

[tool.fatpack.sdk]
cp314 = "{cp314}"
cp315 = "{cp315}"

[[tool.fatpack.extension]]
name = "pyver._ver"
sources = ["src/pyver/_ver.c"]
"""


class Recording:
    """fatpack's runner, noting every command (which interpreters ran)."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def __call__(self, command: Sequence[str], **options: Any) -> Any:
        self.commands.append([str(word) for word in command])
        return run_command(command, **options)


@pytest.fixture(scope="module")
def own_build(sid: dict[int, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Recording]:
    """The same C source declared in [tool.fatpack] (fatpack compiles it): the headers come from
    [tool.fatpack.sdk], 3.14's build-details.json and 3.15's prefix, with no interpreter run."""
    root = tmp_path_factory.mktemp("own-py315")
    shutil.copytree(PROJECTS / "pyversions" / "src", root / "project" / "src")
    text = FATPACK_PROJECT.format(cp314=build_details(sid[14]), cp315=sid[15].parents[1])
    (root / "project" / "pyproject.toml").write_text(text)
    recording = Recording()
    return assemble(
        Options(root / "project", root / "out", targets=(LINUX, WINDOWS)), runner=recording
    ), recording


def test_debians_interpreters_list_the_suffixes_the_loader_tests_pin(sid):
    for minor, recorded in ((14, SID_314), (15, SID_315)):
        code = "import importlib.machinery as m; print(repr(m.EXTENSION_SUFFIXES))"
        said = subprocess.run([str(sid[minor]), "-c", code], capture_output=True, text=True, check=True)
        assert said.stdout.strip() == repr(recorded)


def payload_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return sorted(n for n in archive.namelist() if "/_fatpack/" in n and n.endswith((".so", ".pyd")))


@pytest.mark.compile
def test_the_setuptools_wheel_holds_each_versions_payload_for_each_target(setuptools_wheel):
    assert payload_names(setuptools_wheel) == [
        f"pyver/_fatpack/{target}/cp3{minor}/pyver/_ver{suffix.format(minor)}"
        for target, suffix in (
            ("linux_x86_64", ".cpython-3{}-x86_64-linux-gnu.so"),
            ("win_amd64", ".cp3{}-win_amd64.pyd"),
        )
        for minor in (11, 14, 15)
    ]


def run_on_debian(minor: int, wheel: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """pip install the wheel into a venv of Debian's python3.<minor>, import the module, call it."""
    python = debiansid.sid_venv(minor, tmp_path / "venv")
    install = [
        str(python),
        "-m",
        "pip",
        "install",
        "-q",
        "--no-index",
        "--disable-pip-version-check",
        str(wheel),
    ]
    subprocess.run(install, check=True, capture_output=True, text=True)
    env = {**os.environ, "FATPACK_DEBUG": "1"}
    proc = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True, env=env)
    print(f"python3.{minor}: {proc.stdout}{proc.stderr}")  # shown with -s: the report quotes it
    return proc


def check_chose_its_own(proc: subprocess.CompletedProcess[str], minor: int, path_end: str) -> None:
    assert proc.returncode == 0, proc.stderr
    headers, total, path = proc.stdout.split()
    assert headers.startswith(f"3.{minor}.") and total == "5", proc.stdout
    assert path.endswith(path_end), path
    assert f"on host cp3{minor}-linux_x86_64 " in proc.stderr, proc.stderr
    assert f"chose cp3{minor}-linux_x86_64 -> " in proc.stderr, proc.stderr


@pytest.mark.compile
@pytest.mark.parametrize("minor", MINORS)
def test_debians_python_imports_its_own_versions_payload_of_the_cross_build(
    setuptools_wheel, minor, tmp_path
):
    proc = run_on_debian(minor, setuptools_wheel, tmp_path)
    check_chose_its_own(
        proc, minor, f"/linux_x86_64/cp3{minor}/pyver/_ver.cpython-3{minor}-x86_64-linux-gnu.so"
    )


@pytest.mark.compile
@pytest.mark.parametrize("minor", MINORS)
def test_debians_python_imports_its_own_versions_payload_of_fatpacks_compiles(
    own_build, sid, minor, tmp_path
):
    wheel, recording = own_build
    proc = run_on_debian(minor, wheel, tmp_path)
    check_chose_its_own(proc, minor, f"/linux_x86_64/pyver._ver.cp3{minor}.so")
    roots = {str(python.parents[2]) for python in sid.values()}
    ran = [c[0] for c in recording.commands if any(c[0].startswith(root) for root in roots)]
    assert ran == [], "the headers come from build-details.json and the prefix: no interpreter is run"


def derived_exports(dll: str) -> set[str]:
    lines = (EXPORTS_DIR / f"{dll}.def").read_text().splitlines()
    start = lines.index("EXPORTS") + 1
    return {line.split()[0] for line in lines[start:] if line.strip() and not line.startswith(";")}


def check_windows_payload(data: bytes, minor: int) -> None:
    """NOT RUN: structure only (no Windows CPython 3.14/3.15 here)."""
    import pefile

    pe = pefile.PE(data=data)
    assert pe.FILE_HEADER.Machine == pefile.MACHINE_TYPE["IMAGE_FILE_MACHINE_AMD64"]
    exports = {e.name.decode() for e in pe.DIRECTORY_ENTRY_EXPORT.symbols if e.name}
    assert "PyInit__ver" in exports
    imports = {entry.dll.decode().lower(): entry for entry in pe.DIRECTORY_ENTRY_IMPORT}
    pythons = sorted(name for name in imports if name.startswith("python"))
    assert pythons == [f"python3{minor}.dll"], pythons
    used = {i.name.decode() for i in imports[f"python3{minor}.dll"].imports if i.name}
    assert used and used <= derived_exports(f"python3{minor}"), used - derived_exports(f"python3{minor}")


@pytest.mark.compile
@pytest.mark.parametrize("minor", MINORS)
def test_the_win_amd64_payloads_import_only_what_the_derived_export_lists_have(
    setuptools_wheel, own_build, minor
):
    """NOT RUN on Windows: no Windows CPython 3.14/3.15 here. Structure checked for both builds."""
    wheel, _ = own_build
    with zipfile.ZipFile(setuptools_wheel) as archive:
        check_windows_payload(
            archive.read(f"pyver/_fatpack/win_amd64/cp3{minor}/pyver/_ver.cp3{minor}-win_amd64.pyd"), minor
        )
    with zipfile.ZipFile(wheel) as archive:
        check_windows_payload(archive.read(f"pyver/_fatpack/win_amd64/pyver._ver.cp3{minor}.pyd"), minor)


def test_debians_python_on_path_is_found_with_its_multiarch_headers(sid, tmp_path):
    """The existing search finds a Debian-layout 3.15 on PATH; its pyconfig.h wrapper includes
    <x86_64-linux-gnu/python3.15/pyconfig.h>, which the target SDK puts in place (a cross compiler
    does not search the root's usr/include)."""
    from fatpack.interpreters import PATH, Places, find_interpreter
    from fatpack.sdk import headers_at, prepare_sdk

    places = Places.of({"PATH": str(sid[15].parent)}, own="/nonexistent/python3.11", home=tmp_path)
    found = find_interpreter(15, places=places)
    assert (found.path, found.where, found.multiarch) == (str(sid[15]), PATH, "x86_64-linux-gnu")
    headers = headers_at(Path(found.include_dir), found.multiarch)
    assert "<x86_64-linux-gnu/python3.15/pyconfig.h>" in (headers.include_dir / "pyconfig.h").read_text()
    sdk = prepare_sdk(LINUX, PythonAbi(15, abi3=False), tmp_path / "work", run_command, headers=headers)
    real = sid[15].parents[1] / "include/x86_64-linux-gnu/python3.15/pyconfig.h"
    assert (sdk.include_dirs[0] / "pyconfig.h").read_bytes() == real.read_bytes()


LIMITED_SETUP = """\
from setuptools import Extension, setup

setup(
    packages=["pyver"],
    package_dir={"": "src"},
    ext_modules=[
        Extension(
            "pyver._ver", ["src/pyver/_ver.c"], py_limited_api=True, define_macros=[("Py_LIMITED_API", "0x03080000")]
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp38"}},
)
"""


@pytest.fixture(scope="module")
def abi3_wheel(sid: dict[int, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project building the limited API (cp38-abi3), built by 3.15's backend (`--python cp315`,
    served by its abi3 wheel) for linux_x86_64, linux_aarch64 and win_amd64."""
    root = tmp_path_factory.mktemp("abi3-by-315")
    shutil.copytree(PROJECTS / "pyversions", root / "project")
    (root / "project" / "setup.py").write_text(LIMITED_SETUP)
    options = Options(
        root / "project",
        root / "out",
        targets=(LINUX, TARGETS["linux_aarch64"], WINDOWS),
        abis=(PythonAbi(15, abi3=False),),
        sdk={"cp315": str(sid[15])},
    )
    return assemble(options)


@pytest.mark.compile
def test_an_abi3_module_built_by_315_is_named_for_every_python_and_loads_on_314_and_315(abi3_wheel, tmp_path):
    """`.abi3.so` for every target (not 3.15's `.abi3-x86_64-linux-gnu.so`, and never the build
    machine's platform in an aarch64 name); imported and called on Debian's 3.15 and 3.14."""
    assert payload_names(abi3_wheel) == [
        "pyver/_fatpack/linux_aarch64/abi3/pyver/_ver.abi3.so",
        "pyver/_fatpack/linux_x86_64/abi3/pyver/_ver.abi3.so",
        "pyver/_fatpack/win_amd64/abi3/pyver/_ver.pyd",
    ]
    for minor in MINORS:
        proc = run_on_debian(minor, abi3_wheel, tmp_path / f"py{minor}")
        assert proc.returncode == 0, proc.stderr
        headers, total, path = proc.stdout.split()
        assert headers.startswith("3.15.") and total == "5"  # built with 3.15's headers, loaded by both
        assert path.endswith("/linux_x86_64/abi3/pyver/_ver.abi3.so")
        assert f"on host cp3{minor}-linux_x86_64 " in proc.stderr
        assert "chose cp38-abi3-linux_x86_64 -> " in proc.stderr, proc.stderr


@pytest.mark.compile
def test_the_abi3_module_built_by_315_loads_on_pyenvs_38(abi3_wheel, tmp_path):
    """The same payload on the floor it claims: pyenv's CPython 3.8 (CI has it)."""
    from conftest import install_into
    from test_matrix import PYENV, pyenv_python

    python = pyenv_python(8)
    if python is None:
        pytest.skip(f"pyenv's CPython 3.8 is needed (CI has it); looked in {PYENV}/versions")
    site = install_into(abi3_wheel, tmp_path / "site")
    code = f"import sys; sys.path.insert(0, {str(site)!r})\n{PROBE}"
    env = {**os.environ, "FATPACK_DEBUG": "1"}
    proc = subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True, env=env)
    print(f"pyenv 3.8: {proc.stdout}{proc.stderr}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[1] == "5"
    assert "chose cp38-abi3-linux_x86_64 -> " in proc.stderr, proc.stderr


@pytest.mark.compile
@pytest.mark.qemu
def test_the_aarch64_abi3_module_built_by_315_runs_on_debians_arm64_311(abi3_wheel, tmp_path, monkeypatch):
    """Cross-built for linux_aarch64 by 3.15's backend on x86_64: run under qemu-user on Debian's arm64
    CPython 3.11 (tests/qemupython.py)."""
    from conftest import install_into
    from qemupython import Arm64Python

    site = install_into(abi3_wheel, tmp_path / "site")
    monkeypatch.setenv("FATPACK_DEBUG", "1")
    proc = Arm64Python().run(PROBE, site)
    print(f"arm64 3.11 (qemu): {proc.stdout}{proc.stderr}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[1] == "5"
    assert "chose cp38-abi3-linux_aarch64 -> " in proc.stderr, proc.stderr


STABLE_315_SOURCE = """\
#include <Python.h>
/* PyLong_FromInt32 joined the limited API in 3.14: a cp315-abi3 floor is what lets this build */
static PyObject *seven(PyObject *self, PyObject *args) { return PyLong_FromInt32(7); }
static PyMethodDef methods[] = {{"seven", seven, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_stable", NULL, -1, methods};
PyMODINIT_FUNC PyInit__stable(void) { return PyModule_Create(&module); }
"""

STABLE_315_PROJECT = """\
[project]
name = "stable315"
version = "1.0"

[tool.fatpack]
python = ["cp315-abi3"]

[tool.fatpack.sdk]
cp315 = "{cp315}"

[[tool.fatpack.extension]]
name = "stable._stable"
sources = ["src/stable/_stable.c"]
"""


@pytest.mark.compile
def test_a_cp315_abi3_floor_runs_on_315_and_is_refused_by_314(sid, tmp_path):
    """fatpack's own compile of a cp315-abi3 module (Py_LIMITED_API 0x030F0000, 3.15's headers from its
    build-details.json): called on Debian's 3.15; 3.14 is told it needs 3.15. win_amd64: NOT RUN,
    structure only: its python3.dll imports are all in fatpack's python3.def, no other Python DLL."""
    import pefile

    project = tmp_path / "project"
    (project / "src" / "stable").mkdir(parents=True)
    (project / "src" / "stable" / "__init__.py").write_text("")
    (project / "src" / "stable" / "_stable.c").write_text(STABLE_315_SOURCE)
    (project / "pyproject.toml").write_text(STABLE_315_PROJECT.format(cp315=build_details(sid[15])))
    wheel = assemble(Options(project, tmp_path / "out", targets=(LINUX, WINDOWS)))
    code = "import stable._stable as m; print(m.seven())"
    for minor, ok in ((15, True), (14, False)):
        python = debiansid.sid_venv(minor, tmp_path / f"venv{minor}")
        install = [str(python), "-m", "pip", "install", "-q", "--no-index", str(wheel)]
        subprocess.run(install, check=True, capture_output=True)
        proc = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
        print(f"python3.{minor}: {proc.stdout}{proc.stderr.strip().splitlines()[-1:]}")
        if ok:
            assert proc.returncode == 0 and proc.stdout.strip() == "7", proc.stderr
        else:
            assert "cp315-abi3-linux_x86_64 needs Python >= 3.15" in proc.stderr, proc.stderr
    with zipfile.ZipFile(wheel) as archive:
        pe = pefile.PE(data=archive.read("stable/_fatpack/win_amd64/stable._stable.cp315-abi3.pyd"))
    imports = {entry.dll.decode().lower(): entry for entry in pe.DIRECTORY_ENTRY_IMPORT}
    assert sorted(name for name in imports if name.startswith("python")) == ["python3.dll"]
    used = {i.name.decode() for i in imports["python3.dll"].imports if i.name}
    assert "PyLong_FromInt32" in used and used <= derived_exports("python3")
