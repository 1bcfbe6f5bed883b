"""Writing a file so that readers (other processes, a crash's survivors) see the whole file or none."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

STAGING_PREFIX = ".fatpack-"  # fatpack's private directories inside a directory the user named


@contextlib.contextmanager
def atomic_path(final: Path, *, same_name: bool = False) -> Iterator[Path]:
    """A temporary path on `final`'s file system for the block to write; renamed onto `final` when the
    block succeeds, removed when it fails (`final` is then as it was). The name is one no other
    process uses. With `same_name` the temporary file has `final`'s own name, in a private
    directory beside it (a WheelFile reads its metadata directory's name from its file name)."""
    directory = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=final.parent)) if same_name else None
    if directory is not None:
        temporary = directory / final.name
    else:
        temporary = final.with_name(f".{final.name}.{os.getpid()}.{os.urandom(8).hex()}.tmp")
    try:
        yield temporary
        os.replace(temporary, final)
    finally:
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
        else:
            temporary.unlink(missing_ok=True)


def write_bytes(final: Path, content: bytes) -> None:
    """`final.write_bytes(content)`, atomically (see atomic_path)."""
    with atomic_path(final) as temporary:
        temporary.write_bytes(content)
