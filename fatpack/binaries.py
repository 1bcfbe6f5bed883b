"""What a built binary really is: format, architectures, the libc/OS floor it needs, what it links.

Read with pyelftools (ELF), pefile (PE) and macholib (Mach-O, thin or fat). The assembler records the
floor in the manifest so the runtime loader can refuse a payload the host is too old for, with a reason.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from fatpack.errors import ArtifactError
from fatpack.targets import TARGETS, Target, Version

_ELF_MACHINES = {"EM_X86_64": "x86_64", "EM_AARCH64": "aarch64", "EM_386": "x86"}
_PE_MACHINES = {0x8664: "x86_64", 0xAA64: "aarch64", 0x14C: "x86"}
_MACHO_CPUS = {0x01000007: "x86_64", 0x0100000C: "aarch64"}
_LC_VERSION_MIN_MACOSX = 0x24
_LC_BUILD_VERSION = 0x32


@dataclass(frozen=True)
class BinaryInfo:
    format: str  # "ELF" | "PE" | "Mach-O"
    archs: tuple[str, ...]  # one per slice; a universal2 Mach-O has two
    needed: tuple[str, ...] = ()  # DT_NEEDED, imported DLLs, or LC_LOAD_DYLIB
    exports: tuple[str, ...] = ()  # exported symbol names (PE and Mach-O; ELF dynamic symbols)
    glibc: Optional[Version] = None  # highest GLIBC_x.y symbol version required
    macos: Optional[Version] = None  # minimum macOS version (the highest over the slices)
    imported_symbols: tuple[str, ...] = ()  # undefined symbols it needs from other binaries

    @property
    def requires(self) -> str:
        """The manifest's floor: 'glibc 2.17', 'macos 11.0' or ''."""
        if self.glibc:
            return "glibc " + ".".join(map(str, self.glibc))
        if self.macos:
            return "macos " + ".".join(map(str, self.macos))
        return ""


def target_mismatch(info: BinaryInfo, target: Target) -> Optional[str]:
    """Why `info` cannot be a binary for `target` ('is ELF aarch64, but ... needs ELF x86_64'), or None."""
    expected_format = "PE" if target.is_windows else "Mach-O" if target.is_macos else "ELF"
    expected_archs = sorted(TARGETS[s].arch for s in target.slices) if target.slices else [target.arch]
    if info.format == expected_format and sorted(info.archs) == expected_archs:
        return None
    return (
        f"is {info.format} {'+'.join(info.archs)}, "
        f"but target {target.name} needs {expected_format} {'+'.join(expected_archs)}"
    )


def inspect_binary(path: Path) -> BinaryInfo:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArtifactError(f"{path.name}: cannot be read: {exc.strerror or exc}") from None
    return inspect_data(data, path.name)


_inspected: dict[bytes, BinaryInfo] = {}  # by sha256: assemble and then verify read the same payloads


def inspect_data(data: bytes, name: str) -> BinaryInfo:
    """What the binary in `data` is; `name` only for messages. Results are remembered by content."""
    key = hashlib.sha256(data).digest()
    if key not in _inspected:
        if len(_inspected) > 1024:
            _inspected.clear()
        _inspected[key] = _parse(data, name)
    return _inspected[key]


_MACHO_MAGIC = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")


def binary_format(data: bytes) -> Optional[str]:
    """ "ELF", "PE" or "Mach-O" (thin of either width and byte order, or fat) by content, whatever the
    file's name; None for anything else. The one sniffer: verify, fuse and inspect_data use it."""
    if data[:4] == b"\x7fELF":
        return "ELF"
    if data[:4] in _MACHO_MAGIC:
        return "Mach-O"
    if data[:4] == b"\xca\xfe\xba\xbe":  # a fat Mach-O, or a Java class file (which has a large version)
        return "Mach-O" if len(data) >= 8 and 0 < int.from_bytes(data[4:8], "big") < 30 else None
    if data[:2] == b"MZ" and len(data) >= 0x40:
        pe_offset = int.from_bytes(data[0x3C:0x40], "little")
        return "PE" if data[pe_offset : pe_offset + 4] == b"PE\x00\x00" else None
    return None


def _parse(data: bytes, name: str) -> BinaryInfo:
    kind = binary_format(data)
    try:
        if kind == "ELF":
            return _inspect_elf(data)
        if kind == "PE":
            return _inspect_pe(data)
        if kind == "Mach-O":
            with tempfile.TemporaryDirectory(prefix="fatpack-macho-") as tmp:  # macholib reads files
                path = Path(tmp) / "binary"
                path.write_bytes(data)
                return _inspect_macho(path)
    except Exception as exc:  # the parsers raise many types on malformed input
        raise ArtifactError(f"{name}: cannot be read as a binary: {exc}") from None
    raise ArtifactError(f"{name}: not an ELF, PE or Mach-O file")


