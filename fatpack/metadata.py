"""Core metadata (METADATA) and entry_points.txt from the project's PEP 621 `[project]` table."""

from __future__ import annotations

import warnings
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
    return bytes(standard_metadata(config).as_rfc822())


def entry_points_txt(config: ProjectConfig) -> Optional[str]:
    meta = standard_metadata(config)
    groups = {"console_scripts": meta.scripts, "gui_scripts": meta.gui_scripts, **meta.entrypoints}
    sections = [
        f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in entries.items())
        for group, entries in groups.items()
        if entries
    ]
    return "\n".join(sections) or None
