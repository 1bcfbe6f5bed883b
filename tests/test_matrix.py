"""Several CPython versions in one cross build (issue 22): each version-specific ABI asked for is built by
a CPython of that version (fatpack/interpreters.py), with its sysconfig variables and headers."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Optional

import pytest
from conftest import install_into
from winepython import WindowsPython

from fatpack.buildenv import BuildEnv
from fatpack.crossbuild import TargetWheel, build_versions, check_serves, one_per_slot, target_sdk
from fatpack.crossenv import Tools, config_vars
from fatpack.errors import BuildError, ConfigError
from fatpack.interpreters import BuildPython, Interpreter
from fatpack.pipeline import Options, assemble, version_named
from fatpack.sdk import PythonSdk, VersionHeaders, headers_at, prepare_sdk, sdk_fingerprint
from fatpack.targets import TARGETS, PythonAbi

PROJECTS = Path(__file__).parent / "projects"
LINUX, WINDOWS = TARGETS["linux_x86_64"], TARGETS["win_amd64"]
CP310, CP312 = PythonAbi(10, abi3=False), PythonAbi(12, abi3=False)
PYENV = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
PROBE = "import pyver._ver as m; print(m.headers(), m.add(2, 3), m.__file__)"


# --- unit: which versions are built, what serves what, the build Python's variables and headers ------


def test_one_build_per_version_specific_abi_else_fatpacks_own_python():
    stable = PythonAbi(8, abi3=True)
    assert build_versions([CP312, CP310, stable, CP310], own_minor=11) == (CP310, CP312)
    assert build_versions([stable], own_minor=11) == (PythonAbi(11, abi3=False),)
    assert build_versions([], own_minor=11) == (PythonAbi(11, abi3=False),)


def wheel(target, abi: PythonAbi, name: str = "") -> TargetWheel:
    return TargetWheel(target, Path(name or f"p-1.0-{abi.tag}-{target.name}.whl"), abi, 1.0)


def test_each_target_is_served_by_one_of_its_versions_wheels():
    wheels = [wheel(t, abi) for t in (LINUX, WINDOWS) for abi in (CP310, CP312)]
    check_serves(wheels, [CP310, CP312])
    with pytest.raises(ConfigError) as caught:
        check_serves(wheels, [CP310, PythonAbi(8, abi3=True)])
    assert str(caught.value) == (
        "linux_x86_64: cp38-abi3 was asked for, but the project's own build makes cp310, cp312 "
        "(p-1.0-cp310-linux_x86_64.whl, p-1.0-cp312-linux_x86_64.whl): it builds version-specific "
        "modules: ask for --python cp3X for each Python instead"
    )


def test_an_abi3_module_built_on_each_version_is_fused_once():
    stable = PythonAbi(9, abi3=True)
    first, again = wheel(LINUX, stable, "a.whl"), wheel(LINUX, stable, "b.whl")
    assert one_per_slot([first, wheel(WINDOWS, stable), again]) == [first, wheel(WINDOWS, stable)]


def fake_headers(root: Path, minor: int, pyconfig: str = "/* pyconfig */\n") -> Path:
    include = root / f"python3.{minor}"
    include.mkdir(parents=True)
    (include / "Python.h").write_text("/* Python.h */\n")
    (include / "pyconfig.h").write_text(pyconfig)
    (include / "patchlevel.h").write_text(f"#define PY_MAJOR_VERSION 3\n#define PY_MINOR_VERSION {minor}\n")
    return include


def test_the_cross_sysconfig_is_the_build_pythons_not_fatpacks(tmp_path):
    include = fake_headers(tmp_path, 10)
    python = BuildPython("python3.10", 10, {"VERSION": "3.10", "ONLY_IN_THIS_PYTHON": "yes", "SOABI": "x"})
    sdk = PythonSdk((include,), ())
    variables = config_vars(LINUX, python, sdk, Tools("cc", "c++", "ar"), tmp_path)
    assert variables["VERSION"] == "3.10" and variables["ONLY_IN_THIS_PYTHON"] == "yes"
    assert variables["SOABI"] == "cpython-310-x86_64-linux-gnu"
    assert variables["EXT_SUFFIX"] == ".cpython-310-x86_64-linux-gnu.so"
    assert variables["INCLUDEPY"] == str(include)
    assert "LIBPL" not in variables  # nothing of fatpack's own interpreter (which has LIBPL) leaks in


def never_run(command, **options):
    raise AssertionError(f"nothing is run for a Linux SDK: {command}")


def test_the_sdk_and_its_fingerprint_are_the_build_pythons_headers(tmp_path):
    headers = headers_at(fake_headers(tmp_path / "a", 10))
    assert headers.version == (3, 10)
    sdk = prepare_sdk(LINUX, CP310, tmp_path / "work", runner=never_run, headers=headers)
    assert sdk.include_dirs == (headers.include_dir,)
    other = headers_at(fake_headers(tmp_path / "b", 10, "/* another pyconfig */\n"))
    assert sdk_fingerprint(LINUX, CP310, headers=headers) != sdk_fingerprint(LINUX, CP310, headers=other)
    assert sdk_fingerprint(WINDOWS, CP310, headers=headers) != sdk_fingerprint(WINDOWS, CP310, headers=other)
    with pytest.raises(ConfigError, match=r"cp312 for linux_x86_64 needs Python 3\.12 headers"):
        prepare_sdk(LINUX, CP312, tmp_path / "work", runner=never_run, headers=headers)


def test_a_version_found_nowhere_stops_the_run_before_any_build(tmp_path):
    """The interpreters are found first: no reference wheel, no target is built for nothing."""
    nowhere = PythonAbi(99, abi3=False)
    options = Options(PROJECTS / "pyversions", tmp_path / "out", targets=(LINUX,), abis=(nowhere,))
    with pytest.raises(ConfigError) as caught:
        assemble(dataclasses.replace(options, isolation=False), runner=never_run)
    assert str(caught.value).startswith("no CPython 3.99 with headers found to build cp399 with (found: ")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_fatpacks_own_compiles_take_another_versions_headers_from_its_interpreter(tmp_path):
    """The payloads fatpack compiles itself ([tool.fatpack] extensions, --builder, fatpack build): cp310
    and a cp313-abi3 floor above this Python get a CPython of that version's headers, found once."""
    include = fake_headers(tmp_path, 10)
    said = {"version": [3, 10], "implementation": "cpython", "free_threaded": False}
    answers = {**said, "include": str(include), "headers": True, "multiarch": "x86_64-linux-gnu"}
    probed = []

    def runner(command, **options):
        probed.append(command[0])
        return json.dumps(answers) if command[0].endswith("python3.10") else never_run(command)

    headers = VersionHeaders(runner, own_minor=11)
    assert headers(PythonAbi(11, abi3=False)) is None and headers(PythonAbi(8, abi3=True)) is None
    found = headers(CP310)
    assert found is not None and (found.include_dir, found.version, found.multiarch) == (
        include,
        (3, 10),
        "x86_64-linux-gnu",
    )
    assert headers(CP310) is found and len(probed) == 1


