"""PEP 517 build backend: `[build-system] build-backend = "fatpack.backend"`.

`pip wheel .`, `pip install .` and `python -m build` then produce the fat wheel for the configured
targets, and an sdist holding the configuration and every source.
"""

from __future__ import annotations

import os
import tarfile
import time
from pathlib import Path
from typing import Any, Optional

from fatpack.assembler import dist_info_members, wheel_name
from fatpack.config import load_project
from fatpack.metadata import core_metadata
from fatpack.pipeline import Options, assemble

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
    """NAME-VERSION.tar.gz: PKG-INFO, pyproject.toml and the project's files (minus SDIST_EXCLUDED)."""
    root = Path.cwd()
    config = load_project(root)
    dist, version = wheel_name(config)
    base = f"{dist}-{version}"
    out = Path(sdist_directory) / f"{base}.tar.gz"
    temporary = out.with_name(out.name + ".tmp")
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))
    with tarfile.open(temporary, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        _add_bytes(tar, f"{base}/PKG-INFO", core_metadata(config), mtime)
        for path in sorted(_sdist_files(root)):
            tar.add(path, arcname=f"{base}/{path.relative_to(root).as_posix()}", recursive=False)
    os.replace(temporary, out)
    return out.name


def _sdist_files(root: Path) -> list[Path]:
    files = []
    for directory, subdirs, names in os.walk(root):
        at_top = Path(directory) == root
        subdirs[:] = [
            d
            for d in subdirs
            if d not in SDIST_EXCLUDED
            and not d.endswith(".egg-info")
            and not (at_top and d in SDIST_EXCLUDED_AT_TOP)
        ]
        files += [Path(directory) / name for name in names if not name.endswith((".pyc", ".so", ".pyd"))]
    return files


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: int) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = mtime
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))
