"""Cython sources: cythonized once per ABI, compiled per target; typed memoryviews on Linux and Windows."""

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest
from conftest import REPO, install_into, run_on_path
from winepython import WindowsPython

from fatpack.build import build_payloads
from fatpack.cache import PayloadCache
from fatpack.config import ExtensionConfig, load_project
from fatpack.cython_abis import CheckContext, fitting_abis
from fatpack.cythonize import cythonize
from fatpack.errors import ConfigError
from fatpack.plan import make_plan
from fatpack.runner import run_command
from fatpack.targets import PythonAbi

PROJECT = REPO / "tests" / "projects" / "cythondemo"
PYX = '[[tool.fatpack.extension]]\nname = "cy._m"\nsources = ["m.pyx"]\n'
PROBE = (
    "import array, cythondemo._stats as s; a = array.array('d', [1.0, 2.0, 3.0, 6.0]); "
    "print(s.mean_and_std(a)); s.scale_in_place(a, 2.0); print(list(a), s.sizeof_long()); print(s.__file__)"
)


def test_cython_projects_default_to_cp39_abi3(make_project):
    root = make_project(tool=PYX, files={"m.pyx": "def f(): return 1\n"})
    config = load_project(root)
    assert config.abis == (PythonAbi(9, True),)
    assert config.abis_default and make_plan(config).abis_default  # a build may raise it (memoryviews)


def test_an_abi_the_user_chose_is_not_the_default(make_project):
    chosen = make_project(tool='python = ["cp39-abi3"]\n' + PYX, files={"m.pyx": "def f(): return 1\n"})
    assert not load_project(chosen).abis_default and not make_plan(load_project(chosen)).abis_default
    default = load_project(make_project(tool=PYX, files={"m.pyx": ""}, name="other"))
    assert not make_plan(default, abis=(PythonAbi(9, True),)).abis_default  # --python cp39-abi3


def test_cp38_abi3_is_refused_for_cython_with_the_reason(make_project, runner, tmp_path):
    root = make_project(tool='python = ["cp38-abi3"]\n' + PYX, files={"m.pyx": "def f(): return 1\n"})
    with pytest.raises(
        ConfigError,
        match=r"extension 'cy._m': Cython cannot build cp38-abi3 \(its limited-API floor is 3.9\)",
    ):
        build_payloads(make_plan(load_project(root)), runner, tmp_path / "w", tmp_path / "o")
    assert runner.commands == []


def test_cythonized_once_for_every_abi_then_compiled_per_target_and_abi(make_project, runner, tmp_path):
    """The generated C does not depend on the ABI (the limited API is chosen by C macros at compile
    time), so one Cython run serves cp39-abi3 and cp311; each compile adds its ABI's macros."""
    root = make_project(
        tool='python = ["cp39-abi3", "cp311"]\n' + PYX, files={"m.pyx": "def f(): return 1\n"}
    )
    build_payloads(make_plan(load_project(root)), runner, tmp_path / "w", tmp_path / "o")
    cython_runs = [c for c in runner.commands if c[1:3] == ["-m", "cython"]]
    compiles = [c for c in runner.commands if c[1:4] == ["-m", "ziglang", "cc"] and "-c" in c]
    assert len(cython_runs) == 1 and len(compiles) == 4  # 1 extension; 2 ABIs x 2 targets
    assert cython_runs[0][cython_runs[0].index("--module-name") + 1] == "cy._m"
    abi3 = [c for c in compiles if "-DPy_LIMITED_API=0x03090000" in c]
    assert len(abi3) == 2 and all("-DCYTHON_LIMITED_API=1" in c for c in abi3)
    assert not any("-DCYTHON_LIMITED_API=1" in c for c in compiles if c not in abi3)
    generated = {a for c in compiles for a in c if a.endswith(".c")}
    assert len(generated) == 1 and not any(a.endswith(".pyx") for c in compiles for a in c)


# --- the generated C: cached, and the same wherever fatpack is started ---


class CountingRunner:
    """run_command, counting the Cython runs."""

    def __init__(self) -> None:
        self.cython_runs = 0

    def __call__(self, command, **options):
        self.cython_runs += list(command[1:3]) == ["-m", "cython"]
        return run_command(command, **options)


def cythonized(root: Path, runner, out: Path, cache: PayloadCache, name: str = "pkg.m") -> bytes:
    extension = ExtensionConfig(name, (root / "pkg" / "m.pyx",))
    (generated,) = cythonize(extension, runner, out, root, cache).sources
    return generated.read_bytes()


@pytest.fixture
def cimporting(tmp_path: Path) -> Path:
    """pkg/m.pyx cimports pkg/helper.pxd."""
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "helper.pxd").write_text("cdef inline int twice(int x):\n    return 2 * x\n")
    (root / "pkg" / "m.pyx").write_text("from pkg.helper cimport twice\n\ndef f(x):\n    return twice(x)\n")
    return root