def _inspect_elf(data: bytes) -> BinaryInfo:
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile
    from elftools.elf.gnuversions import GNUVerNeedSection
    from elftools.elf.sections import SymbolTableSection

    elf = ELFFile(io.BytesIO(data))
    needed: list[str] = []
    exports: list[str] = []
    imported: list[str] = []
    glibc: list[Version] = []
    for section in elf.iter_sections():
        if isinstance(section, DynamicSection):
            needed += [tag.needed for tag in section.iter_tags() if tag.entry.d_tag == "DT_NEEDED"]  # type: ignore[attr-defined]
        elif isinstance(section, SymbolTableSection) and section.name == ".dynsym":
            for symbol in section.iter_symbols():
                if symbol.name:
                    (imported if symbol["st_shndx"] == "SHN_UNDEF" else exports).append(symbol.name)
        elif isinstance(section, GNUVerNeedSection):
            for _, auxiliaries in section.iter_versions():
                glibc += [_version(aux.name[6:]) for aux in auxiliaries if aux.name.startswith("GLIBC_")]
    arch = _ELF_MACHINES.get(elf["e_machine"], elf["e_machine"])
    glibc_floor = max(glibc) if glibc else None
    return BinaryInfo(
        "ELF", (arch,), tuple(needed), tuple(exports), glibc_floor, imported_symbols=tuple(imported)
    )


def _inspect_pe(data: bytes) -> BinaryInfo:
    import pefile

    pe = pefile.PE(data=data, fast_load=True)
    pe.parse_data_directories(
        directories=[
            pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_IMPORT"],
            pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_EXPORT"],
        ]
    )
    arch = _PE_MACHINES.get(pe.FILE_HEADER.Machine, hex(pe.FILE_HEADER.Machine))
    imports = getattr(pe, "DIRECTORY_ENTRY_IMPORT", [])
    needed = tuple(entry.dll.decode() for entry in imports)
    imported = tuple(i.name.decode() for entry in imports for i in entry.imports if i.name)
    export_dir = getattr(pe, "DIRECTORY_ENTRY_EXPORT", None)
    exports = tuple(s.name.decode() for s in export_dir.symbols if s.name) if export_dir else ()
    return BinaryInfo("PE", (arch,), needed, exports, imported_symbols=imported)


def _inspect_macho(path: Path) -> BinaryInfo:
    from macholib.mach_o import LC_LOAD_DYLIB
    from macholib.MachO import MachO
    from macholib.SymbolTable import SymbolTable

    macho = MachO(str(path))
    archs: list[str] = []
    needed: set[str] = set()
    exports: set[str] = set()
    imported: set[str] = set()
    floors: list[Version] = []
    for header in macho.headers:
        archs.append(_MACHO_CPUS.get(header.header.cputype, hex(header.header.cputype)))
        for load_command, command, data in header.commands:
            if load_command.cmd == LC_LOAD_DYLIB:
                needed.add(data.rstrip(b"\x00").decode())
            elif load_command.cmd == _LC_BUILD_VERSION:
                floors.append(_unpack_macos_version(command.minos))
            elif load_command.cmd == _LC_VERSION_MIN_MACOSX:
                floors.append(_unpack_macos_version(command.version))
        # C symbols carry one leading underscore in Mach-O
        symbols = SymbolTable(macho, header)
        exports |= {name.decode()[1:] for _, name in symbols.extdefsyms}
        imported |= {name.decode()[1:] for _, name in symbols.undefsyms}
    macos = max(floors, default=None)
    return BinaryInfo(
        "Mach-O",
        tuple(archs),
        tuple(sorted(needed)),
        tuple(sorted(exports)),
        macos=macos,
        imported_symbols=tuple(sorted(imported)),
    )


def _unpack_macos_version(packed: int) -> Version:
    """Mach-O packs X.Y.Z as xxxx.yy.zz nibbles; the patch level is dropped when zero."""
    major, minor, patch = packed >> 16, (packed >> 8) & 0xFF, packed & 0xFF
    return (major, minor, patch) if patch else (major, minor)


def _version(text: str) -> Version:
    return tuple(int(part) for part in text.split(".") if part.isdigit())
