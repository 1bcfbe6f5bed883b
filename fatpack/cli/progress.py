"""Progress on stderr: one line per finished target, and a ticker while a compile takes long.

The first build for a target on a machine also builds zig's C runtime for it (the mingw-w64 CRT for
Windows: 1-3 minutes), and nothing else is printed meanwhile. So every command the builders run is
timed: once one has run for `after` seconds, a status line names the target and says what is probably
happening, and keeps moving -- rewritten in place every second on a terminal, one line every 15 s
otherwise (a CI log).
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Callable, Optional, TextIO

from fatpack.build import TargetReport
from fatpack.runner import Runner, program_name
from fatpack.targets import TARGETS

NAME_WIDTH = max(len(name) for name in TARGETS)
_BY_TRIPLE = {t.zig_triple: t for t in TARGETS.values() if t.zig_triple}


def status_line(command: Sequence[str], elapsed: float) -> str:
    """What a slow command is doing, as a user reads it: the target and zig's likely work, or the program."""
    if "-target" in command[:-1]:
        target = _BY_TRIPLE.get(command[command.index("-target") + 1])
        if target is not None:
            runtime = "its Windows C runtime (mingw-w64)" if target.is_windows else "its C runtime"
            return (
                f"{target.name:<{NAME_WIDTH}} still compiling, {elapsed:.0f}s: zig may be building {runtime} "
                "for this target (the first build on a machine: 1-3 min; cached after that)"
            )
    return f"{program_name(command)} still running, {elapsed:.0f}s"


@dataclass
class _Running:
    command: Sequence[str]
    started: float


class Progress:
    """The progress callback (`report`) and a Runner wrapper (`timed`) sharing one stderr.

    Use as a context manager: the ticker thread stops when the block ends.
    """

    def __init__(
        self,
        stream: Optional[TextIO] = None,
        *,
        tty: Optional[bool] = None,
        after: float = 5.0,
        tty_every: float = 1.0,
        line_every: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.after = after
        self.every = tty_every if self.tty else line_every
        self.clock = clock
        self._lock = threading.Lock()
        self._running: dict[int, _Running] = {}
        self._next_id = 0
        self._status_shown = False  # a TTY status line is on screen (to be cleared before other output)
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            self._clear_status()

    def report(self, report: TargetReport) -> None:
        """One line for a finished target: name, done/failed, seconds, builder, payloads."""
        status = "failed" if report.error else "skipped" if report.skipped else "done"
        if report.error:
            detail = str(report.error).split(": ")[0]
        elif report.skipped:
            detail = f"{report.python} left out: {report.skipped}"
        else:
            detail = f"{report.payloads} payload(s)" + (
                f", {report.cached} from cache" if report.cached else ""
            )
            if report.python:
                detail += f" for {report.python}"
        with self._lock:
            self._clear_status()
            print(
                f"{report.target.name:<{NAME_WIDTH}} {status:<6} {report.seconds:6.1f}s  "
                f"[{report.builder}] {detail}",
                file=self.stream,
                flush=True,
            )

    def timed(self, runner: Runner) -> Runner:
        """`runner`, with each command it runs watched by the ticker."""

        def run(command: Sequence[str], **options: Any) -> str:  # Runner's keyword arguments, as they are
            key = self._started(command)
            try:
                return runner(command, **options)
            finally:
                with self._lock:
                    del self._running[key]

        return run

    def _started(self, command: Sequence[str]) -> int:
        with self._lock:
            key = self._next_id
            self._next_id += 1
            self._running[key] = _Running(command, self.clock())
            if self._thread is None:
                self._thread = threading.Thread(target=self._tick, name="fatpack-progress", daemon=True)
                self._thread.start()
        return key

    def _tick(self) -> None:
        last_line: dict[int, float] = {}  # not a TTY: when each command's line was last printed
        while not self._stop.wait(min(self.every, self.after) / 2):
            now = self.clock()
            with self._lock:
                slow = {key: r for key, r in self._running.items() if now - r.started >= self.after}
                if self.tty:
                    self._show_status([status_line(r.command, now - r.started) for r in slow.values()])
                    continue
                for key, running in slow.items():
                    if now - last_line.get(key, -self.every) >= self.every:
                        last_line[key] = now
                        print(
                            status_line(running.command, now - running.started), file=self.stream, flush=True
                        )

    def _show_status(self, lines: list[str]) -> None:
        """The longest-running command's line, rewritten in place and cut to the terminal's width."""
        if not lines:
            self._clear_status()
            return
        width = shutil.get_terminal_size().columns - 1
        more = f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""
        self.stream.write("\r\x1b[K" + (lines[0][: width - len(more)] + more))
        self.stream.flush()
        self._status_shown = True

    def _clear_status(self) -> None:
        if self._status_shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._status_shown = False