def test_generated_c_is_cached_until_a_file_cython_read_changes(cimporting, tmp_path):
    cache, runner = PayloadCache(tmp_path / "cache"), CountingRunner()
    first = cythonized(cimporting, runner, tmp_path / "run1", cache)
    assert cythonized(cimporting, runner, tmp_path / "run2", cache) == first
    assert runner.cython_runs == 1  # the second run took it from the cache
    (cimporting / "pkg" / "helper.pxd").write_text("cdef inline int twice(int x):\n    return x + x\n")
    changed = cythonized(cimporting, runner, tmp_path / "run3", cache)
    assert runner.cython_runs == 2 and b"return x + x" in changed  # the cimported .pxd is keyed
    (cimporting / "pkg" / "m.pyx").write_text("# cython: boundscheck=False\n" + "def f(x):\n    return x\n")
    cythonized(cimporting, runner, tmp_path / "run4", cache)
    assert runner.cython_runs == 3  # a directive comment is the .pyx's content
    cythonized(cimporting, runner, tmp_path / "run5", cache, name="pkg.other")
    assert runner.cython_runs == 4  # the command (here the module name) is keyed


def test_generated_c_does_not_depend_on_where_fatpack_runs(cimporting, tmp_path, monkeypatch):
    """Cython writes the source's path relative to its working directory into the module: it runs in
    the project's root, so two runs started from different directories make the same file."""
    no_cache = PayloadCache(None)
    monkeypatch.chdir(tmp_path)
    here = cythonized(cimporting, run_command, tmp_path / "a", no_cache)
    monkeypatch.chdir(cimporting / "pkg")
    there = cythonized(cimporting, run_command, tmp_path / "b", no_cache)
    assert here == there and b'"pkg/m.pyx"' in here


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


# --- the buffer protocol: in the limited API only from 3.11 ---

MEMVIEW = REPO / "tests" / "projects" / "cythonmemview"
CP39, CP311 = PythonAbi.parse("cp39-abi3"), PythonAbi.parse("cp311-abi3")
ENDSWITH_PYX = "def f(bytes b):\n    return b.endswith(b'x')\n"


def cythonized_module(
    root: Path, name: str, pyx: Path, tmp_path: Path
) -> tuple[ExtensionConfig, ExtensionConfig]:
    configured = ExtensionConfig(name, (pyx,))
    return configured, cythonize(configured, run_command, tmp_path / "c" / name, root, PayloadCache(None))


def checks(tmp_path: Path, runner=run_command, cache: Optional[PayloadCache] = None) -> CheckContext:
    return CheckContext(runner, tmp_path / "c", cache or PayloadCache(None), tmp_path)


@pytest.mark.compile
def test_a_typed_memoryview_raises_the_default_to_cp311_abi3_in_one_line(tmp_path, caplog):
    module = cythonized_module(MEMVIEW, "memview._sum", MEMVIEW / "src" / "memview" / "_sum.pyx", tmp_path)
    with caplog.at_level(logging.WARNING, logger="fatpack"):
        assert fitting_abis([module], [CP39], True, checks(tmp_path)) == (CP311,)
    assert [r.getMessage() for r in caplog.records] == [
        "note: memview._sum uses a typed memoryview: the buffer protocol is in the limited API only from "
        "3.11, so building cp311-abi3, not the default cp39-abi3 (set python in [tool.fatpack] to choose)"
    ]
    mixed = [CP39, PythonAbi.parse("cp310-abi3"), PythonAbi.parse("cp312")]
    assert fitting_abis([module], mixed, True, checks(tmp_path)) == (CP311, mixed[2])


@pytest.mark.compile
@pytest.mark.parametrize("chosen", ["cp39-abi3", "cp310-abi3"])
def test_a_chosen_floor_below_311_is_refused_naming_the_module_and_what_to_write(tmp_path, chosen):
    module = cythonized_module(MEMVIEW, "memview._sum", MEMVIEW / "src" / "memview" / "_sum.pyx", tmp_path)
    with pytest.raises(ConfigError) as caught:
        fitting_abis([module], [PythonAbi.parse(chosen)], False, checks(tmp_path))
    assert str(caught.value) == (
        f"extension 'memview._sum' uses a typed memoryview: the buffer protocol is in the limited API only "
        f'from 3.11, so it cannot build as {chosen}: write python = ["cp311-abi3"] in [tool.fatpack] '
        f'(or --python cp311-abi3), or a version-specific ABI such as "cp3{sys.version_info[1]}"'
    )
    assert fitting_abis([module], [CP311, PythonAbi.parse("cp310")], False, checks(tmp_path)) == (
        CP311,
        PythonAbi.parse("cp310"),
    )  # version-specific ABIs and floors from 3.11 have the buffer protocol: nothing to check


