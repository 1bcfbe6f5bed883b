"""PEP 517 build backend: `[build-system] build-backend = "fatpack.backend"`.

`pip wheel .`, `pip install .` and `python -m build` then produce the fat wheel for the configured
targets, and an sdist holding the configuration and every source.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import tarfile
from pathlib import Path
from typing import Any, Optional, Union

from fatpack.assembler import dist_info_members, wheel_name
from fatpack.atomic import atomic_path
from fatpack.config import load_project
from fatpack.errors import ConfigError
from fatpack.metadata import core_metadata
from fatpack.pipeline import Options, assemble
from fatpack.reproducible import source_date_epoch

ConfigSettings = Optional[dict[str, Any]]

# never in an sdist: version control and caches anywhere; build output and environments at the top
SDIST_EXCLUDED = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
)
SDIST_EXCLUDED_AT_TOP = frozenset({"build", "dist", ".venv", "venv", ".tox", ".nox"})


def get_requires_for_build_wheel(config_settings: ConfigSettings = None) -> list[str]:
    return []


def get_requires_for_build_sdist(config_settings: ConfigSettings = None) -> list[str]:
    return []


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: ConfigSettings = None) -> str:
    """Write NAME-VERSION.dist-info with METADATA and WHEEL, as the wheel will have them."""
    config = load_project(Path.cwd())
    dist, version = wheel_name(config)
    dist_info = f"{dist}-{version}.dist-info"
    for member in dist_info_members(config, dist_info):
        path = Path(metadata_directory) / member.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(member.read())
    return dist_info


def build_wheel(
    wheel_directory: str, config_settings: ConfigSettings = None, metadata_directory: Optional[str] = None
) -> str:
    """The fat wheel for the configured targets and ABIs; returns its file name."""
    wheel = assemble(Options(project_dir=Path.cwd(), out_dir=Path(wheel_directory)))
    return wheel.name


def build_sdist(sdist_directory: str, config_settings: ConfigSettings = None) -> str:
    """NAME-VERSION.tar.gz: PKG-INFO, pyproject.toml and the project's files (minus SDIST_EXCLUDED).

    Reproducible: every member gets the SOURCE_DATE_EPOCH timestamp (else 1980-01-01), owner root,
    mode 0644 (0755 if executable); the gzip header carries no name or time. A symlinked file (a README
    shared with the repository root) is stored as the file it points to: `fatpack assemble` reads every
    sdist fatpack writes, and it accepts regular files only."""
    root = Path.cwd()
    config = load_project(root)
    dist, version = wheel_name(config)
    base = f"{dist}-{version}"
    out = Path(sdist_directory) / f"{base}.tar.gz"
    files: dict[str, Union[bytes, Path]] = {f"{base}/PKG-INFO": core_metadata(config)}
    listed = _sdist_files(root, exclude=Path(sdist_directory))
    files.update((f"{base}/{p.relative_to(root).as_posix()}", p) for p in sorted(listed))
    with atomic_path(out) as temporary:
        _write_tar_gz(temporary, files, source_date_epoch())
    return out.name


def _write_tar_gz(path: Path, files: dict[str, Union[bytes, Path]], mtime: int) -> None:
    """A .tar.gz whose gzip header carries no file name and the fixed time."""
    with contextlib.ExitStack() as stack:
        raw = stack.enter_context(open(path, "wb"))
        zipped = stack.enter_context(gzip.GzipFile("", "wb", fileobj=raw, mtime=mtime))
        tar = stack.enter_context(tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT))
        for name, content in files.items():
            if isinstance(content, bytes):
                _add_bytes(tar, name, content, mtime)
            else:
                _add_bytes(tar, name, _read(content), mtime, executable=os.access(content, os.X_OK))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path} for the sdist: {exc.strerror or exc}") from None


def _sdist_files(root: Path, exclude: Path) -> list[Path]:
    """The project's files, through symbolic links to directories (the wheel follows them too), never
    into `exclude` (the sdist's own output directory: an earlier sdist there is not a source) nor
    round a symbolic link loop (a ConfigError naming it)."""
    files = []
    excluded = exclude.resolve()
    for directory, subdirs, names in os.walk(root, followlinks=True):
        at_top = Path(directory) == root
        subdirs[:] = [
            d
            for d in subdirs
            if d not in SDIST_EXCLUDED
            and not d.endswith(".egg-info")
            and not (at_top and d in SDIST_EXCLUDED_AT_TOP)
            and (Path(directory) / d).resolve() != excluded
        ]
        real = Path(directory).resolve()
        for d in subdirs:
            if real.is_relative_to((Path(directory) / d).resolve()):
                raise ConfigError(
                    f"{Path(directory) / d} is a symbolic link to a directory it is inside: a loop"
                )
        files += [Path(directory) / name for name in names if not name.endswith((".pyc", ".so", ".pyd"))]
    return files


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: int, executable: bool = False) -> None:
    """A regular file owned by root (uid/gid 0, no names), with the fixed mtime."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = mtime
    info.mode = 0o755 if executable else 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tar.addfile(info, io.BytesIO(data))
