"""`fatpack test` for real: examples/hello's tests pass on two CPythons found here (venvs) and on
python.org's CPython under Wine; a payload wrong on Windows only fails exactly the win_amd64 cell, the
failing test named. pytest comes from the package index (network, the first time); python.org's
embeddable CPython is provisioned into FATPACK_TEST_CACHE, so later runs reuse it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE, REPO
from winepython import CACHE

from fatpack.cli import main
from fatpack.pipeline import Options, assemble
from fatpack.targets import PythonAbi, parse_target

pytestmark = [pytest.mark.compile, pytest.mark.network]


@pytest.fixture(autouse=True)
def shared_interpreters(monkeypatch):
    """The tests' own download cache (not the user's, not one per run: a Wine prefix and four
    embeddable CPythons are worth keeping)."""
    monkeypatch.setenv("FATPACK_TEST_INTERPRETERS", str(CACHE / "test-interpreters"))


def assembled(
    project: Path, tmp_path: Path, abis: tuple[str, ...] = (), targets: tuple[str, ...] = ()
) -> tuple[Path, Path]:
    """A private copy of `project` and the wheel fatpack assembles from it (for `abis` and `targets`,
    if given)."""
    copy = tmp_path / project.name
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("dist", "build", "__pycache__"))
    options = Options(
        project_dir=copy,
        out_dir=tmp_path / "dist",
        abis=tuple(PythonAbi.parse(a) for a in abis),
        targets=tuple(parse_target(t) for t in targets),
    )
    return copy, assemble(options)


def run_json(capsys, *args: str) -> tuple[int, dict]:
    status = main(["test", *args, "--json"])
    captured = capsys.readouterr()
    return status, json.loads(captured.out)


@pytest.mark.wine
def test_hello_passes_on_two_linux_cpythons_and_under_wine(tmp_path, capsys):
    project, wheel = assembled(EXAMPLE, tmp_path)
    status, report = run_json(
        capsys, str(wheel), "--project", str(project), "--python", "3.8", "--python", "3.12"
    )
    cells = [(c["target"], c["abi"], c["python"], c["result"]) for c in report["cells"]]
    assert cells == [
        ("linux_x86_64", "cp38-abi3", "3.8", "passed"),
        ("linux_x86_64", "cp38-abi3", "3.12", "passed"),
        ("win_amd64", "cp38-abi3", "3.8", "passed"),
        ("win_amd64", "cp38-abi3", "3.12", "passed"),
    ], report
    assert status == 0
    interpreters = [c["interpreter"] for c in report["cells"]]
    assert interpreters[0].startswith("CPython 3.8 (") and interpreters[1].startswith("CPython 3.12 (")
    assert interpreters[2:] == [f"python.org CPython 3.{m} (embeddable, amd64) under Wine" for m in (8, 12)]


@pytest.mark.wine
def test_version_specific_payloads_each_run_on_their_own_version(tmp_path, capsys):
    """hello built as cp310 and cp312 (two payloads per target): each cell on its own CPython, found
    here or python.org's under Wine, which imports only the payload of its version."""
    project, wheel = assembled(EXAMPLE, tmp_path, abis=("cp310", "cp312"))
    status, report = run_json(capsys, str(wheel), "--project", str(project))
    cells = [(c["target"], c["abi"], c["python"], c["result"]) for c in report["cells"]]
    assert cells == [
        ("linux_x86_64", "cp310", "3.10", "passed"),
        ("linux_x86_64", "cp312", "3.12", "passed"),
        ("win_amd64", "cp310", "3.10", "passed"),
        ("win_amd64", "cp312", "3.12", "passed"),
    ], report
    assert status == 0


@pytest.mark.wine
def test_a_windows_only_bug_fails_exactly_the_windows_cell_naming_the_test(tmp_path, capsys):
    project, wheel = assembled(REPO / "tests" / "projects" / "winbug", tmp_path)
    status = main(["test", str(wheel), "--project", str(project)])
    captured = capsys.readouterr()
    table = captured.out.splitlines()
    assert status == 1
    assert table[1].split()[:4] == ["linux_x86_64", "cp38-abi3", "3.8", "passed"]
    assert table[2].split() == [
        "win_amd64",
        "cp38-abi3",
        "3.8",
        "failed",
        "failed:",
        "tests/test_calc.py::test_double",
    ]
    assert table[-1] == "1 passed, 1 failed, 0 not run"
    assert "[2/2] win_amd64 cp38-abi3: failed" in captured.err


@pytest.mark.qemu
def test_hello_passes_on_debians_arm64_cpython_under_qemu(tmp_path, capsys):
    """The abi3 payload for linux_aarch64 on Debian's arm64 CPython 3.11 (the only version there),
    pytest and the artifact installed as that platform's wheels."""
    project, wheel = assembled(EXAMPLE, tmp_path, targets=("linux_x86_64", "linux_aarch64"))
    status, report = run_json(capsys, str(wheel), "--project", str(project), "--target", "linux_aarch64")
    assert [(c["target"], c["abi"], c["python"], c["result"], c["interpreter"]) for c in report["cells"]] == [
        ("linux_aarch64", "cp38-abi3", "3.11", "passed", "Debian's CPython 3.11 (arm64) under qemu-user")
    ], report
    assert status == 0
    status, report = run_json(
        capsys, str(wheel), "--project", str(project), "--target", "linux_aarch64", "--python", "3.12"
    )
    assert report["cells"][0]["result"] == "not run"
    assert "3.11 only" in report["cells"][0]["detail"]
