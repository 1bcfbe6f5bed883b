"""Where one cell's tests run (an `Environment`: a fresh place holding a real interpreter of the cell's
platform, into which pip installs) and what the run came to (`CellResult`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from fatpack.testing.cells import Cell
from fatpack.testing.command import TestCommand

PASSED, FAILED, NOT_RUN = "passed", "failed", "not run"
INSTALL_TIMEOUT = 900.0  # seconds for pip to install the artifact and the test requirements
COMMAND_TIMEOUT = 3600.0  # seconds for the test command


class NotRunnable(Exception):
    """This machine cannot run the cell; the message says why and what would make it runnable."""


class Environment(Protocol):
    """A fresh environment for one cell. `install` and `run` raise BuildError when the command fails
    (its output, standard error included, in the error), ToolchainError when it cannot start."""

    @property
    def description(self) -> str:
        """The interpreter, as a user would name it: 'CPython 3.11.7 (pyenv)'."""

    def path(self, path: Path) -> str:
        """`path` as the interpreter names it (a Windows path under Wine)."""

    def install(self, requirements: Sequence[str]) -> None:
        """pip installs the requirements (the artifact's path among them) into the environment."""

    def run(self, command: TestCommand, project: Path) -> None:
        """Run the test command in the project's directory."""


@dataclass(frozen=True)
class CellResult:
    cell: Cell
    status: str  # PASSED, FAILED or NOT_RUN
    python: str  # the version it ran on ("3.11"), or was asked for; "" when not run
    interpreter: str  # what it ran on ("" when not run)
    detail: str  # failed: the failing tests or the command's last lines; not run: why

    def as_dict(self) -> dict[str, object]:
        return {
            "target": self.cell.target,
            "abi": self.cell.abi_label,
            "python": self.python,
            "result": self.status,
            "interpreter": self.interpreter,
            "detail": self.detail,
        }


_PYTEST_FAILURE = re.compile(r"^(?:FAILED|ERROR) (\S+)")
SHOWN_TESTS = 5
SHOWN_LINES = 3


def failure_summary(output: str) -> str:
    """What a failed command's output says went wrong: the node ids of the tests pytest's summary calls
    FAILED or ERROR, else the last lines it printed."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    failed = list(dict.fromkeys(m.group(1) for m in map(_PYTEST_FAILURE.match, lines) if m))
    if failed:
        more = f" and {len(failed) - SHOWN_TESTS} more" if len(failed) > SHOWN_TESTS else ""
        return "failed: " + ", ".join(failed[:SHOWN_TESTS]) + more
    return " | ".join(line.strip() for line in lines[-SHOWN_LINES:]) or "(no output)"