# --- end to end: cp310 + cp312 under fatpack's Python, run on pyenv's and python.org's 3.10 and 3.12 ---


def pyenv_python(minor: int) -> Optional[Path]:
    found = sorted((PYENV / "versions").glob(f"3.{minor}.*/bin/python3.{minor}"))
    return found[-1] if found else None


@pytest.fixture(scope="module")
def matrix_wheel(tmp_path_factory) -> Path:
    missing = [f"{PYENV}/versions/3.{m}.*/bin/python3.{m}" for m in (10, 12) if pyenv_python(m) is None]
    if missing:
        pytest.skip(
            f"pyenv's CPython 3.10 and 3.12 are needed (CI has them); looked for {', '.join(missing)}"
        )
    out = tmp_path_factory.mktemp("matrix")
    options = Options(PROJECTS / "pyversions", out, targets=(LINUX, WINDOWS), abis=(CP310, CP312))
    return assemble(options)


@pytest.mark.compile
@pytest.mark.network
def test_the_wheel_holds_each_versions_payload_for_each_target(matrix_wheel):
    import pefile

    with zipfile.ZipFile(matrix_wheel) as archive:
        names = [
            n for n in archive.namelist() if n.startswith("pyver/_fatpack/") and n.endswith((".so", ".pyd"))
        ]
        assert sorted(names) == [
            "pyver/_fatpack/linux_x86_64/cp310/pyver/_ver.cpython-310-x86_64-linux-gnu.so",
            "pyver/_fatpack/linux_x86_64/cp312/pyver/_ver.cpython-312-x86_64-linux-gnu.so",
            "pyver/_fatpack/win_amd64/cp310/pyver/_ver.cp310-win_amd64.pyd",
            "pyver/_fatpack/win_amd64/cp312/pyver/_ver.cp312-win_amd64.pyd",
        ]
        for minor in (10, 12):
            pe = pefile.PE(
                data=archive.read(f"pyver/_fatpack/win_amd64/cp3{minor}/pyver/_ver.cp3{minor}-win_amd64.pyd")
            )
            imported = {entry.dll.decode().lower() for entry in pe.DIRECTORY_ENTRY_IMPORT}
            assert f"python3{minor}.dll" in imported


