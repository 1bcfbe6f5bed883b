"""The project's test command (`[tool.fatpack.test] command`, `--command`), said for one interpreter."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from fatpack.errors import ConfigError, ToolchainError

# what a shell would make of these, which the command is not run by: one command, its arguments
_SHELL_OPERATORS = {"&&", "||", "|", ";", "&", ">", ">>", "<", "2>", "2>&1"}
PYTHON_NAMES = ("{python}", "python", "python3")  # a first word that means the cell's interpreter


@dataclass(frozen=True)
class TestCommand:
    """One command and its arguments (split as a POSIX shell splits words; no shell runs it)."""

    __test__ = False  # not a test class to pytest, whose tests import it

    words: tuple[str, ...]

    @classmethod
    def parse(cls, text: str, where: str) -> TestCommand:
        try:
            words = tuple(shlex.split(text))
        except ValueError as exc:
            raise ConfigError(f"{where} {text!r} cannot be split into words: {exc}") from None
        if not words:
            raise ConfigError(f"{where} is empty: give a command, e.g. 'pytest {{project}}/tests'")
        operators = [w for w in words if w in _SHELL_OPERATORS]
        if operators:
            raise ConfigError(
                f"{where} {text!r}: {operators[0]!r} is a shell operator, and the command runs without a "
                "shell: give one command (a script of the project's can run several)"
            )
        unknown = sorted({m for w in words for m in re.findall(r"\{[^{}]*\}", w)} - {"{python}", "{project}"})
        if unknown:
            raise ConfigError(
                f"{where} {text!r}: unknown placeholder {unknown[0]} (known: {{project}}, {{python}})"
            )
        return cls(words)

    @property
    def runs_python(self) -> bool:
        """Whether the program is the cell's interpreter itself (`{python}`, `python`, `python3`)."""
        return self.words[0] in PYTHON_NAMES

    @property
    def program(self) -> str:
        """The first word: a console script or program the environment's Python installed (pytest)."""
        return self.words[0]

    def missing_program(self) -> ToolchainError:
        """The program is in no environment: say what would put it there."""
        return ToolchainError(
            f"{self.program} is not installed in the test environment: add the package that provides it "
            "to [tool.fatpack.test] requires (or --requires)"
        )

    def arguments(self, *, python: str, project: str) -> list[str]:
        """The words after the first, with the placeholders said for the interpreter."""
        return [w.replace("{python}", python).replace("{project}", project) for w in self.words[1:]]
