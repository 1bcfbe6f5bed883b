"""Windows system libraries a project's sources ask for with `#pragma comment(lib, "X.lib")`.

MSVC's linker reads those pragmas and links the library; lld in MinGW mode (zig's) ignores them, so code
that names a library only there (psutil: `#pragma comment(lib, "IPHLPAPI.lib")`) links with undefined
symbols. For a Windows target, each such library that mingw-w64 provides (an import library zig makes
from its `.def` files) is linked as `-l<name>`, lowercased as mingw-w64 names it. Libraries mingw-w64
does not have are left out (the one-line diagnosis names them if the link then fails).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Optional

from fatpack.diagnosis import pragma_libraries
from fatpack.sdk.windows_headers import scanned_files, zig_lib_dir
from fatpack.targets import Target

# zig's mingw-w64 `.def` directories for each architecture, besides lib-common
_ARCH_DEF_DIRS = {"x86_64": "lib64", "aarch64": "libarm64", "x86": "lib32"}


@functools.lru_cache(maxsize=4096)
def _libraries_in_file(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    try:
        return tuple(pragma_libraries(Path(path).read_bytes()))
    except OSError:
        return ()


@functools.lru_cache(maxsize=8)
def mingw_system_libraries(arch: str, lib_dir: Path) -> frozenset[str]:
    """The import libraries mingw-w64 (as zig ships it under `lib_dir`) has for `arch`, by name."""
    mingw = lib_dir / "libc" / "mingw"
    names: set[str] = set()
    for directory in (mingw / "lib-common", mingw / _ARCH_DEF_DIRS.get(arch, "lib64")):
        if directory.is_dir():
            names.update(p.name.split(".def")[0].lower() for p in directory.iterdir() if ".def" in p.name)
    return frozenset(names)


@functools.lru_cache(maxsize=8)
def libraries_in(directory: Path) -> frozenset[str]:
    """The libraries `-l<name>` finds in a GNU toolchain's library directory (`lib<name>.a`)."""
    if not directory.is_dir():
        return frozenset()
    return frozenset(p.name[3:-2].lower() for p in directory.glob("lib*.a"))


def pragma_link_args(
    roots: Iterable[Path], target: Target, available: Optional[frozenset[str]] = None
) -> list[str]:
    """`-l<name>` for every mingw-w64 system library the files in and below `roots` name in
    `#pragma comment(lib, ...)`; [] for other targets. `available`: the toolchain's system libraries
    (default: zig's; none when zig is not installed)."""
    if not target.is_windows:
        return []
    if available is None:
        lib_dir = zig_lib_dir()
        available = mingw_system_libraries(target.arch, lib_dir) if lib_dir else frozenset()
    wanted: dict[str, None] = {}
    for path in scanned_files(roots):
        try:
            status = path.stat()
        except OSError:
            continue
        for library in _libraries_in_file(str(path), status.st_mtime_ns, status.st_size):
            name = library[:-4] if library.lower().endswith(".lib") else library
            if name.lower() in available:
                wanted[name.lower()] = None
    return [f"-l{name}" for name in sorted(wanted)]