@pytest.mark.compile
@pytest.mark.network
@pytest.mark.parametrize("minor", [10, 12])
def test_pyenvs_python_imports_its_own_versions_payload(matrix_wheel, minor, tmp_path):
    site = install_into(matrix_wheel, tmp_path / "site")
    python = pyenv_python(minor)
    assert python is not None
    code = f"import sys; sys.path.insert(0, {str(site)!r})\n{PROBE}"
    proc = subprocess.run(
        [str(python), "-I", "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "FATPACK_DEBUG": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    headers, total, path = proc.stdout.split()
    assert headers.startswith(f"3.{minor}.") and total == "5", proc.stdout
    assert path.endswith(f"/linux_x86_64/cp3{minor}/pyver/_ver.cpython-3{minor}-x86_64-linux-gnu.so")
    assert f"chose cp3{minor}-linux_x86_64 -> " in proc.stderr, proc.stderr


@pytest.mark.compile
@pytest.mark.wine
@pytest.mark.network
@pytest.mark.parametrize("minor", [10, 12])
def test_python_org_python_under_wine_imports_its_own_versions_payload(
    matrix_wheel, minor, tmp_path, monkeypatch
):
    python = WindowsPython(f"3.{minor}", tmp_path / "py")
    python.pip_install(matrix_wheel)
    monkeypatch.setenv("FATPACK_DEBUG", "1")  # Wine hands the environment to the Windows process
    proc = python.run("-c", PROBE)
    assert proc.returncode == 0, proc.stderr
    headers, total, path = proc.stdout.split()
    assert headers.startswith(f"3.{minor}.") and total == "5", proc.stdout
    assert path.endswith(f"\\win_amd64\\cp3{minor}\\pyver\\_ver.cp3{minor}-win_amd64.pyd"), path
    assert f"chose cp3{minor}-win_amd64 -> " in proc.stderr, proc.stderr


FATPACK_PROJECT = """\
[project]
name = "pyversions-fatpack"
version = "1.0"

[tool.fatpack]
python = ["cp310", "cp312", "cp313-abi3"]

[[tool.fatpack.extension]]
name = "pyver._ver"
sources = ["src/pyver/_ver.c"]
"""


@pytest.fixture(scope="module")
def own_compiles_wheel(tmp_path_factory) -> Path:
    """The fixture's extension declared in [tool.fatpack] (fatpack compiles it), for cp310, cp312 and
    cp313-abi3 under fatpack's Python."""
    missing = [f"{PYENV}/versions/3.{m}.*/bin/python3.{m}" for m in (10, 12, 13) if pyenv_python(m) is None]
    if missing:
        pytest.skip(
            f"pyenv's CPython 3.10, 3.12, 3.13 are needed (CI has them); looked for {', '.join(missing)}"
        )
    root = tmp_path_factory.mktemp("own")
    shutil.copytree(PROJECTS / "pyversions" / "src", root / "project" / "src")
    (root / "project" / "pyproject.toml").write_text(FATPACK_PROJECT)
    return assemble(Options(root / "project", root / "out", targets=(LINUX, WINDOWS)))


@pytest.mark.compile
@pytest.mark.parametrize("minor, chosen", [(10, "cp310"), (12, "cp312"), (13, "cp313-abi3")])
def test_fatpacks_own_compiles_for_each_version_run_on_it(own_compiles_wheel, minor, chosen, tmp_path):
    site = install_into(own_compiles_wheel, tmp_path / "site")
    code = f"import sys; sys.path.insert(0, {str(site)!r})\n{PROBE}"
    proc = subprocess.run(
        [str(pyenv_python(minor)), "-I", "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "FATPACK_DEBUG": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    headers, total, _ = proc.stdout.split()
    assert headers.startswith(f"3.{minor}.") and total == "5", proc.stdout
    assert f"chose {chosen}-linux_x86_64 -> " in proc.stderr, proc.stderr


@pytest.mark.compile
@pytest.mark.wine
@pytest.mark.network
def test_fatpacks_own_compiles_for_another_version_run_under_wine(own_compiles_wheel, tmp_path, monkeypatch):
    python = WindowsPython("3.10", tmp_path / "py")
    python.pip_install(own_compiles_wheel)
    monkeypatch.setenv("FATPACK_DEBUG", "1")
    proc = python.run("-c", PROBE)
    assert proc.returncode == 0, proc.stderr
    headers, total, _ = proc.stdout.split()
    assert headers.startswith("3.10.") and total == "5", proc.stdout
    assert "chose cp310-win_amd64 -> " in proc.stderr, proc.stderr


def test_the_target_sdk_takes_the_headers_where_the_build_python_found_them(tmp_path):
    """A relocated CPython (python-build-standalone, as uv installs it) keeps its build machine's
    INCLUDEPY (/install/include/python3.10); the interpreter was found by sysconfig's 'include' path,
    where its headers are, and the cross build takes the same (as fatpack's own host_headers does)."""
    include = fake_headers(tmp_path, 10)
    python = BuildPython("python3.10", 10, {"INCLUDEPY": "/install/include/python3.10"}, str(include))
    sdk = target_sdk(LINUX, python, tmp_path / "sdk", runner=never_run)
    assert sdk.include_dirs == (include,)


def test_a_failure_on_another_python_says_which(tmp_path):
    """setup.py failing on 3.12 only (`import imp`) must not read as a failure on fatpack's Python: the
    line names the version and the interpreter its environment was made from; the output is kept."""
    interpreter = tmp_path / "pyenv" / "3.12.1" / "bin" / "python3.12"
    interpreter.parent.mkdir(parents=True)
    interpreter.write_text("")
    venv_python = tmp_path / "env" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.symlink_to(interpreter)
    own = BuildEnv("/own/python")
    failed = BuildError("linux_x86_64: the build failed: No module named 'imp'", ["python"], 1, "Traceback")
    with pytest.raises(BuildError) as caught, version_named(CP312, BuildEnv(str(venv_python)), own):
        raise failed
    assert str(caught.value) == f"cp312 (built with {interpreter}): {failed}"
    assert (caught.value.command, caught.value.returncode, caught.value.output) == (
        ["python"],
        1,
        "Traceback",
    )
    with pytest.raises(BuildError) as caught, version_named(PythonAbi(11, abi3=False), own, own):
        raise failed
    assert caught.value is failed  # fatpack's own Python: as before


def test_every_interpreter_is_found_before_any_environment_is_made(tmp_path, monkeypatch):
    """cp310 found, cp399 nowhere: the refusal comes before cp310's environment (pip installing from the
    index) is made, not after."""
    import fatpack.pipeline as pipeline

    def find(minor, **kwargs):
        if minor == 99:
            raise ConfigError("no CPython 3.99 with headers found")
        return Interpreter(f"/py/python3.{minor}", "pyenv", (3, minor), "cpython", False, "/inc", True)

    made = []
    monkeypatch.setattr(pipeline, "find_interpreter", find)
    monkeypatch.setattr(pipeline, "build_environment", lambda *args, **kwargs: made.append(args))
    options = Options(PROJECTS / "pyversions", tmp_path / "out")
    with pytest.raises(ConfigError, match=r"3\.99"):
        pipeline.version_environments(
            options, BuildEnv("/own/python"), [CP310, PythonAbi(99, False)], never_run
        )
    assert made == []


def test_a_version_found_nowhere_is_looked_for_once_for_all_targets(monkeypatch):
    """Every target asks for cp399's headers: the search runs once (a candidate that hangs costs its
    timeout once, not once per target, in turn under the lock), and every target gets the one line."""
    import fatpack.sdk

    searches = []

    def find(minor, **kwargs):
        searches.append(minor)
        raise ConfigError(f"no CPython 3.{minor} with headers found")

    monkeypatch.setattr(fatpack.sdk, "find_interpreter", find)
    headers = VersionHeaders(never_run, own_minor=11)
    for _ in range(3):
        with pytest.raises(ConfigError, match=r"^no CPython 3\.99 with headers found$"):
            headers(PythonAbi(99, abi3=False))
    assert searches == [99]
