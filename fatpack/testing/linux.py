"""linux_x86_64 cells: a fresh venv of a CPython (a PyPy for a pp cell) found on this machine
(fatpack/interpreters.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Optional

from fatpack.errors import BuildError, ConfigError
from fatpack.interpreters import Interpreter, Places, find_interpreter
from fatpack.runner import Runner
from fatpack.targets import CPYTHON, PYPY
from fatpack.testing.cells import Cell
from fatpack.testing.command import TestCommand
from fatpack.testing.environments import COMMAND_TIMEOUT, INSTALL_TIMEOUT, NotRunnable

NEWEST_MINOR = 15  # the newest CPython 3.Y an abi3 cell looks for when its floor is not found
VENV_TIMEOUT = 300.0
# what the environment must not take from fatpack's (another interpreter's paths, another venv)
_NOT_INHERITED = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")


def find_for(cell: Cell, runner: Runner, places: Optional[Places] = None) -> Interpreter:
    """The CPython the cell runs on: the version asked, or its own (version-specific), or the lowest
    version found at or above the floor (abi3); NotRunnable naming how to add one."""
    versions = cell.versions(NEWEST_MINOR)
    implementation = PYPY if cell.pypy else CPYTHON
    for _, minor in versions:
        try:
            return find_interpreter(minor, cell.free_threaded, runner, places, implementation=implementation)
        except ConfigError as exc:
            if cell.pypy:  # one version: the line says what was tried and how to add one
                raise NotRunnable(str(exc)) from None
            continue
    kind = "t" if cell.free_threaded else ""
    wanted = f"3.{versions[0][1]}{kind}"
    if len(versions) > 1:
        wanted += f" to 3.{versions[-1][1]}{kind}"
    lowest = f"3.{versions[0][1]}{kind}"
    raise NotRunnable(
        f"no CPython {wanted} (with headers) found: add one with `pyenv install {lowest}` or "
        f"`uv python install {lowest}`"
    )


class LinuxVenv:
    """A venv made by `interpreter` in `where` (which must not exist yet)."""

    def __init__(self, interpreter: Interpreter, where: Path, runner: Runner):
        self.interpreter = interpreter
        self.where = where
        self.runner = runner
        self.python = str(where / "bin" / "python")
        try:
            runner([interpreter.path, "-I", "-m", "venv", str(where)], timeout=VENV_TIMEOUT)
        except BuildError as exc:
            minor = interpreter.version[1]
            raise NotRunnable(
                f"{interpreter.path} cannot make a venv ({_last_line(exc.output) or exc}): on Debian, "
                f"apt-get install python3.{minor}-venv"
            ) from None

    @property
    def description(self) -> str:
        version = "{}.{}".format(*self.interpreter.version)
        kind = "t" if self.interpreter.free_threaded else ""
        name = "PyPy" if self.interpreter.implementation == PYPY else "CPython"
        return f"{name} {version}{kind} ({self.interpreter.where}: {self.interpreter.path})"

    def path(self, path: Path) -> str:
        return str(path)

    def environ(self) -> Mapping[str, str]:
        inherited = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        bin_dir = str(self.where / "bin")
        path = os.pathsep.join([bin_dir, *[d for d in inherited.get("PATH", "").split(os.pathsep) if d]])
        return {**inherited, "PATH": path, "VIRTUAL_ENV": str(self.where)}

    def install(self, requirements: Sequence[str]) -> None:
        pip = [self.python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q"]
        self.runner([*pip, *requirements], env=self.environ(), timeout=INSTALL_TIMEOUT)

    def run(self, command: TestCommand, project: Path) -> None:
        script = self.where / "bin" / command.program
        # only the environment's own programs: this machine's `pytest` would test another Python
        if not command.runs_python and not script.is_file():
            raise command.missing_program()
        program = self.python if command.runs_python else str(script)
        arguments = command.arguments(python=self.python, project=str(project))
        self.runner([program, *arguments], cwd=project, env=self.environ(), timeout=COMMAND_TIMEOUT)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
