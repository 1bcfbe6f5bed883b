"""Targets (OS + architecture + libc) and Python ABIs a payload can be built for."""

from __future__ import annotations

import difflib
import platform
import re
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

from fatpack.errors import ConfigError

# A release as numbers, compared as a tuple: glibc (2, 17), macOS (11, 0). The one version type of
# binaries' floors, platform tags and verification.
Version = tuple[int, ...]


@dataclass(frozen=True)
class Target:
    """One platform a payload runs on, named as in wheel platform tags."""

    name: str
    os: str  # "linux" | "windows" | "macos"
    arch: str  # "x86_64" | "aarch64" | "x86" | "universal2"
    zig_triple: str  # "" for a target merged from slices
    description: str
    how_verified: str
    libc: str = ""  # "glibc" | "musl" on Linux
    slices: tuple[str, ...] = ()  # macosx_universal2: the targets lipo merges into it

    @property
    def is_windows(self) -> bool:
        return self.os == "windows"

    @property
    def is_macos(self) -> bool:
        return self.os == "macos"

    @property
    def pointer_size(self) -> int:
        return 4 if self.arch == "x86" else 8

    @property
    def extension_suffix(self) -> str:
        return ".pyd" if self.is_windows else ".so"

    def library_filename(self, name: str) -> str:
        """A bundled shared library's file: extra.dll, libextra.so, libextra.dylib."""
        if self.is_windows:
            return f"{name}.dll"
        return f"lib{name}.dylib" if self.is_macos else f"lib{name}.so"


_RUN_HERE = "imported and called on this machine's CPython"
_WINE = "imported and called on python.org CPython under Wine"
_QEMU = "imported and called on Debian's arm64 CPython under qemu-user"
_NOT_RUN = "structure checked only (no {} CPython here): not run"

TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target(
            "linux_x86_64",
            "linux",
            "x86_64",
            "x86_64-linux-gnu.2.17",
            "Linux x86_64, glibc >= 2.17 (manylinux2014)",
            _RUN_HERE,
            libc="glibc",
        ),
        Target(
            "linux_aarch64",
            "linux",
            "aarch64",
            "aarch64-linux-gnu.2.17",
            "Linux aarch64, glibc >= 2.17 (manylinux2014)",
            _QEMU,
            libc="glibc",
        ),
        Target(
            "musllinux_x86_64",
            "linux",
            "x86_64",
            "x86_64-linux-musl",
            "Linux x86_64, musl (Alpine)",
            _NOT_RUN.format("musl"),
            libc="musl",
        ),
        Target(
            "musllinux_aarch64",
            "linux",
            "aarch64",
            "aarch64-linux-musl",
            "Linux aarch64, musl (Alpine)",
            _NOT_RUN.format("musl"),
            libc="musl",
        ),
        Target(
            "win_amd64",
            "windows",
            "x86_64",
            "x86_64-windows-gnu",
            "Windows x64, UCRT (python.org CPython)",
            _WINE,
        ),
        Target(
            "win_arm64",
            "windows",
            "aarch64",
            "aarch64-windows-gnu",
            "Windows ARM64, UCRT (python.org CPython)",
            _NOT_RUN.format("ARM64 Windows"),
        ),
        Target(
            "win32",
            "windows",
            "x86",
            "x86-windows-gnu",
            "Windows x86 (32-bit), UCRT (python.org CPython)",
            _NOT_RUN.format("32-bit Windows"),
        ),
        Target(
            "macosx_x86_64",
            "macos",
            "x86_64",
            "x86_64-macos.10.9",
            "macOS x86_64, 10.9 and newer",
            _NOT_RUN.format("macOS"),
        ),
        Target(
            "macosx_arm64",
            "macos",
            "aarch64",
            "aarch64-macos.11.0",
            "macOS arm64 (Apple silicon), 11.0 and newer",
            _NOT_RUN.format("macOS"),
        ),
        Target(
            "macosx_universal2",
            "macos",
            "universal2",
            "",
            "macOS x86_64 + arm64 in one file (llvm-lipo)",
            _NOT_RUN.format("macOS"),
            slices=("macosx_x86_64", "macosx_arm64"),
        ),
    )
}

DEFAULT_TARGETS = ("linux_x86_64", "win_amd64")


def parse_target(name: str, where: str = "target") -> Target:
    """Return the Target called `name`, or raise ConfigError naming it and the close matches."""
    try:
        return TARGETS[name]
    except KeyError:
        raise ConfigError(f"unknown target {name!r} in {where}{_did_you_mean(name, TARGETS)}") from None


def host_target() -> Optional[Target]:
    """The target this interpreter runs on, if fatpack knows it."""
    machine = platform.machine().lower()
    if (
        sys.platform.startswith("linux")
        and machine in ("x86_64", "amd64")
        and platform.libc_ver()[0] == "glibc"
    ):
        return TARGETS["linux_x86_64"]
    if sys.platform == "win32" and sysconfig.get_platform() == "win-amd64":
        return TARGETS["win_amd64"]
    return None


MIN_MINOR = 8  # CPython 3.8: the oldest Python fatpack builds for
MIN_PYPY_MINOR = 9  # PyPy 3.9 (pp39): the oldest PyPy with the ABI tag scheme fatpack reads (pp73)
CPYTHON, PYPY = "cpython", "pypy"  # sys.implementation.name
FREE_THREADED_MIN_MINOR = 13  # CPython 3.13: the first with a free-threaded build (PEP 703)
_ABI_RE = re.compile(r"^cp3(\d{1,2})(t)?(-abi3)?$")
_PYPY_ABI_RE = re.compile(r"^pp3(\d{1,2})$")


