"""fatpack runtime loader: import the native payload built for this interpreter.

fatpack copies this file into every package it assembles, as `<package>/_fatpack/__init__.py`, beside
`manifest.tsv` and one directory of payloads per target. The stub module fatpack writes at each
extension's import path calls `load_extension(__name__)`, which picks the best payload for this host and
loads it under its full module name in place of the stub.

The choice: the interpreter's own platform (OS, the *interpreter's* architecture, glibc or musl), read
from its extension suffix; the payload's floor (glibc or macOS version) not above the host's; then a
version-specific payload for exactly this Python before an abi3 one, and the newest abi3 floor that fits.
CPython loads only CPython payloads ('abi3', 'cpXY'); PyPy only PyPy payloads ('ppXY') of its version
whose file ends with a suffix it imports itself (`.pypy311-pp80-x86_64-linux-gnu.so`): that suffix names
the PyPy ABI (pp73 for every PyPy 7.3, pp80 for 8.0) the payload was built against.
A free-threaded CPython ('t' in its ABI flags) loads only `cpXYt` payloads, a GIL one never does.

Inside a zip (an egg, a zipapp, any zip on sys.path) a binary cannot be loaded in place: zipcache.py,
vendored beside this file, extracts the chosen payload to a private per-user cache.

Standard library only; CPython 3.8+. Import cost: one small manifest read, one dlopen.
Set FATPACK_DEBUG=1 to see the selection reasoning on stderr; run this file (`python
<package>/_fatpack/__init__.py`, the path every "no payload" ImportError names) for the same diagnosis
without loading anything. Set FATPACK_VERIFY=1 to have the chosen
payload and its target's bundled libraries checked against the manifest's sha256 before loading (off
by default: it reads and hashes every byte, see docs/benchmarks.md for the cost).

Only directories inside this package are ever added to the DLL search path; a manifest path that
would leave the package (absolute, or with '..') is refused.
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

    def extension_suffixes() -> "list[str]":
        return EXTENSION_SUFFIXES


MANIFEST_NAME = "manifest.tsv"
# Columns are matched by name; a newer fatpack may append columns, which older loaders ignore.
MANIFEST_COLUMNS = ("module", "target", "abi", "python", "requires", "file", "sha256")
MANIFEST_HEADER = "\t".join(MANIFEST_COLUMNS)
_FLOOR_NAMES = {"glibc": "glibc", "macos": "macOS"}

TYPE_CHECKING = False
if TYPE_CHECKING:  # never true at run time: `types` alone costs ~0.5 ms to import
    from types import ModuleType
    from typing import Sequence

_DIR = os.path.dirname(__file__)  # as the importer gave it: zipimport wants it so, relative or not
_HERE = os.path.abspath(_DIR)
_IN_ZIP = not os.path.isdir(_HERE)  # imported from an egg, a zipapp or another zip on sys.path
_entries: "list[Entry] | None" = None  # parsed manifest, read once per process
_dll_directories: "dict[str, object]" = {}  # path -> handle from os.add_dll_directory, kept alive


def _version(text: str) -> "tuple[int, ...]":
    parts = text.split(".")
    if len(parts) < 2 or not all(part.isdigit() and part.isascii() for part in parts):
        raise ValueError(text)
    return tuple(int(part) for part in parts)


def _dotted(version: "tuple[int, ...]") -> str:
    return ".".join(map(str, version))


class Entry:
    """One payload: `module` for `target` with `abi` ('abi3', 'cpXY', 'cpXYt' or 'ppXY'), needing
    Python >= `python` and, in `requires`, a libc or OS floor such as ('glibc', (2, 17)) or
    ('macos', (11, 0))."""

    __slots__ = ("abi", "file", "module", "python", "requires", "sha256", "target")

    def __init__(
        self, module: str, target: str, abi: str, python: str, requires: str, file: str, sha256: str
    ):
        self.module = module
        self.target = target
        self.abi = abi
        self.python = _version(python)
        kind, _, floor = requires.partition(" ")
        self.requires = (kind, _version(floor)) if floor else None
        self.file = file
        self.sha256 = sha256

    @property
    def label(self) -> str:
        """e.g. 'cp38-abi3-win_amd64', 'cp311-linux_x86_64', 'cp313t-linux_x86_64' or 'pp311-linux_x86_64'."""
        if self.is_pypy:
            return f"{self.abi}-{self.target}"
        floor = f"cp{self.python[0]}{self.python[1]}"
        if self.abi == "abi3":
            return f"{floor}-abi3-{self.target}"
        return f"{floor}{'t' if self.free_threaded else ''}-{self.target}"

    @property
    def free_threaded(self) -> bool:
        """A payload for the free-threaded build (abi 'cp313t'): compiled with Py_GIL_DISABLED."""
        return self.abi.startswith("cp") and self.abi.endswith("t")

    @property
    def is_pypy(self) -> bool:
        return self.abi.startswith("pp")


class Host:
    """What this interpreter can load: its platform targets (best first), Python version, floors and
    extension suffixes (as importlib lists them: the file endings it imports itself)."""

    __slots__ = ("abiflags", "floors", "implementation", "suffixes", "targets", "version")

    def __init__(
        self,
        targets: "tuple[str, ...]",
        version: "tuple[int, ...]",
        abiflags: str = "",
        implementation: str = "cpython",
        floors: "dict[str, tuple[int, ...]] | None" = None,
        suffixes: "Sequence[str]" = (),
    ):
        self.targets = tuple(targets)
        self.version = tuple(version)
        self.abiflags = abiflags
        self.implementation = implementation
        self.floors = floors or {}  # {"glibc": (2, 36)} or {"macos": (14, 1)}
        self.suffixes = tuple(suffixes)  # as importlib lists them

    @property
    def free_threaded(self) -> bool:
        """A free-threaded CPython (PEP 703): 't' in its ABI flags, as its extension suffix says
        (`.cpython-313t-x86_64-linux-gnu.so`, `.cp313t-win_amd64.pyd`); the same build's
        sysconfig.get_config_var('Py_GIL_DISABLED') is 1 (not imported here: it costs milliseconds).
        Its GIL can be switched back on at run time (PYTHON_GIL=1); the ABI stays free-threaded."""
        return "t" in self.abiflags

    @property
    def key(self) -> str:
        """e.g. 'cp312-linux_aarch64' or 'pp311-linux_x86_64': how errors name this host."""
        target = self.targets[0] if self.targets else "unknown"
        kind = "pp" if self.implementation == "pypy" else "cp"
        return f"{kind}{self.version[0]}{self.version[1]}{self.abiflags}-{target}"


def parse_manifest(text: str) -> "list[Entry]":
    """The manifest's rows; ImportError naming the first line this loader cannot read."""
    lines = text.splitlines()
    width = len(MANIFEST_COLUMNS)
    if not lines or tuple(lines[0].split("\t")[:width]) != MANIFEST_COLUMNS:
        raise ImportError(f"fatpack: {MANIFEST_NAME} is not a fatpack manifest this loader can read")
    entries = []
    for number, line in enumerate(lines[1:], 2):
        if not line:
            continue
        fields = line.split("\t")[:width]
        if len(fields) < width:
            raise ImportError(
                f"fatpack: {MANIFEST_NAME} line {number} has {len(fields)} of the {width} columns; "
                "the package is damaged, reinstall it"
            )
        try:
            entries.append(Entry(*fields))
        except ValueError as exc:
            raise ImportError(
                f"fatpack: {MANIFEST_NAME} line {number}: {exc.args[0]!r} is not a version; "
                "the package is damaged, reinstall it"
            ) from None
    return entries


