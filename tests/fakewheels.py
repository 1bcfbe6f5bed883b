"""Tiny stand-ins for prebuilt wheels: real ELF/PE headers (format and architecture only; no symbols, so
`fatpack verify` rightly rejects them and the tests that fuse them pass verify=False) and a wheel
writer, for fast tests of fusing and of bad input. Real wheels from PyPI are tested in test_fuse.py."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

EM_X86_64, EM_AARCH64 = 62, 183


def tiny_elf(machine: int = EM_X86_64) -> bytes:
    """An ELF64 shared-object header with no sections: enough for format and architecture."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    return ident + struct.pack("<HHIQQQIHHHHHH", 3, machine, 1, 0, 0, 0, 0, 64, 0, 0, 64, 0, 0)


def tiny_pe(machine: int = 0x8664) -> bytes:
    """A PE32+ DLL header with no sections."""
    dos = b"MZ" + bytes(58) + struct.pack("<I", 64)
    coff = b"PE\0\0" + struct.pack("<HHIIIHH", machine, 0, 0, 0, 0, 240, 0x2022)
    return dos + coff + struct.pack("<H", 0x20B) + bytes(238)


def make_wheel(directory: Path, filename: str, files: dict[str, bytes], metadata: bytes = b"") -> Path:
    """Write `filename` with `files` plus a dist-info (METADATA, WHEEL, RECORD) named after it."""
    name, version = filename.split("-")[:2]
    dist_info = f"{name}-{version}.dist-info"
    metadata = metadata or f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    tag = filename[: -len(".whl")].split("-", 2)[2]
    members = {
        **files,
        f"{dist_info}/METADATA": metadata,
        f"{dist_info}/WHEEL": f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n".encode(),
        f"{dist_info}/RECORD": b"",
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    with zipfile.ZipFile(path, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return path


def demo_wheels(directory: Path) -> list[Path]:
    """demo 1.0 for manylinux x86_64 (with an auditwheel .libs dir) and win_amd64 (with a delvewheel
    patch and a DLL in .data/platlib), cp311."""
    pure = {"demo/__init__.py": b'"""Demo."""\nfrom demo._speed import add\n', "demo/util.py": b"X = 1\n"}
    patch = (
        b'"""""" # start delvewheel patch\r\ndef _delvewheel_patch_1_0():\r\n    pass\r\n\r\n\r\n'
        b"_delvewheel_patch_1_0()\r\ndel _delvewheel_patch_1_0\r\n# end delvewheel patch\r\n\r\n"
    )
    linux = make_wheel(
        directory,
        "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        {
            **pure,
            "demo/_speed.cpython-311-x86_64-linux-gnu.so": tiny_elf(),
            "demo.libs/libfoo-1a2b3c4d.so.1.0": tiny_elf(),
        },
    )
    windows = make_wheel(
        directory,
        "demo-1.0-cp311-cp311-win_amd64.whl",
        {
            "demo/__init__.py": patch + pure["demo/__init__.py"].replace(b"\n", b"\r\n"),
            "demo/util.py": pure["demo/util.py"],
            "demo-stubs/__init__.py": patch,
            "demo/_speed.cp311-win_amd64.pyd": tiny_pe(),
            "demo-1.0.data/platlib/foo-5e6f.dll": tiny_pe(),
        },
    )
    return [linux, windows]
