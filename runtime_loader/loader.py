"""fatpack runtime loader: import the native payload built for this interpreter.

fatpack copies this file into every package it assembles, as `<package>/_fatpack/__init__.py`, beside
`manifest.tsv` and one directory of payloads per target. The stub module fatpack writes at each
extension's import path calls `load_extension(__name__)`, which picks the best payload for this host
(OS, the interpreter's own architecture, Python version; a version-specific payload before abi3), loads it
under its full module name and puts it in sys.modules in place of the stub.

Standard library only; CPython 3.8+. Import cost: one small manifest read, one dlopen.
Set FATPACK_DEBUG=1 to see the selection reasoning on stderr.
"""

import os
import sys
from types import ModuleType

TYPE_CHECKING = False
if TYPE_CHECKING:  # never true at run time, so typing costs nothing to import
    from typing import Callable

try:  # the frozen bootstrap modules are always loaded; importlib.util may not be yet
    from _frozen_importlib import module_from_spec
    from _frozen_importlib_external import ExtensionFileLoader, spec_from_file_location
    from _imp import extension_suffixes
except ImportError:  # pragma: no cover - non-CPython
    from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader
    from importlib.util import module_from_spec, spec_from_file_location

    def extension_suffixes() -> "list[str]":
        return EXTENSION_SUFFIXES


MANIFEST_NAME = "manifest.tsv"
MANIFEST_HEADER = "module\ttarget\tabi\tpython\tfile\tsha256"

_HERE = os.path.dirname(os.path.abspath(__file__))
_entries: "list[Entry] | None" = None  # parsed manifest, read once per process
_dll_directories: "dict[str, object]" = {}  # path -> handle from os.add_dll_directory, kept alive


class Entry:
    """One payload: `module` built for `target` with `abi` ('abi3' or 'cpXY'), needing Python >= `python`."""

    __slots__ = ("abi", "file", "module", "python", "sha256", "target")

    def __init__(self, module: str, target: str, abi: str, python: str, file: str, sha256: str) -> None:
        self.module = module
        self.target = target
        self.abi = abi
        self.python = tuple(int(p) for p in python.split("."))
        self.file = file
        self.sha256 = sha256

    @property
    def label(self) -> str:
        """e.g. 'cp38-abi3-win_amd64' or 'cp311-linux_x86_64'."""
        floor = f"cp{self.python[0]}{self.python[1]}"
        return f"{floor}-abi3-{self.target}" if self.abi == "abi3" else f"{floor}-{self.target}"


class Host:
    """What this interpreter can load: its platform targets (best first) and Python version."""

    __slots__ = ("abiflags", "implementation", "targets", "version")

    def __init__(
        self,
        targets: "tuple[str, ...]",
        version: "tuple[int, ...]",
        abiflags: str = "",
        implementation: str = "cpython",
    ) -> None:
        self.targets = tuple(targets)
        self.version = tuple(version)
        self.abiflags = abiflags
        self.implementation = implementation

    @property
    def key(self) -> str:
        """e.g. 'cp312-linux_aarch64': how errors name this host."""
        target = self.targets[0] if self.targets else "unknown"
        return f"cp{self.version[0]}{self.version[1]}{self.abiflags}-{target}"


def parse_manifest(text: str) -> "list[Entry]":
    lines = text.splitlines()
    if not lines or lines[0] != MANIFEST_HEADER:
        raise ImportError(f"fatpack: {MANIFEST_NAME} is not a fatpack manifest")
    return [Entry(*line.split("\t")) for line in lines[1:] if line]


def _platform_from_suffix(suffix: str) -> "tuple[tuple[str, ...], str]":
    """Map this interpreter's first extension suffix to (target names best first, ABI flags)."""
    parts = suffix.split(".")  # '', 'cpython-311-x86_64-linux-gnu', 'so'  or  '', 'cp311-win_amd64', 'pyd'
    if len(parts) < 3:
        return (), ""
    tag = parts[1]
    if tag.startswith("cpython-"):
        fields = tag.split("-")  # cpython, 311[flags], arch, os, libc  or  cpython, 311[flags], darwin
        flags = fields[1].lstrip("0123456789")
        if len(fields) >= 5 and fields[3] == "linux":
            arch, libc = fields[2], fields[4]
            if libc.startswith("musl"):
                return ("musllinux_" + arch,), flags
            return ("linux_" + arch,), flags
        if fields[-1] == "darwin":
            return ("macosx_" + os.uname().machine,), flags
    elif tag.startswith("cp") and "-" in tag:  # Windows: cp311-win_amd64, cp313t-..., _d.cp311-... (debug)
        version, _, platform = tag.partition("-")
        flags = version[2:].lstrip("0123456789") + ("d" if parts[0] == "_d" else "")
        return (platform,), flags
    return (), ""


