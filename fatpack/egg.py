"""The egg artifact: the same package contents as the wheel, with EGG-INFO, for use from sys.path.

pip does not install eggs; an egg is for putting on sys.path (or in a zipapp) as it is. The runtime
loader extracts the chosen payload to a per-user cache, since a binary cannot be loaded from a zip.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from fatpack.assembler import Member, package_members, wheel_name, write_atomically
from fatpack.config import ProjectConfig
from fatpack.metadata import core_metadata, entry_points_txt, standard_metadata
from fatpack.packages import SourceFile
from fatpack.payloads import Payload

EGG_PYTHON_TAG = "py3"


def egg_info_members(
    config: ProjectConfig, members: Sequence[Member], payloads: Sequence[Payload]
) -> list[Member]:
    top_level = sorted({m.name.split("/")[0].removesuffix(".py") for m in members})
    payload_names = {p.relative_path for p in payloads}
    native_libs = sorted(m.name for m in members if _inside_loader(m.name) in payload_names)
    info = [
        Member("EGG-INFO/PKG-INFO", core_metadata(config)),
        Member("EGG-INFO/top_level.txt", "".join(f"{name}\n" for name in top_level).encode()),
        Member("EGG-INFO/native_libs.txt", "".join(f"{name}\n" for name in native_libs).encode()),
        Member("EGG-INFO/zip-safe", b"\n"),  # the loader extracts payloads itself
    ]
    requirements = [str(r) for r in standard_metadata(config).dependencies]
    if requirements:
        info.append(Member("EGG-INFO/requires.txt", "".join(f"{r}\n" for r in requirements).encode()))
    entry_points = entry_points_txt(config)
    if entry_points:
        info.append(Member("EGG-INFO/entry_points.txt", entry_points.encode()))
    return info


def assemble_egg(
    config: ProjectConfig, pure_files: Sequence[SourceFile], payloads: Sequence[Payload], out_dir: Path
) -> Path:
    """Write NAME-VERSION-py3.egg into out_dir (atomically) and return its path."""
    dist, version = wheel_name(config)
    members = package_members(config, pure_files, payloads)
    members += egg_info_members(config, members, payloads)
    return write_atomically(out_dir, f"{dist}-{version}-{EGG_PYTHON_TAG}.egg", members, zipfile.ZipFile)


def _inside_loader(name: str) -> str:
    """'ns/_fatpack_nsa/linux_x86_64/x.so' -> 'linux_x86_64/x.so': the path inside the loader package."""
    parts = name.split("/")
    starts = [i for i, part in enumerate(parts) if part.startswith("_fatpack")]
    return "/".join(parts[starts[0] + 1 :]) if starts else ""
