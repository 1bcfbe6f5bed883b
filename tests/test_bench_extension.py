"""The benchmarks' mid-sized C extension (2,300 lines: heap types, floats, libc) is correct on every
platform we can run: its check script compares each function with the standard library."""

import shutil
from pathlib import Path

import pytest
from conftest import REPO, install_into, run_on_path
from winepython import WindowsPython

pytestmark = pytest.mark.compile

MIDSIZE = REPO / "bench" / "midsize"


@pytest.fixture(scope="module")
def midsize_wheel(tmp_path_factory) -> Path:
    from fatpack.pipeline import Options, assemble
    from fatpack.targets import parse_target

    work = tmp_path_factory.mktemp("midsize")
    project = work / "midsize"
    shutil.copytree(
        MIDSIZE, project, ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__")
    )
    targets = tuple(parse_target(t) for t in ("linux_x86_64", "win_amd64"))
    return assemble(Options(project_dir=project, out_dir=work / "dist", targets=targets))


def test_midsize_on_linux(midsize_wheel, tmp_path):
    site = install_into(midsize_wheel, tmp_path / "site")
    proc = run_on_path(site, (MIDSIZE / "check.py").read_text())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "midsize ok on linux /linux_x86_64/midsize._core.abi3.so"


@pytest.mark.wine
def test_midsize_on_windows(midsize_wheel, tmp_path):
    python = WindowsPython("3.13", tmp_path / "py")
    python.pip_install(midsize_wheel)
    shutil.copy(MIDSIZE / "check.py", python.root / "check.py")
    assert python.check("check.py").strip() == r"midsize ok on win32 \win_amd64\midsize._core.abi3.pyd"
