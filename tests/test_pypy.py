"""PyPy payloads (issue 22 item 6): `ppXY` ABIs, built by the project's own backend on a PyPy X.Y found
on this machine, for that PyPy's own platform only; the loader on PyPy chooses only a pp payload of its
version whose file suffix (the PyPy ABI: pp73, pp80) it imports, and CPython never one."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Optional

import pytest
from conftest import install_into
from packaging.tags import parse_tag
from pypypython import pypy_venv, release_pypy, skip_unless_reachable
from test_interpreters import FakeInterpreters, answer, executable, tree  # noqa: F401  # tree: a fixture
from test_matrix import pyenv_python
from winepython import CACHE

from fatpack.build import TargetReport
from fatpack.cli.progress import Progress
from fatpack.crossbuild import TargetWheel, build_versions, check_serves, pypy_targets, pypy_versions
from fatpack.crossenv import Tools, config_vars, pypy_serves
from fatpack.errors import ArtifactError, ConfigError
from fatpack.interpreters import PATH, PYENV, SYSTEM, UV, BuildPython, candidates, find_interpreter
from fatpack.pipeline import Options, assemble, fuse
from fatpack.sdk import PythonSdk
from fatpack.tags import target_and_abi
from fatpack.targets import PYPY, TARGETS, PythonAbi
from runtime_loader.loader import Entry, Host, _platform_from_suffix, no_payload_message, select_payload

PROJECTS = Path(__file__).parent / "projects"
LINUX, WINDOWS = TARGETS["linux_x86_64"], TARGETS["win_amd64"]
PP311, CP311 = PythonAbi(11, abi3=False, implementation=PYPY), PythonAbi(11, abi3=False)
PP80_SUFFIX = ".pypy311-pp80-x86_64-linux-gnu.so"
PROBE = "import pyver._ver as m; print(m.headers(), m.add(2, 3), m.__file__)"


# --- the ABI in config, on the command line and in wheel tags -------------------------------------------


def test_pp_abis_parse_and_name_themselves_pp():
    assert PythonAbi.parse("pp311") == PP311
    assert [PythonAbi.parse(t).tag for t in ("pp39", "pp310", "pp311")] == ["pp39", "pp310", "pp311"]
    assert (PP311.label, PP311.file_label, PP311.is_pypy, CP311.is_pypy) == ("pp311", "pp311", True, False)
    assert PP311 != CP311
    with pytest.raises(
        ConfigError, match=re.escape("'pp38' in --python: fatpack supports PyPy 3.9 and newer")
    ):
        PythonAbi.parse("pp38", "--python")
    with pytest.raises(ConfigError, match="expected 'cpXY-abi3', 'cpXY', 'cpXYt' or 'ppXY'"):
        PythonAbi.parse("pp311-abi3")


def test_a_pypy_wheels_tags_give_the_pp_abi():
    assert target_and_abi(parse_tag("pp311-pypy311_pp80-manylinux_2_17_x86_64"), "p.whl") == (LINUX, PP311)
    with pytest.raises(ArtifactError, match="pp311-pypy310_pp73 is not supported"):
        target_and_abi(parse_tag("pp311-pypy310_pp73-linux_x86_64"), "p.whl")


# --- finding a PyPy ----------------------------------------------------------------------------------------


def test_a_pypy_is_looked_for_as_pypy3_x_never_as_fatpacks_own(tree, tmp_path):  # noqa: F811
    on_path = executable(tmp_path / "bin" / "pypy3.11")
    pyenv = executable(tree.pyenv_root / "versions" / "pypy3.11-7.3.20" / "bin" / "pypy3.11")
    uv = executable(tree.uv_dir / "pypy-3.11.13-linux-x86_64-gnu" / "bin" / "pypy3.11")
    system = executable(tree.system_dir / "pypy3.11")
    executable(tmp_path / "bin" / "python3.11")  # a CPython 3.11: not a candidate for pp311
    assert candidates(11, tree, implementation=PYPY) == [
        (str(on_path), PATH),
        (str(pyenv), PYENV),
        (str(uv), UV),
        (str(system), SYSTEM),
    ]
    runner = FakeInterpreters(
        {
            on_path: answer("3.11"),  # a CPython named pypy3.11
            pyenv: answer("3.11", "/no", headers=False, implementation="pypy"),
            uv: answer("3.11", "/uv/include/pypy3.11", implementation="pypy"),
        }
    )
    found = find_interpreter(11, runner=runner, places=tree, implementation=PYPY)
    assert (found.path, found.implementation) == (str(uv), "pypy")
    del runner.answers[str(uv)]
    with pytest.raises(ConfigError) as caught:
        find_interpreter(11, runner=runner, places=tree, implementation=PYPY)
    message = str(caught.value)
    assert message.startswith("no PyPy 3.11 with headers found to build pp311 with")
    assert f"{on_path} (PATH) is cpython, not PyPy" in message
    assert f"{pyenv} (pyenv) has no headers" in message
    assert "`pyenv install pypy3.11`" in message


def test_a_cpython_build_never_takes_a_pypy(tree, tmp_path):  # noqa: F811
    on_path = executable(tmp_path / "bin" / "python3.12")
    runner = FakeInterpreters({on_path: answer("3.12", implementation="pypy")})
    with pytest.raises(ConfigError, match=r"\(PATH\) is pypy, not CPython"):
        find_interpreter(12, runner=runner, places=tree)


# --- which targets a PyPy builds for, and with what suffix ------------------------------------------------


def pypy_python(suffix: str = PP80_SUFFIX, multiarch: str = "x86_64-linux-gnu") -> BuildPython:
    variables = {
        "EXT_SUFFIX": suffix,
        "SOABI": suffix.split(".")[1].rsplit("-", 3)[0],
        "MULTIARCH": multiarch,
    }
    return BuildPython("/sid/pypy3.11", 11, dict(variables), "/sid/include/pypy3.11", PYPY)


def test_a_pypy_builds_only_for_its_own_platform_with_its_own_suffix(tmp_path):
    python = pypy_python()
    assert [t.name for t in TARGETS.values() if pypy_serves(python, t)] == ["linux_x86_64"]
    variables = config_vars(LINUX, python, PythonSdk((tmp_path,), ()), Tools("cc", "c++", "ar"), tmp_path)
    assert (variables["EXT_SUFFIX"], variables["SOABI"]) == (PP80_SUFFIX, "pypy311-pp80")


def test_targets_without_a_pypy_are_left_out_and_none_at_all_is_one_line():
    assert pypy_targets(pypy_python(), [LINUX, WINDOWS]) == ([LINUX], [WINDOWS])
    with pytest.raises(ConfigError) as caught:
        pypy_targets(pypy_python(), [WINDOWS])
    assert str(caught.value).startswith(
        "pp311: no target asked for (win_amd64) can be built for PyPy here: fatpack builds PyPy payloads "
        "only for the platform of the PyPy it finds (/sid/pypy3.11 imports .pypy311-pp80-x86_64-linux-gnu.so)"
    )


def test_pypy_is_built_apart_from_the_cpython_versions():
    assert build_versions([CP311, PP311], own_minor=11) == (CP311,)
    assert build_versions([PP311], own_minor=11) == ()
    assert pypy_versions([CP311, PP311, PythonAbi(10, False, implementation=PYPY)]) == (10, 11)


def test_a_left_out_pypy_slot_is_not_asked_of_that_target():
    wheels = [
        TargetWheel(LINUX, Path("a.whl"), CP311, 1.0),
        TargetWheel(LINUX, Path("b.whl"), PP311, 1.0),
        TargetWheel(WINDOWS, Path("c.whl"), CP311, 1.0),
    ]
    check_serves(wheels, [CP311, PP311], left_out=[(WINDOWS, PP311)])
    with pytest.raises(ConfigError, match="win_amd64: pp311 was asked for"):
        check_serves(wheels, [CP311, PP311])
    abi3 = TargetWheel(LINUX, Path("d.whl"), PythonAbi(8, abi3=True), 1.0)
    with pytest.raises(ConfigError, match="linux_x86_64: pp311 was asked for"):  # abi3 never serves PyPy
        check_serves([abi3], [PP311])


def test_the_left_out_target_is_one_progress_line():
    stream = io.StringIO()
    with Progress(stream, tty=False) as progress:
        progress.report(TargetReport(WINDOWS, "zig", 0, 0.0, python="pp311", skipped="no PyPy for it"))
    assert stream.getvalue().split() == [
        "win_amd64",
        "skipped",
        "0.0s",
        "[zig]",
        "pp311",
        "left",
        "out:",
        "no",
        "PyPy",
        "for",
        "it",
    ]


# --- the loader --------------------------------------------------------------------------------------------


def entry(abi: str, target: str = "linux_x86_64", python: str = "3.11", suffix: str = "") -> Entry:
    suffix = suffix or {"pp311": PP80_SUFFIX, "abi3": ".abi3.so"}.get(abi, ".cpython-311-x86_64-linux-gnu.so")
    return Entry("m", target, abi, python, "", f"{target}/{abi}/m{suffix}", "0" * 64)


def pypy_host(version=(3, 11), suffix: str = PP80_SUFFIX) -> Host:
    targets, flags = _platform_from_suffix(suffix)
    return Host(targets, version, flags, "pypy", {"glibc": (2, 43)}, [suffix])


CPYTHON_HOST = Host(
    ("linux_x86_64",), (3, 11), "", "cpython", {"glibc": (2, 36)}, [".cpython-311-x86_64-linux-gnu.so"]
)


def test_pypys_suffixes_name_its_platform():
    assert _platform_from_suffix(".pypy311-pp80-x86_64-linux-gnu.so") == (("linux_x86_64",), "")
    assert _platform_from_suffix(".pypy39-pp73-aarch64-linux-gnu.so") == (("linux_aarch64",), "")
    assert _platform_from_suffix(".pypy310-pp73-win_amd64.pyd") == (("win_amd64",), "")
    assert pypy_host().key == "pp311-linux_x86_64"


def test_pypy_chooses_its_pp_payload_and_never_a_cpython_one():
    entries = [entry("abi3", python="3.8"), entry("cp311"), entry("pp311"), entry("pp311", "win_amd64")]
    best, rejected = select_payload(entries, "m", pypy_host())
    assert best is entries[2]
    assert {(e.label, why) for e, why in rejected} == {
        ("cp38-abi3-linux_x86_64", "built for CPython, this is PyPy"),
        ("cp311-linux_x86_64", "built for CPython, this is PyPy"),
        ("pp311-win_amd64", "built for win_amd64"),
    }


def test_cpython_never_chooses_a_pp_payload():
    best, rejected = select_payload([entry("pp311"), entry("cp311")], "m", CPYTHON_HOST)
    assert best is not None and best.abi == "cp311"
    assert [(e.label, why) for e, why in rejected] == [
        ("pp311-linux_x86_64", "built for PyPy, this is CPython")
    ]
    best, rejected = select_payload([entry("pp311")], "m", CPYTHON_HOST)
    assert best is None
    assert no_payload_message("m", CPYTHON_HOST, rejected) == (
        "m: no usable native payload for this interpreter (cp311-linux_x86_64): "
        "pp311-linux_x86_64 built for PyPy, this is CPython"
    )


def test_a_payload_for_another_pypy_abi_or_version_is_refused_with_the_reason():
    pp73 = entry("pp311", suffix=".pypy311-pp73-x86_64-linux-gnu.so")
    best, rejected = select_payload([pp73], "m", pypy_host())
    assert best is None
    assert rejected[0][1] == (
        "built for another PyPy ABI (.pypy311-pp73-x86_64-linux-gnu.so; "
        "this PyPy imports .pypy311-pp80-x86_64-linux-gnu.so)"
    )
    older = pypy_host((3, 10), ".pypy310-pp73-x86_64-linux-gnu.so")
    assert select_payload([entry("pp311")], "m", older)[1][0][1] == "built for PyPy 3.11 only"
    graal = Host(("linux_x86_64",), (3, 11), "", "graalpy", {"glibc": (2, 36)})
    assert select_payload([entry("pp311")], "m", graal)[1][0][1] == "built for PyPy, this is graalpy"


# --- end to end: Debian's PyPy 3.11 and CPython 3.11 -------------------------------------------------------


@pytest.fixture(scope="module")
def pypy_and_cpython_wheel(tmp_path_factory) -> tuple[Path, list[TargetReport]]:
    """pyversions assembled for cp311, pp311 and this Debian's PyPy (bookworm: pp39) on linux_x86_64 and
    win_amd64, with Debian sid's PyPy 3.11 and this release's on PATH."""
    interpreters = (skip_unless_reachable(), release_pypy())
    reports: list[TargetReport] = []
    abis = (CP311, PP311, PythonAbi(release_minor(), False, implementation=PYPY))
    out = tmp_path_factory.mktemp("out")
    options = Options(PROJECTS / "pyversions", out, targets=(LINUX, WINDOWS), abis=abis)
    with on_path(tmp_path_factory.mktemp("pypy-bin"), interpreters):
        return assemble(options, progress=reports.append), reports


@contextlib.contextmanager
def on_path(bin_dir: Path, interpreters: Sequence[Path]) -> Iterator[None]:
    """PATH with a directory holding links to `interpreters` first (where fatpack looks for pypy3.X)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for interpreter in interpreters:
        (bin_dir / interpreter.name).symlink_to(interpreter)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        yield


