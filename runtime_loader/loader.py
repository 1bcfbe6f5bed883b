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

try:  # the frozen bootstrap modules are always loaded; importlib.util may not be yet
    from _frozen_importlib import module_from_spec
    from _frozen_importlib_external import ExtensionFileLoader, spec_from_file_location
    from _imp import extension_suffixes
except ImportError:  # pragma: no cover - non-CPython
    from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader
    from importlib.util import module_from_spec, spec_from_file_location

    def extension_suffixes():
        return EXTENSION_SUFFIXES


MANIFEST_NAME = "manifest.tsv"
MANIFEST_HEADER = "module\ttarget\tabi\tpython\tfile\tsha256"

_HERE = os.path.dirname(os.path.abspath(__file__))
_entries = None  # parsed manifest, read once per process
_dll_directories = {}  # path -> handle from os.add_dll_directory; kept alive for the process


class Entry:
    """One payload: `module` built for `target` with `abi` ('abi3' or 'cpXY'), needing Python >= `python`."""

    __slots__ = ("abi", "file", "module", "python", "sha256", "target")

    def __init__(self, module, target, abi, python, file, sha256):
        self.module = module
        self.target = target
        self.abi = abi
        self.python = tuple(int(p) for p in python.split("."))
        self.file = file
        self.sha256 = sha256

    @property
    def label(self):
        """e.g. 'cp38-abi3-win_amd64' or 'cp311-linux_x86_64'."""
        floor = "cp%d%d" % self.python
        return "%s-%s" % (floor + "-abi3" if self.abi == "abi3" else floor, self.target)


class Host:
    """What this interpreter can load: its platform targets (best first) and Python version."""

    __slots__ = ("abiflags", "implementation", "targets", "version")

    def __init__(self, targets, version, abiflags="", implementation="cpython"):
        self.targets = tuple(targets)
        self.version = tuple(version)
        self.abiflags = abiflags
        self.implementation = implementation

    @property
    def key(self):
        """e.g. 'cp312-linux_aarch64': how errors name this host."""
        target = self.targets[0] if self.targets else "unknown"
        return "cp%d%d%s-%s" % (self.version[0], self.version[1], self.abiflags, target)


def parse_manifest(text):
    lines = text.splitlines()
    if not lines or lines[0] != MANIFEST_HEADER:
        raise ImportError("fatpack: %s is not a fatpack manifest" % MANIFEST_NAME)
    return [Entry(*line.split("\t")) for line in lines[1:] if line]


def _platform_from_suffix(suffix):
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


def detect_host():
    suffixes = extension_suffixes()
    targets, flags = _platform_from_suffix(suffixes[0]) if suffixes else ((), "")
    return Host(targets, sys.version_info[:2], flags, sys.implementation.name)


def select_payload(entries, module, host, explain=None):
    """The best entry for `module` on `host`, or None. `explain(line)` receives the reasoning."""
    say = explain or (lambda line: None)
    best, best_rank = None, None
    for entry in entries:
        if entry.module != module:
            continue
        reason = _reject_reason(entry, host)
        if reason:
            say("  skip %s: %s" % (entry.label, reason))
            continue
        # rank: target preference, then version-specific before abi3, then the newest abi3 floor
        rank = (host.targets.index(entry.target), entry.abi == "abi3", tuple(-v for v in entry.python))
        say("  candidate %s" % entry.label)
        if best_rank is None or rank < best_rank:
            best, best_rank = entry, rank
    return best


def _reject_reason(entry, host):
    if host.implementation != "cpython":
        return "this is %s, payloads are for CPython" % host.implementation
    if entry.target not in host.targets:
        return "built for %s" % entry.target
    if entry.abi == "abi3":
        if host.abiflags:
            return "abi3 cannot load on a '%s' build of CPython" % host.abiflags
        if host.version < entry.python:
            return "needs Python >= %d.%d" % entry.python
        return None
    if entry.python != host.version or host.abiflags:
        return "built for CPython %d.%d only" % entry.python
    return None


def _debug(line):
    sys.stderr.write("fatpack: %s\n" % line)


def _manifest():
    global _entries
    if _entries is None:
        with open(os.path.join(_HERE, MANIFEST_NAME), encoding="utf-8") as f:
            _entries = parse_manifest(f.read())
    return _entries


def load_extension(fullname):
    """Import the payload for `fullname` and put it in sys.modules in place of the calling stub."""
    debug = os.environ.get("FATPACK_DEBUG") == "1"
    explain = _debug if debug else None
    entries = _manifest()
    host = detect_host()
    if debug:
        _debug("%s on host %s (targets: %s)" % (fullname, host.key, ", ".join(host.targets) or "none"))
    entry = select_payload(entries, fullname, host, explain)
    if entry is None:
        carried = sorted(e.label for e in entries if e.module == fullname)
        raise ImportError(
            "%s: no native payload for this interpreter (%s); the package carries: %s"
            % (fullname, host.key, ", ".join(carried) or "none"),
            name=fullname,
        )
    path = os.path.join(_HERE, *entry.file.split("/"))
    if debug:
        _debug("chose %s -> %s" % (entry.label, path))
    if sys.platform == "win32":
        _add_dll_directory(os.path.dirname(path))
    loader = ExtensionFileLoader(fullname, path)
    spec = spec_from_file_location(fullname, path, loader=loader)
    module = module_from_spec(spec)
    sys.modules[fullname] = module
    try:
        loader.exec_module(module)
    except BaseException:
        del sys.modules[fullname]
        raise
    return module


def _add_dll_directory(directory):
    """Let Windows find DLLs the payload depends on in its own payload directory, and nowhere else new."""
    if directory not in _dll_directories:
        _dll_directories[directory] = os.add_dll_directory(directory)
