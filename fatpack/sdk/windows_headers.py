"""Windows headers by any spelling: `#include <Windows.h>` on a case-sensitive disk.

Code written for MSVC spells Windows SDK headers as it likes (`Windows.h`, `WinSock2.h`, `Shlwapi.h`,
`BaseTsd.h`); Windows' file system does not care. The mingw-w64 headers zig (and Debian's mingw) ship
are all lowercase, so on Linux those includes fail with "file not found". The overlay is a directory of
symbolic links, one for each name the project's sources include that does not exist as spelled in the
toolchain's Windows include directories but does lowercased, pointing at the real header. Builders add
it with `-idirafter`: searched last, so the project's own headers and the toolchain's always win.

Deterministic and cheap: the names come from scanning the sources' `#include` lines (and Cython's
`cdef extern from "..."`), so the overlay is a function of the project's files and the toolchain, both
already in the payload cache key. Pure functions over paths, for any compiler wrapper to call.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Optional

# files a C, C++ or Cython build reads #include lines from
SCANNED_SUFFIXES = frozenset(
    (".c", ".h", ".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++", ".inl", ".inc", ".ipp",
     ".tcc", ".m", ".mm", ".pyx", ".pxd", ".pxi")
)  # fmt: skip
_INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include(?:_next)?[ \t]*[<"]([^>"\r\n]+)[>"]', re.MULTILINE)
_CYTHON_EXTERN = re.compile(rb'^[ \t]*cdef[ \t]+extern[ \t]+from[ \t]+["\']([^"\'\r\n]+)["\']', re.MULTILINE)
OVERLAY_FLAG = "-idirafter"


def zig_lib_dir() -> Optional[Path]:
    """zig's library directory (headers, mingw-w64 sources) in the ziglang package; None without it."""
    spec = importlib.util.find_spec("ziglang")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "lib"


def zig_windows_include_dirs() -> tuple[Path, ...]:
    """The include directories zig searches for a `*-windows-gnu` target: mingw-w64's headers, its
    C++ library's and clang's own (empty when ziglang is not installed)."""
    lib = zig_lib_dir()
    if lib is None:
        return ()
    candidates = (lib / "libc" / "include" / "any-windows-any", lib / "libcxx" / "include", lib / "include")
    return tuple(d for d in candidates if d.is_dir())


@functools.lru_cache(maxsize=8)
def header_index(include_dirs: tuple[Path, ...]) -> Mapping[str, Path]:
    """Every file below the include directories by its lowercased `/`-separated relative name (the
    first directory holding a name wins, as in the compiler's search)."""
    index: dict[str, Path] = {}
    for directory in include_dirs:
        for parent, _, files in os.walk(directory):
            for file in files:
                path = Path(parent, file)
                index.setdefault(path.relative_to(directory).as_posix().lower(), path)
    return index


def included_names(text: bytes) -> list[str]:
    """The names a source's `#include` (and `#include_next`, Cython `cdef extern from`) lines name."""
    found = _INCLUDE.findall(text) + _CYTHON_EXTERN.findall(text)
    return [name.decode("utf-8", "surrogateescape").strip() for name in found]


@functools.lru_cache(maxsize=4096)
def _names_in_file(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    try:
        return tuple(included_names(Path(path).read_bytes()))
    except OSError:
        return ()


def scanned_files(roots: Iterable[Path]) -> list[Path]:
    """The C, C++ and Cython files among `roots` (files) and below them (directories)."""
    found: dict[Path, None] = {}
    for root in roots:
        if root.is_file():
            found[root] = None
        elif root.is_dir():
            for parent, dirs, files in os.walk(root):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                wanted = (Path(parent, f) for f in files if Path(f).suffix.lower() in SCANNED_SUFFIXES)
                found.update(dict.fromkeys(wanted))
    return list(found)


def names_included_by(roots: Iterable[Path]) -> set[str]:
    """Every name `#include`d by the files among and below `roots`."""
    names: set[str] = set()
    for path in scanned_files(roots):
        try:
            status = path.stat()
        except OSError:
            continue
        names.update(_names_in_file(str(path), status.st_mtime_ns, status.st_size))
    return names


def misspelled_headers(names: Iterable[str], include_dirs: Sequence[Path]) -> dict[str, Path]:
    """The names that exist in `include_dirs` only in another case, each with the header it means."""
    index = header_index(tuple(include_dirs))
    links: dict[str, Path] = {}
    for name in sorted(set(names)):
        relative = name.replace("\\", "/")
        if relative.startswith("/") or ".." in relative.split("/"):
            continue
        if any((directory / relative).exists() for directory in include_dirs):
            continue  # found as spelled
        real = index.get(relative.lower())
        if real is not None:
            links[relative] = real
    return links


def write_overlay(links: Mapping[str, Path], overlay_dir: Path) -> Optional[Path]:
    """A directory of symbolic links `name -> header` (None when there is nothing to link)."""
    if not links:
        return None
    for name, real in links.items():
        link = overlay_dir / name
        link.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(link):
            if link.resolve() == real.resolve():
                continue
            link.unlink()
        link.symlink_to(real)
    return overlay_dir


def windows_header_overlay(
    roots: Iterable[Path], overlay_dir: Path, include_dirs: Optional[Sequence[Path]] = None
) -> list[str]:
    """The compiler arguments that make every Windows header the files in or below `roots` include
    resolve whatever its case (`-idirafter OVERLAY`), the overlay written to `overlay_dir`; [] when
    nothing needs it. `include_dirs`: the toolchain's Windows headers (default: zig's)."""
    directories = list(include_dirs) if include_dirs is not None else list(zig_windows_include_dirs())
    links = misspelled_headers(names_included_by(roots), directories)
    overlay = write_overlay(links, overlay_dir)
    return [OVERLAY_FLAG, str(overlay)] if overlay is not None else []