def release_minor() -> int:
    """The Python minor version of this Debian release's PyPy (bookworm's: 9)."""
    code = "import sys; print(sys.version_info[1])"
    return int(subprocess.run([str(release_pypy()), "-c", code], capture_output=True, check=True).stdout)


@pytest.mark.compile
@pytest.mark.network
def test_pp_abis_are_built_for_linux_only_and_win_amd64_left_out_in_one_line(pypy_and_cpython_wheel):
    wheel, reports = pypy_and_cpython_wheel
    with zipfile.ZipFile(wheel) as archive:
        payloads = sorted(n for n in archive.namelist() if n.endswith((".so", ".pyd")))
        manifest = archive.read("pyver/_fatpack/manifest.tsv").decode()
    release = f"pp3{release_minor()}"
    suffix = f".pypy3{release_minor()}-pp73-x86_64-linux-gnu.so"  # bookworm's PyPy 7.3.11: the 7.3 ABI
    assert payloads == sorted(
        [
            "pyver/_fatpack/linux_x86_64/cp311/pyver/_ver.cpython-311-x86_64-linux-gnu.so",
            f"pyver/_fatpack/linux_x86_64/{release}/pyver/_ver{suffix}",
            f"pyver/_fatpack/linux_x86_64/pp311/pyver/_ver{PP80_SUFFIX}",
            "pyver/_fatpack/win_amd64/cp311/pyver/_ver.cp311-win_amd64.pyd",
        ]
    )
    row = f"pyver._ver\tlinux_x86_64\tpp311\t3.11\t\tlinux_x86_64/pp311/pyver/_ver{PP80_SUFFIX}\t"
    assert row in manifest
    built = [
        ("linux_x86_64", "cp311"),
        ("win_amd64", "cp311"),
        ("linux_x86_64", "pp311"),
        ("linux_x86_64", release),
    ]
    assert sorted((r.target.name, r.python) for r in reports if not r.skipped) == sorted(built)
    assert all(r.payloads == 1 for r in reports if not r.skipped)
    left_out = sorted((r.target.name, r.python) for r in reports if r.skipped)
    assert left_out == sorted([("win_amd64", "pp311"), ("win_amd64", release)])