def _platform_from_suffix(suffix: str) -> "tuple[tuple[str, ...], str]":
    """Map this interpreter's first extension suffix to (target names best first, ABI flags)."""
    parts = suffix.split(".")  # '', 'cpython-311-x86_64-linux-gnu', 'so'  or  '', 'cp311-win_amd64', 'pyd'
    if len(parts) < 3:
        return (), ""
    tag = parts[1]
    if tag.startswith("pypy") and tag.count("-") >= 2:  # pypy311-pp80-<as CPython's after its version>
        fields = tag.split("-")
        if parts[-1] == "pyd":  # PyPy on Windows: .pypy311-pp73-win_amd64.pyd
            return ("-".join(fields[2:]),), ""
        tag = "-".join(["cpython", fields[0][4:], *fields[2:]])
    if tag.startswith("cpython-"):
        fields = tag.split("-")  # cpython, 311[flags], arch, os, libc  or  cpython, 311[flags], darwin
        flags = fields[1].lstrip("0123456789")
        if len(fields) >= 5 and fields[3] == "linux":
            arch, libc = fields[2], fields[4]
            return ((("musllinux_" if libc.startswith("musl") else "linux_") + arch,), flags)
        if fields[-1] == "darwin":
            arch = os.uname().machine  # the interpreter's: x86_64 under Rosetta
            return (f"macosx_{arch}", "macosx_universal2"), flags
    elif tag.startswith("cp") and "-" in tag:  # Windows: cp311-win_amd64, cp313t-..., _d.cp311-... (debug)
        version, _, platform = tag.partition("-")
        flags = version[2:].lstrip("0123456789") + ("d" if parts[0] == "_d" else "")
        return (platform,), flags
    return (), ""


