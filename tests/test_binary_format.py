"""binaries.binary_format: the one content sniffer that verify, fuse and the binary reader share."""

from __future__ import annotations

import zipfile

import pytest
from fakewheels import make_wheel, tiny_elf, tiny_pe

from fatpack.binaries import binary_format
from fatpack.pipeline import fuse
from runtime_loader.loader import parse_manifest

JAVA_CLASS = b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + bytes(16)  # version 52: not a fat Mach-O
FAT_MACHO = b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + bytes(16)  # two slices


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (tiny_elf(), "ELF"),
        (tiny_pe(), "PE"),
        (b"\xcf\xfa\xed\xfe" + bytes(28), "Mach-O"),  # 64-bit little-endian
        (b"\xce\xfa\xed\xfe" + bytes(28), "Mach-O"),  # 32-bit
        (FAT_MACHO, "Mach-O"),
        (JAVA_CLASS, None),
        (b"MZ: a text file that starts like a DOS program" + bytes(64), None),
        (b"", None),
    ],
)
def test_binary_format(data, expected):
    assert binary_format(data) == expected


def test_fusing_keeps_a_file_that_only_starts_like_a_dll(tmp_path):
    """A platform data file beginning with 'MZ' is no library: it ships as it is, with no manifest row."""
    notes = b"MZ: notes, not a program\n"
    wheel = make_wheel(
        tmp_path / "in",
        "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        {
            "demo/__init__.py": b"",
            "demo/_speed.cpython-311-x86_64-linux-gnu.so": tiny_elf(),
            "demo.libs/notes.txt": notes,
        },
    )
    (fused,) = fuse([wheel], tmp_path / "out", verify=False)
    with zipfile.ZipFile(fused) as archive:
        stored = [n for n in archive.namelist() if n.endswith("notes.txt")]
        assert len(stored) == 1 and archive.read(stored[0]) == notes
        rows = parse_manifest(archive.read("demo/_fatpack/manifest.tsv").decode())
    assert [e.module for e in rows] == ["demo._speed"]
