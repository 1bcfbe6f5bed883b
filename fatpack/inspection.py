"""What an artifact carries: one row per payload (module, target, ABI, size, libc/OS floor), read from
its manifests, and the same rows as a matrix per module (targets x Pythons). Works on wheels and eggs
fatpack made."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Optional

from fatpack.archives import refuse_sdist
from fatpack.errors import ArtifactError
from runtime_loader.loader import MANIFEST_NAME, Entry, parse_manifest


@dataclass(frozen=True)
class PayloadRow:
    module: str  # "lib:NAME" for a bundled library
    target: str
    abi: str  # "abi3", "cpXY", "cpXYt" (free-threaded) or "library"
    python: str  # the lowest Python it loads on ("3.8"); "" for a library
    floor: str  # "glibc 2.17", "macos 11.0" or ""
    size: int  # bytes, uncompressed
    member: str  # where it is in the artifact
    free_threaded: bool = False  # a cpXYt payload: loads only on the free-threaded CPython X.Y

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Manifest:
    """One loader package's manifest.tsv as read from an artifact."""

    member: str  # its name in the artifact
    base: str  # the loader package's directory, '/'-terminated: base + entry.file is the payload
    entries: Optional[list[Entry]]  # None: not a valid fatpack manifest


def read_manifests(artifact: str, names: Iterable[str], read: Callable[[str], bytes]) -> list[Manifest]:
    """Every manifest among the member `names` of the artifact named `artifact`, read with `read`;
    ArtifactError if there is none (not an artifact fatpack made)."""
    members = sorted(name for name in names if is_manifest(name))
    if not members:
        raise ArtifactError(f"{artifact} holds no fatpack manifest: not an artifact fatpack made")
    manifests = []
    for member in members:
        try:
            entries: Optional[list[Entry]] = parse_manifest(read(member).decode("utf-8"))
        except (ImportError, UnicodeDecodeError, TypeError, ValueError):
            entries = None
        manifests.append(Manifest(member, member[: -len(MANIFEST_NAME)], entries))
    return manifests


def inspect_artifact(path: Path) -> list[PayloadRow]:
    refuse_sdist(path, "inspect")
    try:
        with zipfile.ZipFile(path) as archive:
            sizes = {info.filename: info.file_size for info in archive.infolist()}
            rows = []
            for manifest in read_manifests(path.name, sizes, archive.read):
                if manifest.entries is None:
                    raise ArtifactError(f"{path.name}: {manifest.member} is not a valid fatpack manifest")
                for e in manifest.entries:
                    floor = f"{e.requires[0]} {'.'.join(map(str, e.requires[1]))}" if e.requires else ""
                    python = "" if e.abi == "library" else ".".join(map(str, e.python))
                    member = manifest.base + e.file
                    size = sizes.get(member, -1)
                    rows.append(
                        PayloadRow(e.module, e.target, e.abi, python, floor, size, member, e.free_threaded)
                    )
            return rows
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArtifactError(f"{path}: cannot be read as a wheel or egg: {exc}") from None


def is_manifest(name: str) -> bool:
    """<pkg>/_fatpack/manifest.tsv, or _fatpack_<project>/manifest.tsv for top-level extensions."""
    parts = name.split("/")
    return (
        len(parts) >= 2
        and parts[-1] == MANIFEST_NAME
        and (parts[-2] == "_fatpack" or parts[-2].startswith("_fatpack_"))
    )


def format_table(rows: list[PayloadRow]) -> str:
    header = ("module", "target", "abi", "python", "floor", "size")
    table = [header] + [
        (r.module, r.target, r.abi, _python_cell(r), r.floor or "-", str(r.size)) for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table)


def _python_cell(row: PayloadRow) -> str:
    """'>=3.9' for the stable ABI, '3.11' for a version-specific payload, '3.13t' for a free-threaded
    one (it never loads on 3.13 with the GIL), '' for a library."""
    if row.free_threaded:
        return f"{row.python}t"
    return f">={row.python}" if row.abi == "abi3" else row.python


def python_column(row: PayloadRow) -> str:
    """A matrix column: the version-specific ABI as tagged ('cp311', 'cp313t', 'pp311'), or the stable
    ABI with its floor ('abi3>=3.9')."""
    return f"abi3>={row.python}" if row.abi == "abi3" else row.abi


def _column_order(column: str) -> tuple[int, tuple[int, ...], str]:
    """CPython's version-specific columns by version (cp313t after cp313), then PyPy's, then abi3's by
    floor."""
    if column.startswith("abi3>="):  # abi3>=3.9
        return 2, tuple(int(part) for part in column[len("abi3>=") :].split(".")), column
    digits = column[len("cp3") :].rstrip("abcdefghijklmnopqrstuvwxyz")  # cp311, cp313t, pp311
    return (1 if column.startswith("pp") else 0), (3, int(digits or 0)), column


def format_matrix(rows: list[PayloadRow]) -> str:
    """Per extension module: a line per target, a column per Python ABI, 'x' where a payload is carried."""
    modules: dict[str, dict[str, set[str]]] = {}
    for row in rows:
        if row.abi != "library":
            modules.setdefault(row.module, {}).setdefault(row.target, set()).add(python_column(row))
    blocks = []
    for module, targets in sorted(modules.items()):
        columns = sorted({c for cs in targets.values() for c in cs}, key=_column_order)
        table = [(module, *columns)] + [
            (f"  {target}", *("x" if c in carried else "-" for c in columns))
            for target, carried in sorted(targets.items())
        ]
        widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
        blocks.append(
            "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in table)
        )
    return "\n\n".join(blocks)