def _host_floors(targets: "tuple[str, ...]") -> "dict[str, tuple[int, ...]]":
    """glibc's version on glibc Linux; the macOS version (from the Darwin kernel's) on macOS."""
    if targets and targets[0].startswith("linux_"):
        try:
            name, _, version = (os.confstr("CS_GNU_LIBC_VERSION") or "").partition(" ")
        except (ValueError, OSError):
            return {}
        return {"glibc": _version(version)} if name == "glibc" else {}
    if targets and targets[0].startswith("macosx_"):
        darwin = int(os.uname().release.split(".")[0])
        return {"macos": (darwin - 9, 0) if darwin >= 20 else (10, darwin - 4)}
    return {}


def detect_host() -> Host:
    suffixes = extension_suffixes()
    targets, flags = _platform_from_suffix(suffixes[0]) if suffixes else ((), "")
    implementation = sys.implementation.name
    return Host(targets, sys.version_info[:2], flags, implementation, _host_floors(targets), suffixes)


def select_payload(
    entries: "list[Entry]", module: str, host: Host
) -> "tuple[Entry | None, list[tuple[Entry, str]]]":
    """The best entry for `module` on `host` (or None), and every other entry with why it was passed over."""
    best: Entry | None = None
    best_rank: tuple[int, bool, tuple[int, ...]] | None = None
    rejected = []
    for entry in entries:
        if entry.module != module:
            continue
        reason = _reject_reason(entry, host)
        if reason:
            rejected.append((entry, reason))
            continue
        # rank: target preference, then version-specific before abi3, then the newest abi3 floor
        rank = (host.targets.index(entry.target), entry.abi == "abi3", tuple(-v for v in entry.python))
        if best is not None and best_rank is not None and rank >= best_rank:
            rejected.append((entry, f"a better payload fits ({best.label})"))
            continue
        if best is not None:
            rejected.append((best, f"a better payload fits ({entry.label})"))
        best, best_rank = entry, rank
    return best, rejected


def _known_abi(entry: Entry) -> bool:
    """'abi3', or 'cpXY', 'cpXYt', 'ppXY' naming the row's own Python: any other value (a newer
    fatpack's, a debug or another interpreter's build, 'library') is never loaded."""
    version = f"{entry.python[0]}{entry.python[1]}"
    return entry.abi in ("abi3", f"cp{version}", f"cp{version}t", f"pp{version}")


def _reject_reason(entry: Entry, host: Host) -> "str | None":
    if not _known_abi(entry):
        return f"its ABI {entry.abi!r} (Python {_dotted(entry.python)}) is not one this loader knows"
    implementation = "pypy" if entry.is_pypy else "cpython"
    if host.implementation != implementation:
        names = {"pypy": "PyPy", "cpython": "CPython"}
        this = names.get(host.implementation, host.implementation)
        return f"built for {names[implementation]}, this is {this}"
    if entry.target not in host.targets:
        return f"built for {entry.target}"
    if entry.requires:
        kind, need = entry.requires
        have = host.floors.get(kind)
        if have is None or have < need:
            name = _FLOOR_NAMES.get(kind, kind)
            return f"needs {name} {_dotted(need)}, this host has {_dotted(have) if have else 'none'}"
    if entry.is_pypy:
        return _pypy_reject_reason(entry, host)
    if entry.abi == "abi3":
        if host.abiflags:
            return f"abi3 cannot load on a '{host.abiflags}' build of CPython"
        if host.version < entry.python:
            return f"needs Python >= {_dotted(entry.python)}"
        return None
    threading = _threading_mismatch(entry, host)
    if threading:
        return threading
    if entry.python != host.version or host.abiflags.replace("t", ""):
        return f"built for CPython {_dotted(entry.python)}{'t' if entry.free_threaded else ''} only"
    return None


