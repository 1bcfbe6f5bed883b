"""Two projects sharing a PEP 420 namespace package `ns` (issue 13, section 2): `nsa` ships `ns.a._core`,
`nsb` ships `ns.b._core`. Each one's loader files are its own (`ns/_fatpack_nsa/`, `ns/_fatpack_nsb/`),
so both import when installed together and either still imports once the other is uninstalled. The
same for two fused wheels in one namespace."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import MINIMAL_C
from fakewheels import make_wheel

from fatpack.pipeline import Options, assemble, fuse

pytestmark = pytest.mark.compile

BOTH = "import ns.a._core as a, ns.b._core as b; print(a.__name__, b.__name__)"


def project(make_project, letter: str) -> Path:
    return make_project(
        tool=f"""
        targets = ["linux_x86_64"]
        python = ["cp38-abi3"]

        [[tool.fatpack.extension]]
        name = "ns.{letter}._core"
        sources = ["src/ns/{letter}/_core.c"]
        """,
        files={
            f"src/ns/{letter}/__init__.py": "",
            f"src/ns/{letter}/_core.c": MINIMAL_C % {"base": "_core"},
        },
        project=f'[project]\nname = "ns{letter}"\nversion = "1.0"\n',
        name=f"ns{letter}",
    )


def plain_wheel(tmp_path: Path, letter: str) -> Path:
    """A platform wheel as setuptools would build it: ns/<letter>/_core.<EXT_SUFFIX>, no ns/__init__.py."""
    source = tmp_path / f"{letter}.c"
    source.write_text(MINIMAL_C % {"base": "_core"})
    binary = tmp_path / f"{letter}.so"
    include = sysconfig.get_paths()["include"]
    subprocess.run(["cc", "-shared", "-fPIC", f"-I{include}", "-o", binary, source], check=True)
    tag = f"cp3{sys.version_info[1]}"
    files = {
        f"ns/{letter}/__init__.py": b"",
        f"ns/{letter}/_core{sysconfig.get_config_var('EXT_SUFFIX')}": binary.read_bytes(),
    }
    return make_wheel(tmp_path / "plain", f"ns{letter}-1.0-{tag}-{tag}-linux_x86_64.whl", files)


def venv(tmp_path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", tmp_path / "venv"], check=True)
    return tmp_path / "venv" / "bin" / "python"


def pip(python: Path, *arguments) -> None:
    command = [sys.executable, "-m", "pip", "--python", str(python), "-q", *map(str, arguments)]
    subprocess.run(command, check=True)


def run(python: Path, code: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True)


def check_install_both_then_uninstall_one(wheels: list[Path], tmp_path: Path) -> None:
    python = venv(tmp_path)
    pip(python, "install", "--no-index", "--no-deps", *wheels)
    both = run(python, BOTH)
    assert both.stdout == "ns.a._core ns.b._core\n", both.stderr
    pip(python, "uninstall", "-y", "nsa")
    assert run(python, "import ns.a._core").returncode == 1
    alone = run(python, "import ns.b._core as b; print(b.__name__)")
    assert alone.stdout == "ns.b._core\n", alone.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="imports the linux_x86_64 payloads")
def test_two_projects_in_one_namespace(make_project, tmp_path):
    wheels = [
        assemble(Options(project_dir=project(make_project, letter), out_dir=tmp_path / "dist"))
        for letter in "ab"
    ]
    for wheel, letter in zip(wheels, "ab"):
        with __import__("zipfile").ZipFile(wheel) as zf:
            names = zf.namelist()
        assert f"ns/_fatpack_ns{letter}/__init__.py" in names
        assert not any(name.startswith("ns/_fatpack/") for name in names)
    check_install_both_then_uninstall_one(wheels, tmp_path)


@pytest.mark.skipif(sys.platform != "linux", reason="imports the linux_x86_64 payloads")
def test_two_fused_wheels_in_one_namespace(tmp_path):
    wheels = [fuse([plain_wheel(tmp_path, letter)], tmp_path / "fused", verify=False)[0] for letter in "ab"]
    check_install_both_then_uninstall_one(wheels, tmp_path)