@pytest.mark.compile
@pytest.mark.network
def test_this_debians_pypy_imports_its_own_versions_payload(pypy_and_cpython_wheel, tmp_path):
    (headers, total, path), said = probed_in_venv(pypy_and_cpython_wheel[0], tmp_path, release_pypy())
    minor = release_minor()
    assert headers.startswith(f"3.{minor}.") and total == "5"
    assert path.endswith(f"/linux_x86_64/pp3{minor}/pyver/_ver.pypy3{minor}-pp73-x86_64-linux-gnu.so"), path
    assert "skip pp311-linux_x86_64: built for PyPy 3.11 only" in said, said
    assert f"chose pp3{minor}-linux_x86_64 -> " in said, said


def probed_in_venv(wheel: Path, tmp_path: Path, pypy: Optional[Path] = None) -> tuple[list[str], str]:
    """The wheel pip-installed into a venv of `pypy` (sid's by default) and PROBE run there with
    FATPACK_DEBUG=1: what it printed (headers' version, 2 + 3, the module's file) and the loader's lines."""
    python = pypy_venv(tmp_path / "venv", pypy)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-index", str(wheel)], check=True)
    environ = {**os.environ, "FATPACK_DEBUG": "1"}
    proc = subprocess.run(
        [str(python), "-c", PROBE], capture_output=True, text=True, cwd=tmp_path, env=environ
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split(), proc.stderr


@pytest.mark.compile
@pytest.mark.network
def test_debians_pypy_imports_the_pp311_payload_pip_installed(pypy_and_cpython_wheel, tmp_path):
    (headers, total, path), said = probed_in_venv(pypy_and_cpython_wheel[0], tmp_path)
    assert headers.startswith("3.11.") and total == "5"  # PyPy's headers say its Python version
    assert path.endswith(f"/linux_x86_64/pp311/pyver/_ver{PP80_SUFFIX}"), path
    assert "on host pp311-linux_x86_64" in said, said
    assert "skip cp311-linux_x86_64: built for CPython, this is PyPy" in said
    assert "chose pp311-linux_x86_64 -> " in said, said


@pytest.mark.compile
@pytest.mark.network
def test_debians_pypy_imports_the_pp311_payload_from_the_wheel_as_a_zip(pypy_and_cpython_wheel, tmp_path):
    code = f"import sys; sys.path.insert(0, {str(pypy_and_cpython_wheel[0])!r})\n{PROBE}"
    environ = {**os.environ, "FATPACK_DEBUG": "1", "FATPACK_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run(
        [str(skip_unless_reachable()), "-c", code], capture_output=True, text=True, env=environ
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[2].endswith(f"/linux_x86_64/pp311/pyver/_ver{PP80_SUFFIX}"), proc.stdout
    assert str(tmp_path / "cache") in proc.stdout  # extracted by zipcache, under its own suffix
    assert "chose pp311-linux_x86_64 -> " in proc.stderr, proc.stderr


@pytest.mark.compile
@pytest.mark.network
def test_cpython_3_11_imports_the_cp311_payload_of_the_same_wheel(pypy_and_cpython_wheel, tmp_path):
    python = sys.executable if sys.version_info[:2] == (3, 11) else pyenv_python(11)
    assert python is not None, "a CPython 3.11: fatpack's own or pyenv's (the cp311 build found one too)"
    site = install_into(pypy_and_cpython_wheel[0], tmp_path / "site")
    code = f"import sys; sys.path.insert(0, {str(site)!r})\n{PROBE}"
    proc = subprocess.run(
        [str(python), "-I", "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "FATPACK_DEBUG": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[2].endswith("/linux_x86_64/cp311/pyver/_ver.cpython-311-x86_64-linux-gnu.so")
    assert "skip pp311-linux_x86_64: built for PyPy, this is CPython" in proc.stderr, proc.stderr
    assert "chose cp311-linux_x86_64 -> " in proc.stderr, proc.stderr


FATPACK_PROJECT = """\
[project]
name = "pyversions-fatpack"
version = "1.0"

[tool.fatpack]
python = ["cp311", "pp311"]
targets = ["linux_x86_64", "win_amd64"]

[[tool.fatpack.extension]]
name = "pyver._ver"
sources = ["src/pyver/_ver.c"]
"""


@pytest.fixture(scope="module")
def own_compiles_wheel(tmp_path_factory) -> tuple[Path, list[TargetReport]]:
    """The fixture's extension declared in [tool.fatpack] (fatpack compiles it with zig), for cp311 and
    pp311 (against sid's pypy3-dev headers, found through its pypy3.11 on PATH)."""
    root = tmp_path_factory.mktemp("own")
    shutil.copytree(PROJECTS / "pyversions" / "src", root / "project" / "src")
    (root / "project" / "pyproject.toml").write_text(FATPACK_PROJECT)
    reports: list[TargetReport] = []
    with on_path(tmp_path_factory.mktemp("pypy-bin"), [skip_unless_reachable()]):
        return assemble(Options(root / "project", root / "out"), progress=reports.append), reports


@pytest.mark.compile
@pytest.mark.network
def test_fatpacks_own_compiles_build_pp311_named_by_the_pypys_suffix(own_compiles_wheel, tmp_path):
    wheel, reports = own_compiles_wheel
    with zipfile.ZipFile(wheel) as archive:
        payloads = sorted(n for n in archive.namelist() if n.endswith((".so", ".pyd")))
    assert payloads == [
        "pyver/_fatpack/linux_x86_64/pyver._ver.cp311.so",
        f"pyver/_fatpack/linux_x86_64/pyver._ver{PP80_SUFFIX}",
        "pyver/_fatpack/win_amd64/pyver._ver.cp311.pyd",
    ]
    assert [(r.target.name, r.python) for r in reports if r.skipped] == [("win_amd64", "pp311")]
    (headers, total, path), said = probed_in_venv(wheel, tmp_path)
    assert headers.startswith("3.11.") and total == "5"
    assert path.endswith(f"/linux_x86_64/pyver._ver{PP80_SUFFIX}"), path
    assert "chose pp311-linux_x86_64 -> " in said, said


# --- PyPI's own PyPy wheels, fused ------------------------------------------------------------------------

UJSON = "import ujson; print(ujson.dumps({'a': [1, 2]}), ujson.__file__)"


def pypi_wheel(requirement: str, implementation: str, version: str, abi: str) -> Path:
    """One manylinux x86_64 wheel of `requirement` for that Python (cached in the test cache)."""
    dest = CACHE / "fuse" / requirement / f"{abi}-manylinux_2_17_x86_64"
    found = sorted(dest.glob("*.whl"))
    if not found:
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:"]
        command += ["--platform", "manylinux_2_17_x86_64", "--implementation", implementation]
        command += ["--python-version", version, "--abi", abi, requirement, "-d", str(dest)]
        subprocess.run(command, check=True)
        found = sorted(dest.glob("*.whl"))
    return found[0]


@pytest.mark.network  # fuses wheels downloaded from PyPI; compiles nothing
def test_pypis_pp39_wheel_fused_runs_on_this_debians_pypy(tmp_path):
    """ujson 5.10.0's cp311 and pp39-pypy39_pp73 wheels (its last with pp39) in one wheel: PyPy 7.3.11
    (3.9) takes the pp39 binary (bookworm's PyPy is 3.9; another release's would not be)."""
    if release_minor() != 9:
        pytest.skip(f"this Debian's PyPy is 3.{release_minor()}, ujson's last pp wheel here is pp39")
    wheels = [
        pypi_wheel("ujson==5.10.0", "cp", "311", "cp311"),
        pypi_wheel("ujson==5.10.0", "pp", "39", "pypy39_pp73"),
    ]
    (fused,) = fuse(
        wheels, tmp_path / "fused", verify=False
    )  # ujson 5.10.0's METADATA lacks its License-File
    site = install_into(fused, tmp_path / "site")
    code = f"import sys; sys.path.insert(0, {str(site)!r})\n{UJSON}"
    environ = {**os.environ, "FATPACK_DEBUG": "1"}
    proc = subprocess.run([str(release_pypy()), "-c", code], capture_output=True, text=True, env=environ)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith('{"a":[1,2]} ') and proc.stdout.rstrip().endswith(
        "/linux_x86_64/pp39/ujson.pypy39-pp73-x86_64-linux-gnu.so"
    ), proc.stdout
    assert "chose pp39-linux_x86_64 -> " in proc.stderr, proc.stderr


@pytest.mark.network  # fuses wheels downloaded from PyPI; compiles nothing
def test_a_pypi_pp73_wheel_is_refused_by_pypy_8_naming_both_abis(tmp_path):
    """ujson 6.0.0's pp311-pypy311_pp73 binary, built for PyPy 7.3's ABI: PyPy 8.0 (pp80) imports and pip
    installs only pp80 binaries, so the loader refuses it with both suffixes named."""
    pypy = skip_unless_reachable()
    wheels = [
        pypi_wheel("ujson==6.0.0", "cp", "311", "cp311"),
        pypi_wheel("ujson==6.0.0", "pp", "311", "pypy311_pp73"),
    ]
    (fused,) = fuse(wheels, tmp_path / "fused")
    site = install_into(fused, tmp_path / "site")
    code = f"import sys; sys.path.insert(0, {str(site)!r})\n{UJSON}"
    proc = subprocess.run([str(pypy), "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0
    assert (
        "ImportError: ujson: no usable native payload for this interpreter (pp311-linux_x86_64): "
        "cp311-linux_x86_64 built for CPython, this is PyPy; pp311-linux_x86_64 built for another PyPy ABI "
        "(.pypy311-pp73-x86_64-linux-gnu.so; this PyPy imports .pypy311-pp80-x86_64-linux-gnu.so)"
    ) in proc.stderr, proc.stderr


CYTHON_PROBE = (
    "import array, cythondemo._stats as s; a = array.array('d', [1.0, 2.0, 3.0, 4.0]); "
    "m = s.mean_and_std(a); s.scale_in_place(a, 2.0); print(m[0], list(a), s.__file__)"
)


@pytest.mark.compile
@pytest.mark.network
def test_a_cython_module_with_typed_memoryviews_runs_on_pypy(tmp_path):
    """tests/projects/cythondemo (Cython, typed memoryviews; fatpack cythonizes and compiles it) for pp311."""
    with on_path(tmp_path / "bin", [skip_unless_reachable()]):
        wheel = assemble(Options(PROJECTS / "cythondemo", tmp_path / "out", targets=(LINUX,), abis=(PP311,)))
    python = pypy_venv(tmp_path / "venv")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-index", str(wheel)], check=True)
    proc = subprocess.run([str(python), "-c", CYTHON_PROBE], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    mean, *scaled, path = proc.stdout.split()
    assert (mean, " ".join(scaled)) == ("2.5", "[2.0, 4.0, 6.0, 8.0]"), proc.stdout
    assert path.endswith(f"/linux_x86_64/cythondemo._stats{PP80_SUFFIX}"), path


# --- fatpack test on PyPy ---------------------------------------------------------------------------------

PYVER_TESTS = """
import pyver._ver as m


def test_add():
    assert m.add(2, 3) == 5
"""


@pytest.mark.compile
@pytest.mark.network  # pytest from the package index into each cell's venv
def test_fatpack_test_runs_the_pp311_cell_on_debians_pypy(tmp_path, capsys, monkeypatch):
    """pyversions with a test of its own, built for cp311 and pp311: `fatpack test` runs the pp311 cell in
    a venv of sid's PyPy 3.11 (found on PATH), the cp311 one on a CPython 3.11."""
    from fatpack.cli import main

    project = tmp_path / "project"
    shutil.copytree(PROJECTS / "pyversions", project)
    (project / "tests").mkdir()
    (project / "tests" / "test_ver.py").write_text(PYVER_TESTS)
    with (project / "pyproject.toml").open("a") as toml:
        toml.write('\n[tool.fatpack.test]\ncommand = "pytest {project}/tests"\nrequires = ["pytest"]\n')
    monkeypatch.setenv("FATPACK_TEST_INTERPRETERS", str(CACHE / "test-interpreters"))
    with on_path(tmp_path / "bin", [skip_unless_reachable()]):
        wheel = assemble(Options(project, tmp_path / "dist", targets=(LINUX,), abis=(CP311, PP311)))
        status = main(["test", str(wheel), "--project", str(project), "--json"])
    report = json.loads(capsys.readouterr().out)
    cells = [(c["target"], c["abi"], c["python"], c["result"]) for c in report["cells"]]
    assert cells == [("linux_x86_64", "cp311", "3.11", "passed"), ("linux_x86_64", "pp311", "3.11", "passed")]
    assert report["cells"][1]["interpreter"].startswith("PyPy 3.11 (PATH: "), report
    assert status == 0