@pytest.mark.compile
def test_buffer_code_cython_guards_for_the_limited_api_keeps_cp39_abi3(tmp_path):
    """Cython writes Py_buffer into bytes.endswith's fast path, compiled only outside the limited API
    below 3.11: the generated C names it, the limited-API compile does not see it (a text search would
    wrongly refuse this module)."""
    root = tmp_path / "proj"
    (root / "tp").mkdir(parents=True)
    (root / "tp" / "_t.pyx").write_text(ENDSWITH_PYX)
    module = cythonized_module(root, "tp._t", root / "tp" / "_t.pyx", tmp_path)
    assert b"Py_buffer" in module[1].sources[0].read_bytes()
    assert fitting_abis([module], [CP39], False, checks(tmp_path)) == (CP39,)


@pytest.mark.compile
def test_the_command_line_gives_one_error_line_instead_of_twenty_compiler_errors(tmp_path, capsys):
    from fatpack.cli import main

    shutil.copytree(MEMVIEW, tmp_path / "memview")
    out = tmp_path / "out"
    assert main(["assemble", str(tmp_path / "memview"), "--python", "cp39-abi3", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: extension 'memview._sum' uses a typed memoryview: the buffer protocol is")
    assert err.count("\n") == 1 and "Py_buffer" not in err and not out.exists()


@pytest.mark.compile
def test_the_verdict_is_cached_until_the_generated_file_changes(tmp_path):
    module = cythonized_module(MEMVIEW, "memview._sum", MEMVIEW / "src" / "memview" / "_sum.pyx", tmp_path)
    cache, runs = PayloadCache(tmp_path / "cache"), []

    def runner(command, **options):
        runs.append(command)
        return run_command(command, **options)

    for _ in range(2):
        assert fitting_abis([module], [CP39], True, checks(tmp_path, runner, cache)) == (CP311,)
    assert len(runs) == 1  # the second check came from the cache
    generated = module[1].sources[0]
    generated.write_text('#include "Python.h"\nint no_buffers(void) { return 0; }\n')
    assert fitting_abis([module], [CP39], False, checks(tmp_path, runner, cache)) == (CP39,)
    assert len(runs) == 2


GETBUFFER_PYX = """\
from cpython.buffer cimport PyBuffer_FillInfo

cdef class Three:
    cdef char data[3]

    def __getbuffer__(self, Py_buffer *view, int flags):
        PyBuffer_FillInfo(view, self, self.data, 3, 1, flags)
"""


@pytest.mark.compile
def test_a_getbuffer_is_named_as_py_buffer(tmp_path):
    root = tmp_path / "proj"
    (root / "gb").mkdir(parents=True)
    (root / "gb" / "_b.pyx").write_text(GETBUFFER_PYX)
    module = cythonized_module(root, "gb._b", root / "gb" / "_b.pyx", tmp_path)
    with pytest.raises(
        ConfigError, match=r"^extension 'gb._b' uses Py_buffer \(a __getbuffer__ or a buffer-typed"
    ):
        fitting_abis([module], [CP39], False, checks(tmp_path))


# --- end to end: the memoryview project with no `python` set, on Linux 3.11/3.12 and Windows 3.11 ---

MEMVIEW_PROBE = (
    "import array, memview._sum as s; print(s.total(array.array('d', [1.5, 2.5, 3.0]))); print(s.__file__)"
)


def pyenv_python(minor: int) -> Optional[Path]:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found = sorted((root / "versions").glob(f"3.{minor}.*/bin/python3.{minor}"))
    return found[-1] if found else None


@pytest.fixture(scope="module")
def memview_wheel(tmp_path_factory) -> Path:
    from fatpack.pipeline import Options, assemble

    work = tmp_path_factory.mktemp("memview")
    shutil.copytree(MEMVIEW, work / "memview")
    return assemble(Options(project_dir=work / "memview", out_dir=work / "out"))  # no ABI chosen


@pytest.mark.compile
@pytest.mark.parametrize("minor", [11, 12])
def test_memoryview_project_with_the_default_abi_runs_on_linux(memview_wheel, tmp_path, minor):
    python = sys.executable if sys.version_info[1] == minor else pyenv_python(minor)
    if python is None:
        pytest.skip(f"CPython 3.{minor} from pyenv is needed (CI has it)")
    site = install_into(memview_wheel, tmp_path / "site")
    code = f"import sys; sys.path.insert(0, {str(site)!r}); {MEMVIEW_PROBE}"
    proc = subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    total, file = proc.stdout.splitlines()
    assert total == "7.0"
    assert file.endswith("/linux_x86_64/memview._sum.cp311-abi3.so")


@pytest.mark.compile
@pytest.mark.wine
def test_memoryview_project_with_the_default_abi_runs_on_windows(memview_wheel, tmp_path):
    python = WindowsPython("3.11", tmp_path / "py")
    python.pip_install(memview_wheel)
    total, file = python.check("-c", MEMVIEW_PROBE).splitlines()
    assert total == "7.0"
    assert file.endswith("\\win_amd64\\memview._sum.cp311-abi3.pyd")