def detect_host() -> Host:
    suffixes = extension_suffixes()
    targets, flags = _platform_from_suffix(suffixes[0]) if suffixes else ((), "")
    return Host(targets, sys.version_info[:2], flags, sys.implementation.name)


def select_payload(
    entries: "list[Entry]", module: str, host: Host, explain: "Callable[[str], None] | None" = None
) -> "Entry | None":
    """The best entry for `module` on `host`, or None. `explain(line)` receives the reasoning."""
    best: Entry | None = None
    best_rank: tuple[int, bool, tuple[int, ...]] | None = None
    for entry in entries:
        if entry.module != module:
            continue
        reason = _reject_reason(entry, host)
        if reason:
            if explain:
                explain(f"  skip {entry.label}: {reason}")
            continue
        # rank: target preference, then version-specific before abi3, then the newest abi3 floor
        rank = (host.targets.index(entry.target), entry.abi == "abi3", tuple(-v for v in entry.python))
        if explain:
            explain(f"  candidate {entry.label}")
        if best_rank is None or rank < best_rank:
            best, best_rank = entry, rank
    return best


def _reject_reason(entry: Entry, host: Host) -> "str | None":
    if host.implementation != "cpython":
        return f"this is {host.implementation}, payloads are for CPython"
    if entry.target not in host.targets:
        return f"built for {entry.target}"
    if entry.abi == "abi3":
        if host.abiflags:
            return f"abi3 cannot load on a '{host.abiflags}' build of CPython"
        if host.version < entry.python:
            return "needs Python >= {}.{}".format(*entry.python)
        return None
    if entry.python != host.version or host.abiflags:
        return "built for CPython {}.{} only".format(*entry.python)
    return None


def _debug(line: str) -> None:
    sys.stderr.write(f"fatpack: {line}\n")


def _manifest() -> "list[Entry]":
    global _entries
    if _entries is None:
        with open(os.path.join(_HERE, MANIFEST_NAME), encoding="utf-8") as f:
            _entries = parse_manifest(f.read())
    return _entries


def load_extension(fullname: str) -> ModuleType:
    """Import the payload for `fullname` and put it in sys.modules in place of the calling stub."""
    debug = os.environ.get("FATPACK_DEBUG") == "1"
    explain = _debug if debug else None
    entries = _manifest()
    host = detect_host()
    if debug:
        _debug(f"{fullname} on host {host.key} (targets: {', '.join(host.targets) or 'none'})")
    entry = select_payload(entries, fullname, host, explain)
    if entry is None:
        carried = sorted(e.label for e in entries if e.module == fullname)
        raise ImportError(
            f"{fullname}: no native payload for this interpreter ({host.key}); "
            f"the package carries: {', '.join(carried) or 'none'}",
            name=fullname,
        )
    path = os.path.join(_HERE, *entry.file.split("/"))
    if debug:
        _debug(f"chose {entry.label} -> {path}")
    if sys.platform == "win32":
        _add_dll_directory(os.path.dirname(path))
    loader = ExtensionFileLoader(fullname, path)
    spec = spec_from_file_location(fullname, path, loader=loader)
    if spec is None:  # pragma: no cover - only for a path importlib cannot use
        raise ImportError(f"{fullname}: cannot load {path}", name=fullname)
    module = module_from_spec(spec)
    sys.modules[fullname] = module
    try:
        loader.exec_module(module)
    except BaseException:
        del sys.modules[fullname]
        raise
    return module


def _add_dll_directory(directory: str) -> None:
    """Let Windows find DLLs the payload depends on in its own payload directory, and nowhere else new."""
    if sys.platform == "win32" and directory not in _dll_directories:
        _dll_directories[directory] = os.add_dll_directory(directory)
