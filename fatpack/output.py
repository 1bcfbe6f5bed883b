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
        done: list[tuple[Path, Path]] = []  # (final, where its previous version waits in staging)
        try:
            for number, (path, final) in enumerate(zip(staged, finals)):
                previous = self.directory / f"previous-{number}"
                if final.exists():
                    os.replace(final, previous)
                done.append((final, previous))
                os.replace(path, final)
        except BaseException as exc:
            _undo(done)
            if isinstance(exc, OSError):
                raise ArtifactError(f"cannot write {final}: {exc.strerror or exc}") from None
            raise
        return finals


def _undo(done: Sequence[tuple[Path, Path]]) -> None:
    """Put each previous artifact back (or remove this run's, where there was none)."""
    for final, previous in reversed(done):
        with contextlib.suppress(OSError):
            if previous.exists():
                os.replace(previous, final)
            else:
                final.unlink(missing_ok=True)


@contextlib.contextmanager
def staged_output(out_dir: Path, keep: frozenset[Path] = frozenset()) -> Iterator[Staging]:
    """A staging directory in out_dir (created if needed); removed on the way out, together with any
    directory created for out_dir if the run failed."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ArtifactError(f"cannot write to output directory {out_dir}: it is a file")
    created = _missing_ancestors(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        directory = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    except OSError as exc:
        _remove_empty(created)
        raise ArtifactError(f"cannot write to output directory {out_dir}: {exc.strerror or exc}") from None
    try:
        yield Staging(out_dir, directory, keep)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        _remove_empty(created)
        raise
    shutil.rmtree(directory, ignore_errors=True)


def _missing_ancestors(path: Path) -> list[Path]:
    """out_dir and those of its parents that do not exist yet, innermost first."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def _remove_empty(directories: Sequence[Path]) -> None:
    for directory in directories:
        with contextlib.suppress(OSError):
            directory.rmdir()


def shown(directory: Path) -> Path:
    """The directory as the user named it: a staging directory is shown as the output directory."""
    return directory.parent if directory.name.startswith(STAGING_PREFIX) else directory
