"""Archives other tools made (wheels, sdists): member names are checked before anything is used."""

from __future__ import annotations

import stat
import tarfile
import zipfile
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
    """Unpack a source distribution (.tar.gz, or an older .zip one) into dest; return its single
    top-level directory. Only regular files and directories are unpacked: links and devices are refused."""
    if sdist.suffix == ".zip":
        return _unpack_zip_sdist(sdist, dest)
    try:
        with tarfile.open(sdist, "r:*") as tar:
            members = tar.getmembers()
            for member in members:
                check_member_name(member.name, sdist.name)
                if not (member.isfile() or member.isdir()):
                    raise ArtifactError(f"{sdist.name}: member {member.name} is a link or device; refused")
            top = _single_top(sdist, [m.name for m in members])
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
    return dest / top


def _unpack_zip_sdist(sdist: Path, dest: Path) -> Path:
    try:
        with zipfile.ZipFile(sdist) as archive:
            infos = archive.infolist()
            for info in infos:
                check_member_name(info.filename.rstrip("/") or info.filename, sdist.name)
                kind = stat.S_IFMT(info.external_attr >> 16)
                if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                    raise ArtifactError(f"{sdist.name}: member {info.filename} is a link or device; refused")
            top = _single_top(sdist, [i.filename.rstrip("/") for i in infos])
            for info in infos:
                target = dest / info.filename
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(info))
    except FileNotFoundError:
        raise ArtifactError(f"{sdist}: no such file") from None
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ArtifactError(f"{sdist.name}: corrupt or unreadable sdist: {exc}") from None
    return dest / top


def _single_top(sdist: Path, names: list[str]) -> str:
    tops = {name.split("/")[0] for name in names}
    if len(tops) != 1:
        raise ArtifactError(f"{sdist.name}: an sdist holds one top-level directory, this has {len(tops)}")
    return tops.pop()


def is_sdist(path: Path) -> bool:
    """A source distribution: a .tar.gz (.tgz), or a .zip holding one directory with PKG-INFO (the
    format older sdists have)."""
    if path.is_dir():
        return False
    if path.name.endswith((".tar.gz", ".tgz")):
        return True
    return path.suffix == ".zip" and _is_zip_sdist(path)


def _is_zip_sdist(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    tops = {name.split("/")[0] for name in names}
    return len(tops) == 1 and f"{next(iter(tops))}/PKG-INFO" in names


def refuse_sdist(path: Path, command: str) -> None:
    """An ArtifactError saying what to do when an sdist is given where a wheel or egg is read."""
    if is_sdist(path):
        raise ArtifactError(
            f"{path.name} is a source distribution (sdist), not a wheel or egg: build it first "
            f"(fatpack assemble {path.name}), then {command} the wheel it writes"
        )
