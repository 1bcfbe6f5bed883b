"""Where `fatpack test` keeps the interpreters it provisions (python.org's embeddable CPython, Debian's
CPython for another architecture), and how a directory there is made: whole, or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from fatpack.atomic import STAGING_PREFIX
from fatpack.cache import user_cache_dir
from fatpack.testing.environments import NotRunnable


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/fatpack/test-interpreters (else ~/.cache/...); FATPACK_TEST_INTERPRETERS overrides."""
    return user_cache_dir("test-interpreters", "FATPACK_TEST_INTERPRETERS")


@dataclass(frozen=True)
class InterpreterCache:
    """Where provisioned interpreters are kept; `offline`: nothing is downloaded (--offline)."""

    directory: Path
    offline: bool = False

    def may_download(self, what: str) -> None:
        """NotRunnable when offline: `what` (missing from the cache) would have to be downloaded."""
        if self.offline:
            raise NotRunnable(
                f"{what} is not in {self.directory} and --offline downloads nothing: run once without it"
            )


def complete_dir(final: Path, make: Callable[[Path], None]) -> None:
    """Run `make(staging)` on a fresh directory beside `final`, then rename it to `final`: a directory
    in the cache is always a whole one. Another process that made it first wins."""
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=final.parent))
    try:
        make(staging)
        try:
            os.rename(staging, final)
        except OSError:
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
