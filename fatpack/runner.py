"""Running external commands. Builders receive a Runner, so tests can see commands without compiling."""

from __future__ import annotations

import logging
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Optional, Protocol

from fatpack.errors import BuildError, ToolchainError

log = logging.getLogger("fatpack.commands")


class Runner(Protocol):
    def __call__(
        self,
        command: Sequence[str],
        *,
        cwd: Optional[Path] = None,
        env: Optional[Mapping[str, str]] = None,
        capture: bool = False,
    ) -> str:
        """Run `command`; raise BuildError if it fails, ToolchainError if it cannot start. With
        `capture`, return what it wrote to standard output (a compiler's `--version` banner, its
        `-dumpspecs`); otherwise return "" (its output is logged, and shown when it fails)."""


def run_command(
    command: Sequence[str],
    *,
    cwd: Optional[Path] = None,
    env: Optional[Mapping[str, str]] = None,
    capture: bool = False,
) -> str:
    """The default Runner: a subprocess whose combined output is shown only when it fails (with
    `capture`, its standard output is returned and only its standard error shown)."""
    log.info("%s", shlex.join(command))
    try:
        proc = subprocess.run(
            list(command),
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if capture else subprocess.STDOUT,
            text=True,
            errors="replace",
            check=False,
        )
    except FileNotFoundError:
        raise ToolchainError(f"{command[0]} not found: is the compiler installed and on PATH?") from None
    except PermissionError:
        raise ToolchainError(f"{command[0]} is not executable") from None
    shown = proc.stderr if capture else proc.stdout
    if proc.returncode != 0:
        raise BuildError(
            f"{program_name(command)} exited with code {proc.returncode}",
            command=command,
            returncode=proc.returncode,
            output=shown,
        )
    if shown.strip():
        log.debug("%s", shown.rstrip())
    return proc.stdout if capture else ""


def program_name(command: Sequence[str]) -> str:
    """How a user would name the program: 'zig cc' for `python -m ziglang cc`, else the file name."""
    if len(command) > 3 and list(command[1:3]) == ["-m", "ziglang"]:
        return f"zig {command[3]}"
    return Path(command[0]).name


def zig_command(tool: str) -> list[str]:
    """`python -m ziglang TOOL`: zig from PyPI, one compiler for every target."""
    return [sys.executable, "-m", "ziglang", tool]


def version_banner(runner: Runner, command: Sequence[str]) -> str:
    """The first line `command --version` prints (a compiler's identity, for the payload cache key); a
    ToolchainError naming the tool when it cannot say."""
    try:
        banner = runner([*command, "--version"], capture=True)
    except BuildError as exc:
        said = exc.output.strip().splitlines()
        why = f": {said[-1]}" if said else ""
        name = program_name(command)
        raise ToolchainError(f"{name} --version exited with code {exc.returncode}{why}") from None
    lines = banner.strip().splitlines()
    return lines[0] if lines else f"{program_name(command)} (no version banner)"