@dataclass(frozen=True, order=True)
class PythonAbi:
    """`cpXY-abi3` (one limited-API binary for CPython >= X.Y), `cpXY` (CPython X.Y only), `cpXYt`
    (the free-threaded CPython X.Y only: compiled with Py_GIL_DISABLED, PEP 703) or `ppXY` (PyPy X.Y
    only: PyPy has no stable ABI; which PyPy release's ABI, pp73 or pp80, is the build interpreter's,
    carried by the payload's file suffix, `.pypy311-pp80-x86_64-linux-gnu.so`)."""

    minor: int
    abi3: bool
    free_threaded: bool = False
    implementation: str = CPYTHON  # CPYTHON or PYPY

    @classmethod
    def parse(cls, text: str, where: str = "python") -> PythonAbi:
        pypy = _PYPY_ABI_RE.match(text)
        if pypy:
            if int(pypy.group(1)) < MIN_PYPY_MINOR:
                raise ConfigError(f"Python ABI {text!r} in {where}: fatpack supports PyPy 3.9 and newer")
            return cls(minor=int(pypy.group(1)), abi3=False, implementation=PYPY)
        match = _ABI_RE.match(text)
        if not match:
            raise ConfigError(
                f"unknown Python ABI {text!r} in {where}: expected 'cpXY-abi3', 'cpXY', 'cpXYt' or 'ppXY' "
                "(PyPy), "
                "e.g. 'cp38-abi3'"
            )
        minor, free_threaded, abi3 = int(match.group(1)), bool(match.group(2)), bool(match.group(3))
        if minor < MIN_MINOR:
            raise ConfigError(f"Python ABI {text!r} in {where}: fatpack supports CPython 3.8 and newer")
        if free_threaded and abi3:
            raise ConfigError(
                f"Python ABI {text!r} in {where}: abi3t is not supported yet; "
                f"ask for the free-threaded 'cp3{minor}t' instead"
            )
        if free_threaded and minor < FREE_THREADED_MIN_MINOR:
            raise ConfigError(
                f"Python ABI {text!r} in {where}: there is no free-threaded CPython before 3.13 "
                "(cp313t is the first)"
            )
        return cls(minor=minor, abi3=abi3, free_threaded=free_threaded)

    @property
    def is_pypy(self) -> bool:
        return self.implementation == PYPY

    @property
    def version(self) -> tuple[int, int]:
        return (3, self.minor)

    @property
    def tag(self) -> str:
        """As written in config: 'cp38-abi3', 'cp311', 'cp313t' or 'pp311'."""
        if self.is_pypy:
            return f"pp3{self.minor}"
        if self.abi3:
            return f"cp3{self.minor}-abi3"
        return f"cp3{self.minor}{self.flags}"

    @property
    def flags(self) -> str:
        """The ABI flags CPython writes after the version in extension suffixes: 't' when free-threaded."""
        return "t" if self.free_threaded else ""

    @property
    def label(self) -> str:
        """As used in payload file names and the manifest: 'abi3', 'cp311', 'cp313t' or 'pp311'."""
        return "abi3" if self.abi3 else self.tag

    @property
    def file_label(self) -> str:
        """As used in payload paths, unique per ABI and floor: 'abi3' for the stable ABI from fatpack's
        lowest floor (3.8), 'cp311-abi3' for a higher floor, 'cp311' / 'cp313t' for a version-specific
        binary. Two abi3 floors of one module are two different binaries and need two paths."""
        if self.abi3 and self.minor == MIN_MINOR:
            return "abi3"
        return self.tag

    @property
    def limited_api_hex(self) -> str:
        return f"0x03{self.minor:02X}0000"

    def __str__(self) -> str:
        return self.tag


DEFAULT_ABIS = ("cp38-abi3",)
NEWEST_MINOR = 15  # CPython 3.15: the newest Python fatpack knows (its headers and Windows exports)
_EVERY_FROM_RE = re.compile(r"^cp3(\d{1,2})\+$")


def parse_abis(text: str, where: str = "python") -> tuple[PythonAbi, ...]:
    """One entry of a `python` list: an ABI ('cp311', 'cp39-abi3'), or 'cpXY+', the shorthand for every
    CPython from 3.Y to the newest fatpack knows, each version-specific ('cp310+' is cp310 ... cp315)."""
    every = _EVERY_FROM_RE.match(text)
    if not every:
        return (PythonAbi.parse(text, where),)
    first = PythonAbi.parse(f"cp3{every.group(1)}", where).minor
    if first > NEWEST_MINOR:
        raise ConfigError(
            f"{text!r} in {where}: the newest CPython fatpack knows is 3.{NEWEST_MINOR}; "
            f"name it as 'cp3{first}'"
        )
    return tuple(PythonAbi(minor=minor, abi3=False) for minor in range(first, NEWEST_MINOR + 1))


def parse_abi_list(texts: Iterable[str], where: str = "python") -> tuple[PythonAbi, ...]:
    """A whole `python` list, shorthands expanded, duplicates dropped (first place kept)."""
    return tuple(dict.fromkeys(abi for text in texts for abi in parse_abis(text, where)))


def _did_you_mean(name: str, known: dict[str, Target]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f" (known targets: {', '.join(known)}){hint}"
