"""The output directory: artifacts are written into a private staging directory inside it, checked
there, and only then renamed into place. A run that fails -- a build, a write, a verification --
leaves the output directory exactly as it was: a previous good artifact of the same name stays."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from fatpack.atomic import STAGING_PREFIX
from fatpack.errors import ArtifactError

__all__ = ["STAGING_PREFIX", "Staging", "shown", "staged_output"]


@dataclass(frozen=True)
class Staging:
    out_dir: Path
    directory: Path  # inside out_dir, so the final rename stays on one file system
    keep: frozenset[Path]  # the inputs: never replaced

    def commit(self, staged: Sequence[Path]) -> list[Path]:
        """Rename each staged artifact into out_dir (after every check passed). If one rename fails,
        those done are undone -- each previous artifact of the same name is put back -- so out_dir
        holds all of this run's artifacts or none."""
        finals = [self.out_dir / path.name for path in staged]
        for final in finals:
            if final.resolve() in self.keep:
                raise ArtifactError(f"{final} is an input; write the result elsewhere (-o)")
        for final in finals:
            if final.is_dir():
                raise ArtifactError(f"cannot write {final}: a directory has that name")
        done: list[tuple[Path, Optional[Path]]] = []  # each final renamed so far, with its previous file
        try:
            for number, (path, final) in enumerate(zip(staged, finals)):
                previous = self._keep_previous(final, number)
                os.replace(path, final)
                done.append((final, previous))
        except BaseException as exc:
            for replaced, previous in reversed(done):  # as it was: one failed rename undoes the others
                with contextlib.suppress(OSError):
                    if previous is None:
                        replaced.unlink()
                    else:
                        os.replace(previous, replaced)
            if isinstance(exc, OSError):
                raise ArtifactError(f"cannot write {final}: {exc.strerror or exc}") from None
            raise
        return finals

    def _keep_previous(self, final: Path, number: int) -> Optional[Path]:
        """A copy (a hard link where the file system allows) of the file `final` replaces, in the
        staging directory, to put back if a later rename fails; None if there is none."""
        if not final.exists():
            return None
        kept = self.directory / f"previous-{number}"
        try:
            os.link(final, kept)
        except OSError:
            shutil.copy2(final, kept)
        return kept


@contextlib.contextmanager
def staged_output(out_dir: Path, keep: frozenset[Path] = frozenset()) -> Iterator[Staging]:
    """A staging directory in out_dir (created if needed); removed on the way out, together with any
    directory created for out_dir if the run failed."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ArtifactError(f"cannot write to output directory {out_dir}: it is a file")
    created = missing_ancestors(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        directory = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    except OSError as exc:
        remove_empty(created)
        raise ArtifactError(f"cannot write to output directory {out_dir}: {exc.strerror or exc}") from None
    try:
        yield Staging(out_dir, directory, keep)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        remove_empty(created)
        raise
    shutil.rmtree(directory, ignore_errors=True)


def missing_ancestors(path: Path) -> list[Path]:
    """out_dir and those of its parents that do not exist yet, innermost first."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def remove_empty(directories: Sequence[Path]) -> None:
    for directory in directories:
        with contextlib.suppress(OSError):
            directory.rmdir()


def shown(directory: Path) -> Path:
    """The directory as the user named it: a staging directory is shown as the output directory."""
    return directory.parent if directory.name.startswith(STAGING_PREFIX) else directory
