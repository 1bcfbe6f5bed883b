"""A content-hash cache of compiled payloads, so an unchanged rebuild compiles nothing.

The key covers everything that can change the binary: fatpack's own code, the builder and its compiler
version, the target, the ABI, the SDK (header version, pyconfig.h, import-library export list), every
extension setting, the sources' contents and the headers they can include (files under the extension's
include-dirs, and headers beside its sources). Entries live in FATPACK_BUILD_CACHE, else
~/.cache/fatpack/builds, one file per key, written under a temporary name and renamed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from fatpack import __version__
from fatpack.config import ExtensionConfig
from fatpack.errors import ConfigError
from fatpack.targets import PythonAbi, Target

HEADER_SUFFIXES = frozenset({".h", ".hh", ".hpp", ".hxx", ".inc", ".pxd", ".pxi"})


def default_cache_dir() -> Path:
    override = os.environ.get("FATPACK_BUILD_CACHE")
    if override:
        return usable_cache_dir(Path(override), "FATPACK_BUILD_CACHE")
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return usable_cache_dir(base / "fatpack" / "builds", "XDG_CACHE_HOME" if xdg else "the cache directory")


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


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _header_files(extension: ExtensionConfig) -> Iterable[Path]:
    directories = {s.parent for s in extension.sources}
    for directory in directories:
        yield from (p for p in directory.iterdir() if p.suffix in HEADER_SUFFIXES and p.is_file())
    for include_dir in extension.include_dirs:
        if include_dir.is_dir():
            yield from (p for p in include_dir.rglob("*") if p.suffix in HEADER_SUFFIXES and p.is_file())


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
) -> str:
    inputs = {
        "fatpack": fatpack_fingerprint(),
        "builder": builder,
        "compiler": compiler,
        "target": [target.name, target.zig_triple],
        "abi": abi.tag,
        "strip": strip,
        "sdk": sdk_fingerprint,
        "extension": {
            "name": extension.name,
            "define_macros": extension.define_macros,
            "undef_macros": extension.undef_macros,
            "libraries": extension.libraries,
            "library_dirs": [str(d) for d in extension.library_dirs],
            "include_dirs": [d.name for d in extension.include_dirs],
            "extra_compile_args": extension.extra_compile_args,
            "extra_link_args": extension.extra_link_args,
            "language": extension.language,
        },
        # by name and content, not path: generated sources (Cython) live in a new directory each run
        "sources": [[s.name, _file_digest(s)] for s in extension.sources],
        "headers": sorted([h.name, _file_digest(h)] for h in set(_header_files(extension))),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class PayloadCache:
    """Compiled payloads by key; `root=None` disables caching."""

    root: Optional[Path]

    def fetch(self, key: str, output: Path) -> bool:
        """Copy the cached payload for `key` to `output`; False if there is none."""
        if self.root is None:
            return False
        cached = self.root / key[:2] / key
        if not cached.is_file():
            return False
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, output)
        return True

    def store(self, key: str, built: Path) -> None:
        """Keep a copy of `built` under `key`; a cache that cannot be written is skipped, not an error."""
        if self.root is None:
            return
        final = self.root / key[:2] / key
        temporary = final.with_name(f"{key}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(built, temporary)
            os.replace(temporary, final)
        except OSError:
            temporary.unlink(missing_ok=True)
