"""Reading wheels someone else built: name, version and tags from the file name, members checked.

Every member name is checked before anything is used: no absolute paths, no `..`, no backslashes, no
duplicates (zip-slip and friends). A member that fails its CRC is a corrupt wheel, reported as such.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, NormalizedName, parse_wheel_filename
from packaging.version import Version

from fatpack.archives import check_member_name
from fatpack.errors import ArtifactError


@dataclass(frozen=True)
class WheelContents:
    """One wheel: its file name's fields and every file member (directories dropped), by name."""

    path: Path
    name: NormalizedName
    version: Version
    tags: frozenset[Tag]
    members: dict[str, bytes]

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def dist_info(self) -> str:
        """The single top-level `*.dist-info` directory."""
        found = {name.split("/")[0] for name in self.members if name.split("/")[0].endswith(".dist-info")}
        if len(found) != 1:
            what = "no .dist-info directory" if not found else f"{len(found)} .dist-info directories"
            raise ArtifactError(f"{self.filename}: not a valid wheel: {what}")
        return found.pop()


def read_wheel(path: Path) -> WheelContents:
    """Read a wheel into memory, refusing bad names, unsafe members and corrupt data."""
    try:
        name, version, _, tags = parse_wheel_filename(path.name)
    except InvalidWheelFilename as exc:
        raise ArtifactError(f"{path.name}: not a wheel file name ({exc})") from None
    members: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                check_member_name(info.filename, path.name)
                if info.is_dir():
                    continue
                if info.filename in members:
                    raise ArtifactError(f"{path.name}: member {info.filename} appears twice")
                members[info.filename] = archive.read(info)
    except FileNotFoundError:
        raise ArtifactError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise ArtifactError(f"{path.name}: corrupt or unreadable wheel: {exc}") from None
    return WheelContents(path, name, version, frozenset(tags), members)
