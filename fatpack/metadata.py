"""Core metadata (METADATA) and entry_points.txt from the project's PEP 621 `[project]` table."""

from __future__ import annotations

import email.parser
import warnings
from pathlib import Path
from typing import Optional

import pyproject_metadata

from fatpack.config import ProjectConfig
from fatpack.errors import ConfigError


def standard_metadata(config: ProjectConfig) -> pyproject_metadata.StandardMetadata:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pyproject_metadata.StandardMetadata.from_pyproject(
                config.pyproject, project_dir=config.root, allow_extra_keys=False
            )
    except pyproject_metadata.ConfigurationError as exc:
        raise ConfigError(f"pyproject.toml: {exc}") from None


def core_metadata(config: ProjectConfig) -> bytes:
    """METADATA, with a License-File: line for each of license_files(config) (PEP 639)."""
    meta = standard_metadata(config)
    files = license_files(config, meta)
    if meta.license_files is not None or not files:
        return bytes(meta.as_rfc822())
    if not isinstance(meta.license, pyproject_metadata.License):
        meta.license_files = [Path(f) for f in files]  # an SPDX expression, or no license key
        return bytes(meta.as_rfc822())
    # a classic `license = {text|file}` cannot be combined with license-files in pyproject_metadata;
    # setuptools writes License-File beside it, and so does fatpack
    text = bytes(meta.as_rfc822()).decode("utf-8")
    head, blank, body = text.partition("\n\n")
    prefix = "License-File: "
    present = {line[len(prefix) :] for line in head.splitlines() if line.startswith(prefix)}
    extra = "".join(f"\n{prefix}{f}" for f in files if f not in present)
    return (head.rstrip("\n") + extra + "\n" + (blank[1:] + body if blank else "")).encode("utf-8")


# setuptools' defaults when a project names no license files
DEFAULT_LICENSE_PATTERNS = ("LICEN[CS]E*", "COPYING*", "NOTICE*", "AUTHORS*")


def license_files(
    config: ProjectConfig, meta: Optional[pyproject_metadata.StandardMetadata] = None
) -> list[str]:
    """The project's license files, /-separated and relative to its root, shipped under
    .dist-info/licenses/: [project] license-files if given; else the License-File entries of an sdist's
    PKG-INFO that exist, and the files at the root matching setuptools' default patterns."""
    meta = meta or standard_metadata(config)
    if meta.license_files is not None:
        return sorted({p.as_posix() for p in meta.license_files})
    found = {name for name in _pkg_info_license_files(config.root) if (config.root / name).is_file()}
    for pattern in DEFAULT_LICENSE_PATTERNS:
        found.update(p.name for p in config.root.glob(pattern) if p.is_file())
    return sorted(found)


def _pkg_info_license_files(root: Path) -> list[str]:
    try:
        text = (root / "PKG-INFO").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    names = email.parser.HeaderParser().parsestr(text).get_all("License-File") or []
    return [n.strip() for n in names if _is_safe_relative(n.strip())]


def _is_safe_relative(name: str) -> bool:
    parts = name.split("/")
    return (
        bool(name) and not name.startswith("/") and "\\" not in name and ".." not in parts and ":" not in name
    )


def entry_points_txt(config: ProjectConfig) -> Optional[str]:
    meta = standard_metadata(config)
    groups = {"console_scripts": meta.scripts, "gui_scripts": meta.gui_scripts, **meta.entrypoints}
    sections = [
        f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in entries.items())
        for group, entries in groups.items()
        if entries
    ]
    return "\n".join(sections) or None