def _threading_mismatch(entry: Entry, host: Host) -> "str | None":
    """A free-threaded interpreter loads only free-threaded payloads, a GIL one never loads them: the
    two builds' object layouts and reference counting differ (PEP 703), a wrong one crashes."""
    if host.free_threaded and not entry.free_threaded:
        return (
            f"built for CPython with the GIL; this is a free-threaded CPython "
            f"({_dotted(host.version)}t), which loads only cp3{host.version[1]}t payloads"
        )
    if entry.free_threaded and not host.free_threaded:
        return "built for free-threaded CPython (Py_GIL_DISABLED); this CPython has the GIL"
    return None


def _pypy_reject_reason(entry: Entry, host: Host) -> "str | None":
    """A PyPy payload loads on PyPy of its Python version whose ABI (pp73, pp80: the release's, which
    PyPy keeps binary compatible within) is the payload's: its file ends with a suffix this PyPy imports."""
    if entry.python != host.version:
        return f"built for PyPy {_dotted(entry.python)} only"
    tagged = [suffix for suffix in host.suffixes if suffix.startswith(".pypy")]  # not '.so', '.abi3.so'
    if not any(entry.file.endswith(suffix) for suffix in tagged):
        built = "." + entry.file.rsplit("/", 1)[-1].split(".", 1)[-1]
        loads = ", ".join(host.suffixes) or "none"
        return f"built for another PyPy ABI ({built}; this PyPy imports {loads})"
    return None


def no_payload_message(fullname: str, host: Host, rejected: "list[tuple[Entry, str]]") -> str:
    """Why nothing fits: the reasons for this platform's own payloads, else what the package carries."""
    near = [f"{entry.label} {reason}" for entry, reason in rejected if entry.target in host.targets]
    if near:
        return f"{fullname}: no usable native payload for this interpreter ({host.key}): " + "; ".join(near)
    carried = sorted(entry.label for entry, _ in rejected)
    return (
        f"{fullname}: no native payload for this interpreter ({host.key}); "
        f"the package carries: {', '.join(carried) or 'none'}"
    )


def diagnosis_hint() -> str:
    """The command that explains the choice (running this file; `python -m` would import the package,
    whose own __init__ may be what fails)."""
    if _IN_ZIP:
        return "FATPACK_DEBUG=1 shows every payload and why it does not fit"
    script = os.path.join(_HERE, "__init__.py")
    return f"`{sys.executable or 'python'} {script}` shows every payload and why it does or does not fit"


def _debug(line: str) -> None:
    sys.stderr.write(f"fatpack: {line}\n")


def _read_packaged(relative: str) -> bytes:
    """A file of this package, from disk or from the zip it was imported from."""
    try:
        if not _IN_ZIP:
            with open(os.path.join(_HERE, *relative.split("/")), "rb") as f:
                return f.read()
        return __loader__.get_data(os.path.join(_DIR, *relative.split("/")))  # type: ignore[name-defined,no-any-return]
    except OSError as exc:
        raise ImportError(
            f"fatpack: cannot read {relative} in {_HERE}: {exc.strerror or 'not in the archive'}; "
            "the package is incomplete, reinstall it"
        ) from None


def _manifest() -> "list[Entry]":
    global _entries
    if _entries is None:
        try:
            text = _read_packaged(MANIFEST_NAME).decode("utf-8")
        except UnicodeDecodeError:
            raise ImportError(
                f"fatpack: {MANIFEST_NAME} in {_HERE} is not UTF-8 text; reinstall the package"
            ) from None
        _entries = parse_manifest(text)
    return _entries


