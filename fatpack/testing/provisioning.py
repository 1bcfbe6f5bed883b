"""Where `fatpack test` keeps the interpreters it provisions (python.org's embeddable CPython, Debian's
CPython for another architecture), and how a directory there is made: whole, or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from fatpack.atomic import STAGING_PREFIX
from fatpack.cache import user_cache_dir


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/fatpack/test-interpreters (else ~/.cache/...); FATPACK_TEST_INTERPRETERS overrides."""
    return user_cache_dir("test-interpreters", "FATPACK_TEST_INTERPRETERS")


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
