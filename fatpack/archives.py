"""Archives other tools made (wheels, sdists): member names are checked before anything is used."""

from __future__ import annotations

import tarfile
from pathlib import Path

from fatpack.errors import ArtifactError


def check_member_name(name: str, archive: str) -> None:
    """Refuse member names that could escape the directory they are unpacked into (zip-slip)."""
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or "\x00" in name
        or (len(name) > 1 and name[1] == ":")
        or ".." in parts
    ):
        raise ArtifactError(f"{archive}: unsafe member name {name!r} (empty, absolute or with '..')")


def unpack_sdist(sdist: Path, dest: Path) -> Path:
    """Unpack a source distribution (.tar.gz) into dest; return its single top-level directory.
    Only regular files and directories are unpacked: links and devices are refused."""
    try:
        with tarfile.open(sdist, "r:*") as tar:
            members = tar.getmembers()
            for member in members:
                check_member_name(member.name, sdist.name)
                if not (member.isfile() or member.isdir()):
                    raise ArtifactError(f"{sdist.name}: member {member.name} is a link or device; refused")
            tops = {m.name.split("/")[0] for m in members}
            if len(tops) != 1:
                raise ArtifactError(
                    f"{sdist.name}: an sdist holds one top-level directory, this has {len(tops)}"
                )
            for member in members:
                target = dest / member.name
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:  # pragma: no cover - isfile() members always have data
                    raise ArtifactError(f"{sdist.name}: cannot read {member.name}")
                target.write_bytes(source.read())
    except FileNotFoundError:
        raise ArtifactError(f"{sdist}: no such file") from None
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArtifactError(f"{sdist.name}: corrupt or unreadable sdist: {exc}") from None
    return dest / tops.pop()


def is_sdist(path: Path) -> bool:
    return path.name.endswith((".tar.gz", ".tgz")) and not path.is_dir()
