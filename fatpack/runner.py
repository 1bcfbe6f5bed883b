"""Running external commands. Builders receive a Runner, so tests can see commands without compiling."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shlex
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Protocol, TypedDict

from fatpack.errors import BuildError, ToolchainError

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing.Unpack from 3.11; only read by type checkers

log = logging.getLogger("fatpack.commands")


class RunOptions(TypedDict, total=False):
    """A Runner's keyword arguments, all optional."""

    cwd: Optional[Path]
    env: Optional[Mapping[str, str]]  # the whole environment (None: fatpack's own)
    # return what the command wrote to standard output (a compiler's `--version` banner, its
    # `-dumpspecs`) instead of "" (its output is logged, and shown when it fails)
    capture: bool
    # for a project's own script (setup.py): nothing it starts outlives it, and CommandTimedOut is
    # raised after `timeout` seconds
    timeout: Optional[float]


class Runner(Protocol):
    def __call__(self, command: Sequence[str], **options: Unpack[RunOptions]) -> str:
        """Run `command`; raise BuildError if it fails, ToolchainError if it cannot start."""


def run_command(command: Sequence[str], **options: Unpack[RunOptions]) -> str:
    """The default Runner: a subprocess whose combined output is shown only when it fails (with
    `capture`, its standard output is returned and only its standard error shown). With `timeout`, it
    runs in its own process group, killed when it ends or times out, its output going through files:
    a background process it leaves holding that output cannot make fatpack wait."""
    log.info("%s", shlex.join(command))
    cwd, env, capture = options.get("cwd"), options.get("env"), options.get("capture", False)
    timeout = options.get("timeout")
    run = _run_piped if timeout is None else functools.partial(_run_in_own_group, timeout=timeout)
    try:
        returncode, stdout, stderr = run(command, cwd, env, capture)
    except FileNotFoundError:
        raise ToolchainError(f"{command[0]} not found: is the compiler installed and on PATH?") from None
    except PermissionError:
        raise ToolchainError(f"{command[0]} is not executable") from None
    except OSError as exc:
        raise ToolchainError(f"cannot run {command[0]}: {exc.strerror or exc}") from None
    shown = stderr if capture else stdout
    if returncode is None:
        message = f"{program_name(command)} did not finish in {timeout:g} s"
        raise CommandTimedOut(message, command=command, returncode=-1, output=shown)
    if returncode != 0:
        raise BuildError(
            f"{program_name(command)} exited with code {returncode}",
            command=command,
            returncode=returncode,
            output=shown,
        )
    if shown.strip():
        log.debug("%s", shown.rstrip())
    return stdout if capture else ""


class CommandTimedOut(BuildError):
    """A command run with a timeout did not finish in time (it and what it started were killed)."""


_Result = tuple[Optional[int], str, str]  # exit status (None: timed out), stdout, stderr


def _run_piped(
    command: Sequence[str], cwd: Optional[Path], env: Optional[Mapping[str, str]], capture: bool
) -> _Result:
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
    return proc.returncode, proc.stdout, proc.stderr or ""


def _run_in_own_group(
    command: Sequence[str],
    cwd: Optional[Path],
    env: Optional[Mapping[str, str]],
    capture: bool,
    *,
    timeout: float,
) -> _Result:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err if capture else out,
            start_new_session=True,
        )
        try:
            returncode: Optional[int] = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            returncode = None
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        texts = []
        for file in (out, err):
            file.seek(0)
            texts.append(file.read().decode("utf-8", "replace"))
    return returncode, texts[0], texts[1]


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
