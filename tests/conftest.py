from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Callable, Optional

import pytest
from tiers import (  # noqa: F401  (hooks: each test may run only the tools its marks name)
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_runtest_protocol,
    pytest_unconfigure,
)

REPO = Path(__file__).resolve().parent.parent
# the fixture projects' own test suites run inside `fatpack test` (tests/test_testing_e2e.py), not here
collect_ignore_glob = ["projects/*"]
EXAMPLE = REPO / "examples" / "hello"

MINIMAL_C = """\
#include <Python.h>
static struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "%(base)s", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_%(base)s(void) { return PyModule_Create(&m); }
"""


@pytest.fixture(scope="session", autouse=True)
def private_caches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No test reads or writes the user's real caches: fatpack's payload cache and the loader's zip
    extraction cache point into this run's temporary directory (subprocesses inherit it). zig's own
    cache (~/.cache/zig) stays shared: it holds zig's C runtimes, which take minutes to build."""
    root = tmp_path_factory.mktemp("caches")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FATPACK_BUILD_CACHE", str(root / "builds"))
        patch.setenv("FATPACK_CACHE_DIR", str(root / "zip"))
        patch.setenv("FATPACK_BUILD_ENVS", str(root / "build-envs"))
        patch.setenv("FATPACK_TOOLCHAINS", str(root / "toolchains"))
        # `fatpack test`'s provisioned interpreters; its Wine tests point it at FATPACK_TEST_CACHE instead
        patch.setenv("FATPACK_TEST_INTERPRETERS", str(root / "test-interpreters"))
        yield root


class RecordingRunner:
    """A Runner that records commands and writes a fake binary wherever `-o`/`-l` points (for `-E`,
    the source itself, as if preprocessing changed nothing)."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def __call__(self, command: Sequence[str], *, capture: bool = False, **options: object) -> str:
        self.commands.append(list(command))
        if capture:
            return f"{Path(command[0]).name} (recorded) 1.0\n"
        for flag in ("-o", "-l"):
            if flag in command:
                out = Path(command[command.index(flag) + 1])
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(b"fake binary for " + out.name.encode())
        if "-o" in command and ("-c" in command or "-E" in command):
            out = command.index("-o")
            source = (
                command[command.index("-c") + 1] if "-c" in command else command[out - 1]
            )  # -E: before -o
            if "-E" in command and Path(source).is_file():  # preprocessed: the source itself
                Path(command[out + 1]).write_bytes(Path(source).read_bytes())
            if "-MF" in command:  # as a compiler does: the dependency file names the source it read
                Path(command[command.index("-MF") + 1]).write_text(f"{command[out + 1]}: {source}\n")
        return ""


@pytest.fixture
def runner() -> RecordingRunner:
    return RecordingRunner()


ProjectFactory = Callable[..., Path]


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    """Write a project: `tool` is the body of [tool.fatpack] (plus extension tables), files by path."""

    def make(
        tool: str = "",
        files: Optional[dict[str, str]] = None,
        project: Optional[str] = None,
        name: str = "proj",
    ) -> Path:
        root = tmp_path / name
        root.mkdir()
        project = project if project is not None else '[project]\nname = "demo"\nversion = "1.0"\n'
        (root / "pyproject.toml").write_text(project + "\n[tool.fatpack]\n" + textwrap.dedent(tool))
        for rel, text in (files or {}).items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return root

    return make


@pytest.fixture
def demo_project(make_project: ProjectFactory) -> Path:
    """src-layout package `demo` with one C extension `demo._speed`."""
    return make_project(
        tool="""
        [[tool.fatpack.extension]]
        name = "demo._speed"
        sources = ["src/demo/_speed.c"]
        """,
        files={
            "src/demo/__init__.py": "VALUE = 1\n",
            "src/demo/data.txt": "package data\n",
            "src/demo/_speed.c": MINIMAL_C % {"base": "_speed"},
            "tests/test_demo.py": "def test(): pass\n",
        },
    )


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A private copy of examples/hello (tests never write into the repository)."""
    dest = tmp_path / "hello"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("dist", "build", "__pycache__"))
    return dest


HOST_ABI = f"cp3{sys.version_info[1]}"


def _assemble_example(tmp_path_factory, name: str, **options) -> Path:
    from fatpack.pipeline import Options, assemble
    from fatpack.targets import PythonAbi, parse_target

    work = tmp_path_factory.mktemp(name)
    project = work / "hello"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("dist", "build", "__pycache__"))
    return assemble(
        Options(
            project_dir=project,
            out_dir=work / "dist",
            targets=tuple(parse_target(t) for t in options.get("targets", ())),
            abis=tuple(PythonAbi.parse(a) for a in options.get("abis", ())),
        )
    )


@pytest.fixture(scope="session")
def hello_wheel(tmp_path_factory) -> Path:
    """examples/hello assembled as configured: linux_x86_64 + win_amd64, cp38-abi3."""
    return _assemble_example(tmp_path_factory, "hello-default")


@pytest.fixture(scope="session")
def hello_mixed_wheel(tmp_path_factory) -> Path:
    """examples/hello with an abi3 payload and a version-specific one for the host's Python."""
    return _assemble_example(tmp_path_factory, "hello-mixed", abis=("cp38-abi3", HOST_ABI))


@pytest.fixture(scope="session")
def hello_windows_only_wheel(tmp_path_factory) -> Path:
    return _assemble_example(tmp_path_factory, "hello-win", targets=("win_amd64",))


ALL_TARGETS = (
    "linux_x86_64",
    "linux_aarch64",
    "musllinux_x86_64",
    "musllinux_aarch64",
    "win_amd64",
    "win_arm64",
    "win32",
    "macosx_x86_64",
    "macosx_arm64",
    "macosx_universal2",
)


@pytest.fixture(scope="session")
def hello_all_targets_wheel(tmp_path_factory) -> Path:
    """examples/hello for every target fatpack supports, in one wheel."""
    return _assemble_example(tmp_path_factory, "hello-all", targets=ALL_TARGETS)


@pytest.fixture(scope="session")
def hello_egg(tmp_path_factory) -> Path:
    """examples/hello as an egg (linux_x86_64 + win_amd64)."""
    from fatpack.pipeline import Options, assemble

    work = tmp_path_factory.mktemp("hello-egg")
    project = work / "hello"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("dist", "build", "__pycache__"))
    return assemble(Options(project_dir=project, out_dir=work / "dist", artifact_format="egg"))


def install_into(wheel: Path, site: Path) -> Path:
    """pip install --target: the wheel's files in a directory any interpreter can put on sys.path."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-q",
        "--no-deps",
        "--no-index",
        "--target",
        str(site),
        str(wheel),
    ]
    subprocess.run(command, check=True)
    return site


def run_on_path(site: Path, code: str, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """`code` in a fresh isolated interpreter (-I) with `site` first on sys.path."""
    prelude = f"import sys; sys.path.insert(0, {str(site)!r})\n"
    return subprocess.run(
        [sys.executable, "-I", "-c", prelude + code], capture_output=True, text=True, env=env
    )
