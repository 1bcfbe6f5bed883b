"""Cython sources: cythonized once per ABI, compiled per target; typed memoryviews on Linux and Windows."""

import shutil
import sys
from pathlib import Path

import pytest
from conftest import REPO, install_into, run_on_path
from winepython import WindowsPython

from fatpack.build import build_payloads
from fatpack.config import load_project
from fatpack.errors import ConfigError
from fatpack.plan import make_plan
from fatpack.targets import PythonAbi

PROJECT = REPO / "tests" / "projects" / "cythondemo"
PYX = '[[tool.fatpack.extension]]\nname = "cy._m"\nsources = ["m.pyx"]\n'
PROBE = (
    "import array, cythondemo._stats as s; a = array.array('d', [1.0, 2.0, 3.0, 6.0]); "
    "print(s.mean_and_std(a)); s.scale_in_place(a, 2.0); print(list(a), s.sizeof_long()); print(s.__file__)"
)


def test_cython_projects_default_to_cp39_abi3(make_project):
    root = make_project(tool=PYX, files={"m.pyx": "def f(): return 1\n"})
    assert load_project(root).abis == (PythonAbi(9, True),)


def test_cp38_abi3_is_refused_for_cython_with_the_reason(make_project, runner, tmp_path):
    root = make_project(tool='python = ["cp38-abi3"]\n' + PYX, files={"m.pyx": "def f(): return 1\n"})
    with pytest.raises(
        ConfigError,
        match=r"extension 'cy._m': Cython cannot build cp38-abi3 \(its limited-API floor is 3.9\)",
    ):
        build_payloads(make_plan(load_project(root)), runner, tmp_path / "w", tmp_path / "o")
    assert runner.commands == []


def test_cythonized_once_per_abi_then_compiled_per_target(make_project, runner, tmp_path):
    root = make_project(
        tool='python = ["cp39-abi3", "cp311"]\n' + PYX, files={"m.pyx": "def f(): return 1\n"}
    )
    build_payloads(make_plan(load_project(root)), runner, tmp_path / "w", tmp_path / "o")
    cython_runs = [c for c in runner.commands if c[1:3] == ["-m", "cython"]]
    compiles = [c for c in runner.commands if c[1:4] == ["-m", "ziglang", "cc"] and "-c" in c]
    assert len(cython_runs) == 2 and len(compiles) == 4  # 2 ABIs; 2 ABIs x 2 targets
    assert all(c[c.index("--module-name") + 1] == "cy._m" for c in cython_runs)
    abi3 = [c for c in compiles if "-DPy_LIMITED_API=0x03090000" in c]
    assert len(abi3) == 2 and all("-DCYTHON_LIMITED_API=1" in c for c in abi3)
    assert all(any(a.endswith(".c") for a in c) and not any(a.endswith(".pyx") for a in c) for c in compiles)


# the project builds cp311 (version-specific) from the host's own headers: only a 3.11 host can; checked
# as a mark, before the fixture, which would fail first on any other Python
HOST_IS_311 = pytest.mark.skipif(
    sys.version_info[:2] != (3, 11), reason="the project's cp311 payload needs 3.11 headers"
)


@pytest.fixture(scope="module")
def cython_wheels(tmp_path_factory):
    from fatpack.pipeline import Options, assemble

    work = tmp_path_factory.mktemp("cython")
    project = work / "cythondemo"
    shutil.copytree(PROJECT, project)
    both = assemble(Options(project_dir=project, out_dir=work / "both"))
    abi3_only = assemble(Options(project_dir=project, out_dir=work / "abi3", abis=(PythonAbi(11, True),)))
    return both, abi3_only


def linux_probe(wheel: Path, tmp_path: Path) -> list:
    site = tmp_path / "site"
    install_into(wheel, site)
    proc = run_on_path(site, PROBE)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


@pytest.mark.compile
@HOST_IS_311
@pytest.mark.parametrize(
    ("which", "payload"), [(0, "cythondemo._stats.cp311.so"), (1, "cythondemo._stats.cp311-abi3.so")]
)
def test_memoryview_module_on_linux(cython_wheels, tmp_path, which, payload):
    stats, scaled, file = linux_probe(cython_wheels[which], tmp_path)
    assert stats == "(3.0, 1.8708286933869707)"
    assert scaled == "[2.0, 4.0, 6.0, 12.0] 8"
    assert file.endswith("/linux_x86_64/" + payload)


@pytest.mark.compile
@pytest.mark.wine
@HOST_IS_311
@pytest.mark.parametrize(
    ("version", "payload"),
    [("3.11", "cythondemo._stats.cp311.pyd"), ("3.13", "cythondemo._stats.cp311-abi3.pyd")],
)
def test_memoryview_module_on_windows(cython_wheels, tmp_path, version, payload):
    python = WindowsPython(version, tmp_path / "py")
    python.pip_install(cython_wheels[0])
    stats, scaled, file = python.check("-c", PROBE).splitlines()
    assert stats == "(3.0, 1.8708286933869707)"
    assert scaled == "[2.0, 4.0, 6.0, 12.0] 4"  # sizeof(long) is 4: the Windows pyconfig.h was used
    assert file.endswith("\\win_amd64\\" + payload)
