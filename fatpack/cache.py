"""A content-hash cache of compiled payloads, so an unchanged rebuild compiles nothing.

The cache is keyed in two steps, as ccache's "manifest" mode is:

1. The command key covers what is known before compiling: fatpack's own code, the builder and its
   compiler version, the environment variables compilers read (CPATH, ...), the target, the ABI, the
   SDK (header version, pyconfig.h, import-library export list), every extension setting, the
   sources' contents, and the linker's inputs (every library a `-l` name resolves to in the library
   directories, as the target's linker would look for it, and files named in the link or compile
   arguments, also inside an option, as a version script in `-Wl,--version-script=FILE`).
2. The compiler's own dependency files (`-MD -MF`) say which other files it read (headers, `.c` files
   included with `#include`); their list is stored under the command key. On lookup the files listed
   there are hashed again, and the entry is found under a key over the command key and those hashes:
   changing any file the compiler read misses. So does a file appearing where the compiler would have
   found it first (a header that now shadows the one it read, earlier in the include path): the paths
   where each file read could also have been found, and were not, are stored too and must stay absent.

The project's directory is in the command key: two checkouts of one project do not share the list of
files the compiler read, so one's header never stands in for the other's.

Entries live in FATPACK_BUILD_CACHE, else ~/.cache/fatpack/builds. Each file starts with a header
holding the sha256 of its key and content, is written under a unique temporary name and renamed into place (a
crash never leaves a half-written entry under a real name), and is checked on every reuse: a damaged
entry is reported, removed and built again. An entry owned by another user (a cache directory shared
with others) is never used: anyone who can write there could plant a well-formed one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from fatpack import __version__, atomic
from fatpack.config import ExtensionConfig
from fatpack.errors import ConfigError
from fatpack.targets import PythonAbi, Target

log = logging.getLogger(__name__)

ENTRY_MAGIC = b"fatpack-cache-entry 1 "

# Environment variables the compilers themselves read (clang/zig cc and gcc): include and library
# search paths, a different zig library directory, clang's option override, the build date.
COMPILER_ENVIRONMENT = (
    "CPATH",
    "C_INCLUDE_PATH",
    "CPLUS_INCLUDE_PATH",
    "OBJC_INCLUDE_PATH",
    "LIBRARY_PATH",
    "COMPILER_PATH",
    "GCC_EXEC_PREFIX",
    "CCC_OVERRIDE_OPTIONS",
    "ZIG_LIB_DIR",
    "SOURCE_DATE_EPOCH",
    "MACOSX_DEPLOYMENT_TARGET",
    "SDKROOT",
)
ENVIRONMENT_INCLUDE_PATHS = ("CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH")


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/fatpack/builds (else ~/.cache/fatpack/builds); FATPACK_BUILD_CACHE overrides."""
    return user_cache_dir("builds", "FATPACK_BUILD_CACHE")


def user_cache_dir(name: str, override_variable: str) -> Path:
    """fatpack's cache directory `name` in the user's cache, or where `override_variable` says;
    ConfigError naming the variable when it is not a usable directory."""
    override = os.environ.get(override_variable)
    if override:
        return usable_cache_dir(Path(override), override_variable)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return usable_cache_dir(base / "fatpack" / name, "XDG_CACHE_HOME" if xdg else "the cache directory")