def load_extension(fullname: str) -> "ModuleType":
    """Import the payload for `fullname` and put it in sys.modules in place of the calling stub.
    Whatever goes wrong before the payload's own initialisation is an ImportError that says why."""
    try:
        path = _payload_path(fullname)
    except ImportError:  # the loader's own refusals: each names its cause
        raise
    except Exception as exc:  # a loader bug or an environment it did not foresee: still an ImportError
        raise ImportError(
            f"{fullname}: fatpack's loader failed: {type(exc).__name__}: {exc}; {diagnosis_hint()}",
            name=fullname,
        ) from exc
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


def _payload_path(fullname: str) -> str:
    """Choose the payload for `fullname`; its path on disk (extracted first when inside a zip)."""
    debug = os.environ.get("FATPACK_DEBUG") == "1"
    host = detect_host()
    entry, rejected = select_payload(_manifest(), fullname, host)
    if debug:
        floors = ", ".join(f"{k} {_dotted(v)}" for k, v in host.floors.items()) or "no floor"
        _debug(f"{fullname} on host {host.key} (targets: {', '.join(host.targets) or 'none'}; {floors})")
        for other, reason in rejected:
            _debug(f"  skip {other.label}: {reason}")
    if entry is None:
        raise ImportError(
            f"{no_payload_message(fullname, host, rejected)}; {diagnosis_hint()}", name=fullname
        )
    libraries = [e for e in _manifest() if e.abi == "library" and e.target == entry.target]
    library_paths: list[str] = []
    if _IN_ZIP:
        from . import zipcache  # only inside a zip: the common path never imports it

        files = [(e.file, e.sha256) for e in [entry, *libraries]]
        for relative, _ in files:
            _package_path(relative)  # the same refusal as installed
        path, *library_paths = zipcache.extract(files, _read_packaged, _debug if debug else None)
    else:
        path = _package_path(entry.file)
        if os.environ.get("FATPACK_VERIFY") == "1":
            _verify_installed(fullname, entry)
    if debug:
        _debug(f"chose {entry.label} -> {path}")
    if sys.platform == "win32":
        # the payload's own directory and those of the target's bundled libraries (libs/, or a fused
        # wheel's pkg.libs/), all inside this package; PATH and the current directory are never added
        _add_dll_directory(os.path.dirname(path))
        for library in library_paths if _IN_ZIP else [_package_path(e.file) for e in libraries]:
            _add_dll_directory(os.path.dirname(library))
    return path


def _package_path(relative: str) -> str:
    """A manifest path as a path inside this package; refuse one that would leave it."""
    parts = relative.split("/")
    if relative.startswith("/") or "\\" in relative or ":" in relative or ".." in parts:
        raise ImportError(f"fatpack: manifest path {relative!r} leaves the package; refused")
    return os.path.join(_HERE, *parts)


def _verify_installed(fullname: str, entry: Entry) -> None:
    """FATPACK_VERIFY=1: the payload and its target's bundled libraries must match the manifest."""
    import hashlib  # only here: not part of a normal import's cost

    for item in [entry] + [e for e in _manifest() if e.abi == "library" and e.target == entry.target]:
        with open(_package_path(item.file), "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if digest != item.sha256:
            raise ImportError(
                f"{fullname}: {item.file} differs from its sha256 in the manifest (FATPACK_VERIFY=1): "
                "the installed file was changed; reinstall the package",
                name=fullname,
            )


def _add_dll_directory(directory: str) -> None:
    """Let Windows find DLLs the payload depends on in its own payload directory, and nowhere else new."""
    if sys.platform == "win32" and directory not in _dll_directories:
        _dll_directories[directory] = os.add_dll_directory(directory)


if __name__ == "__main__":  # `python <package>/_fatpack/__init__.py`: the diagnosis, in its own file
    # so that zip mode, which compiles this source at every import, does not pay for it
    sys.path.insert(0, _HERE)  # beside this file (python -I or -P would not look there)
    from diagnose import diagnose  # type: ignore[import-not-found]

    sys.exit(diagnose(sys.modules[__name__]))