def usable_cache_dir(path: Path, source: str) -> Path:
    """`path`, unless it or a parent exists as something other than a directory (a ConfigError naming
    `source`, the variable it came from). A cache that merely cannot be written is skipped later."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            if not candidate.is_dir():
                what = "is" if candidate == path else f"is inside {candidate}, which is"
                raise ConfigError(f"{source} {path} {what} not a directory")
            break
    return path


def file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


@functools.lru_cache(maxsize=None)
def fatpack_fingerprint() -> str:
    """fatpack's own code: a change to how fatpack builds (flags, SDK, builders) must miss the cache even
    when the version number stays the same, as it does between development builds."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".def") and path.is_file():
            digest.update(path.relative_to(package).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def cache_key(
    extension: ExtensionConfig,
    target: Target,
    abi: PythonAbi,
    strip: bool,
    builder: str,
    compiler: str,
    sdk_fingerprint: str,
    root: Optional[Path] = None,
) -> str:
    """The command key: everything known before compiling (see the module's docstring)."""
    inputs = {
        "fatpack": fatpack_fingerprint(),
        "builder": builder,
        "compiler": compiler,
        "root": str(root) if root is not None else None,
        "target": [target.name, target.zig_triple],
        "abi": abi.tag,
        "strip": strip,
        "environment": {name: os.environ.get(name) for name in COMPILER_ENVIRONMENT},
        "sdk": sdk_fingerprint,
        "extension": extension_key_inputs(extension),
        # by content and place in the project (quoted includes search the source's directory); a
        # generated source (Cython) by name, as it lives in a new scratch directory each run
        "sources": [[_source_label(s, root), file_digest(s)] for s in extension.sources],
        "linker_inputs": [[str(p), file_digest(p)] for p in linker_inputs(extension, target, root)],
        "compiler_inputs": [
            [str(p), file_digest(p)] for p in files_named_in(extension.extra_compile_args, root)
        ],
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


# ExtensionConfig fields the command key leaves out, each on purpose (tests/test_cache_key.py checks
# that every other field is in it): a new setting reaches the key unless it is listed here.
NOT_IN_KEY = {
    "sources": "keyed by name and content under 'sources' (generated ones live in a new directory)",
    "link_with": "the bundled libraries it names are keyed by content with the SDK fingerprint",
    "builder": "the builder's name and identity() are keyed on their own",
    "command": "the command builder has no identity(): its payloads are never cached",
    "oses": "decides whether the extension is built for a target, not how",
    "overrides": "merged into the other fields before keying (ExtensionConfig.for_target)",
}


def extension_key_inputs(extension: ExtensionConfig) -> dict[str, object]:
    """Every ExtensionConfig field but those in NOT_IN_KEY, as JSON; include directories by path (a
    header moved to another directory of the same name must miss)."""
    inputs: dict[str, object] = {}
    for item in dataclasses.fields(ExtensionConfig):
        if item.name in NOT_IN_KEY:
            continue
        value = getattr(extension, item.name)
        if isinstance(value, tuple):
            value = [str(v) if isinstance(v, Path) else v for v in value]
        inputs[item.name] = value
    return inputs


def _source_label(source: Path, root: Optional[Path]) -> str:
    if root is not None and source.is_relative_to(root):
        return source.relative_to(root).as_posix()
    return source.name


def library_file_names(name: str, target: Target) -> tuple[str, ...]:
    """The files a GNU-style linker (zig's lld, GNU ld, mingw) tries for `-l<name>` in each directory."""
    if name.startswith(":"):  # -l:file names the file itself
        return (name[1:],)
    if target.is_windows:
        return (f"lib{name}.dll.a", f"{name}.dll.a", f"lib{name}.a", f"{name}.lib", f"lib{name}.lib",
                f"lib{name}.dll", f"{name}.dll", f"{name}.a")  # fmt: skip
    if target.is_macos:
        return (f"lib{name}.dylib", f"lib{name}.tbd", f"lib{name}.so", f"lib{name}.a")
    return (f"lib{name}.so", f"lib{name}.a")


def linker_inputs(extension: ExtensionConfig, target: Target, root: Optional[Path] = None) -> list[Path]:
    """Every file the link can read from the project: libraries that `-l` names resolve to in the
    library directories (the extension's and `-L` in its link arguments), and files named outright in
    the link arguments (objects, archives). Libraries of the toolchain itself are the compiler's
    (its version is in the key)."""
    args = list(extension.extra_link_args)
    directories = [*extension.library_dirs, *(Path(a[2:]) for a in args if a.startswith("-L") and a[2:])]
    names = [*extension.libraries, *(a[2:] for a in args if a.startswith("-l") and a[2:])]
    found: list[Path] = []
    for name in names:
        for directory in directories:
            found += [directory / f for f in library_file_names(name, target) if (directory / f).is_file()]
    return found + files_named_in(args, root)


def files_named_in(args: Sequence[str], root: Optional[Path] = None) -> list[Path]:
    """Files the arguments name, standing alone (`lib/x.a`, `@responsefile`) or inside an option
    (`-Wl,--version-script=exports.map`, `-Wl,-T,script.ld`, `-fprofile-use=x.profdata`): their
    content changes the binary as a source's does."""
    found: list[Path] = []
    for arg in args:
        pieces = [arg[1:] if arg.startswith("@") else arg]
        if arg.startswith("-"):
            pieces = [p for part in arg.split(",") for p in part.split("=")[1:] or [part]]
        for piece in pieces:
            piece = piece[1:] if piece.startswith("@") else piece  # a response file, also as -Wl,@file
            if not piece or piece.startswith("-"):
                continue
            path = Path(piece) if root is None else root / piece
            if path.is_file():
                found.append(path)
    return found


# a file a builder leaves among its dependency files when a compile read files they do not list (the
# assembler's `.incbin` and `.include`): its payload is never cached
UNTRACKED_READS = "untracked-reads"


def read_dependency_files(directory: Path, cwd: Path, ignore: Sequence[Path] = ()) -> Optional[list[Path]]:
    """The files listed in the make-style dependency files (`*.d`) a compiler wrote into `directory`,
    relative names taken from `cwd`, without those under `ignore` (this run's own scratch files: the
    SDK and generated sources are in the key already). None when there are no dependency files, or
    when they do not list everything read (UNTRACKED_READS)."""
    files = sorted(directory.glob("*.d")) if directory.is_dir() else []
    if not files or (directory / UNTRACKED_READS).exists():
        return None
    found: dict[Path, None] = {}
    for depfile in files:
        for name in parse_dependency_file(depfile.read_text(encoding="utf-8", errors="surrogateescape")):
            path = Path(os.path.normpath(cwd / name))
            if not any(path.is_relative_to(i) for i in ignore):
                found[path] = None
    return sorted(found)


_INCLUDE_FLAGS = ("-I", "-iquote", "-isystem", "-idirafter")


def include_dirs_in_args(args: Sequence[str], cwd: Path) -> list[Path]:
    """The directories `-I dir`, `-Idir`, `-iquote`, `-isystem`, `-idirafter` add to the search path."""
    found: list[Path] = []
    for number, arg in enumerate(args):
        for flag in _INCLUDE_FLAGS:
            if arg == flag and number + 1 < len(args):
                found.append(cwd / args[number + 1])
            elif arg.startswith(flag) and len(arg) > len(flag) and not arg.startswith("-include"):
                found.append(cwd / arg[len(flag) :])
    return found


def environment_include_dirs() -> list[Path]:
    """The directories CPATH and its kin add to the compiler's search path."""
    values = (os.environ.get(name, "") for name in ENVIRONMENT_INCLUDE_PATHS)
    return [Path(d) for value in values for d in value.split(os.pathsep) if d]


def shadowing_paths(dependencies: Sequence[Path], search_dirs: Sequence[Path], root: Path) -> list[Path]:
    """Paths that do not exist now but where the compiler would find a file it read if one appeared
    there: each file read, by its name below any search directory holding it and by its last three
    path components (`<stdio.h>`, `<sys/types.h>` from the toolchain), under every search directory
    (the include directories, the sources' directories and the directories of the files read inside
    the project, which quoted includes search first). So are the names the project's files probe with
    `__has_include(...)`, which found nothing (a missing file is not in the dependency file).
    Over-approximate: a file appearing there costs a rebuild, never a stale binary."""
    inside = [d for d in dependencies if d.is_relative_to(root)]
    directories = list(dict.fromkeys([*search_dirs, *(d.parent for d in inside)]))
    absent: dict[Path, None] = {}
    probed = {Path(name) for dependency in inside for name in _probed_names(dependency)}
    for candidate in (d / name for d in directories for name in probed):
        if not os.path.lexists(candidate):
            absent[candidate] = None
    for dependency in dependencies:
        names = {Path(*dependency.parts[-k:]) for k in (1, 2, 3) if len(dependency.parts) > k}
        names.update(dependency.relative_to(d) for d in directories if dependency.is_relative_to(d))
        for directory in directories:
            for name in names:
                candidate = directory / name
                if candidate != dependency and candidate not in absent and not os.path.lexists(candidate):
                    absent[candidate] = None
    return sorted(absent)


_HAS_INCLUDE = re.compile(rb"__has_include(?:_next)?\s*\(\s*[<\"]([^>\"\n]+)[>\"]")


def _probed_names(path: Path) -> list[str]:
    """The names a source or header asks `__has_include` about."""
    try:
        text = path.read_bytes()
    except OSError:
        return []
    return [m.group(1).decode("utf-8", "surrogateescape") for m in _HAS_INCLUDE.finditer(text)]


_TARGET_SEPARATOR = re.compile(r"(?<!\\):(?=\s|$)")


def parse_dependency_file(text: str) -> list[str]:
    """The prerequisites in a make rule `target: a.c b.h \\ c.h` as gcc and clang write it (spaces
    in names escaped with a backslash, '\\#' for '#', '$$' for '$')."""
    body = text.replace("\\\r\n", " ").replace("\\\n", " ")
    names: list[str] = []
    for rule in body.splitlines():
        parts = _TARGET_SEPARATOR.split(rule, maxsplit=1)
        if len(parts) != 2:
            continue
        escaped = parts[1].replace("\\ ", "\x00").replace("$$", "$").replace("\\#", "#")
        names += [n.replace("\x00", " ") for n in escaped.split()]
    return names


class DamagedEntry(Exception):
    """A cache file whose content does not match its own checksum (internal: never leaves this module)."""


def _checksum(name: str, content: bytes) -> str:
    """Over the entry's file name (its key) too: an entry renamed or copied under another key is
    as damaged as a truncated one."""
    return hashlib.sha256(name.encode() + b"\0" + content).hexdigest()


def _seal(name: str, content: bytes) -> bytes:
    return ENTRY_MAGIC + _checksum(name, content).encode() + b"\n" + content


def _unseal(name: str, sealed: bytes) -> bytes:
    header, newline, content = sealed.partition(b"\n")
    if not newline or not header.startswith(ENTRY_MAGIC):
        raise DamagedEntry("no fatpack cache header")
    if header[len(ENTRY_MAGIC) :].decode("ascii", "replace") != _checksum(name, content):
        raise DamagedEntry(
            "its checksum does not match its content and key (truncated, overwritten or moved)"
        )
    return content


def entry_key(command_key: str, dependencies: Iterable[Path]) -> str:
    """The key of the entry built from `command_key` when the dependencies have their current content."""
    listed = [[str(path), file_digest(path)] for path in dependencies]
    return hashlib.sha256(json.dumps([command_key, listed]).encode()).hexdigest()


@dataclass(frozen=True)
class PayloadCache:
    """Compiled payloads by key; `root=None` disables caching."""

    root: Optional[Path]

    def _path(self, key: str, suffix: str = "") -> Path:
        assert self.root is not None
        return self.root / key[:2] / (key + suffix)

    def fetch(self, key: str, output: Path) -> bool:
        """Copy the cached payload for the command `key` to `output` when every file the compiler read
        for it still has the content it had; False if there is none (or it was damaged)."""
        if self.root is None:
            return False
        index = self._read(self._path(key, ".deps"))
        if index is None:
            return False
        try:
            listed = json.loads(index)
            dependencies = [Path(p) for p in listed["dependencies"]]
            absent = [Path(p) for p in listed.get("absent", [])]
        except (ValueError, KeyError, TypeError, AttributeError):
            self._damaged(self._path(key, ".deps"), "it is not a dependency list")
            return False
        appeared = next((path for path in absent if os.path.lexists(path)), None)
        if appeared is not None:
            log.info("payload cache: %s appeared where the compiler searches; building again", appeared)
            return False
        payload = self._read(self._path(entry_key(key, dependencies)))
        if payload is None:
            return False
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(payload)
        return True

    def store(self, key: str, dependencies: Sequence[Path], built: Path, absent: Sequence[Path] = ()) -> None:
        """Keep `built` under the command `key` and the current content of `dependencies` (the files
        the compiler read), to be used only while every path in `absent` stays absent (see
        `shadowing_paths`); a cache that cannot be written is skipped, not an error."""
        if self.root is None:
            return
        try:
            listed = {"dependencies": [str(p) for p in dependencies], "absent": [str(p) for p in absent]}
            index = json.dumps(listed).encode()
            self._write(self._path(entry_key(key, dependencies)), built.read_bytes())
            self._write(self._path(key, ".deps"), index)
        except OSError as exc:
            log.info("payload cache not written (%s)", exc.strerror or exc)

    def _read(self, path: Path) -> Optional[bytes]:
        try:
            with open(path, "rb") as file:
                owner = os.fstat(file.fileno()).st_uid
                sealed = file.read()
        except OSError:
            return None
        if hasattr(os, "geteuid") and owner != os.geteuid():
            # a shared cache directory: anyone can write a well-formed entry under a key we will ask for
            log.warning("payload cache entry %s belongs to another user (uid %d): not used", path, owner)
            return None
        try:
            return _unseal(path.name, sealed)
        except DamagedEntry as exc:
            self._damaged(path, str(exc))
            return None

    def _damaged(self, path: Path, why: str) -> None:
        log.warning("payload cache entry %s is damaged: %s; removed, building again", path, why)
        with contextlib.suppress(OSError):
            path.unlink()

    def _write(self, path: Path, content: bytes) -> None:
        """Write under a name no other process uses, then rename: readers see the whole file or none."""
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(path, _seal(path.name, content))
