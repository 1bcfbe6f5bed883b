"""Builders turn one extension into one binary for one (target, ABI). They are plug-ins.

fatpack ships `zig` (the default cross compiler), `native` (the host's own C compiler, host target only),
`mingw` (Debian's mingw-w64 GCC) and `command` (the user's own build command); third-party builders
register a class under the entry-point group `fatpack.builders`. A builder is constructed with the
Runner it must use for every command it runs. The contract for plug-in authors: docs/writing-a-builder.md.
"""

from __future__ import annotations

import difflib
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Protocol, runtime_checkable

from fatpack.config import ExtensionConfig
from fatpack.errors import ConfigError
from fatpack.object_cache import ObjectCache
from fatpack.runner import Runner
from fatpack.sdk import PythonSdk
from fatpack.targets import PythonAbi, Target

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "fatpack.builders"


@dataclass(frozen=True)
class BuildJob:
    """One extension, one target, one ABI: everything a builder needs to write `output`."""

    extension: ExtensionConfig
    target: Target
    abi: PythonAbi
    sdk: PythonSdk
    output: Path
    work_dir: Path
    strip: bool = True
    library: bool = False  # a bundled shared library ([[tool.fatpack.library]]), not a Python module
    project_dir: Path = Path(".")  # the project being built (the command builder's working directory)
    bundled: tuple[Path, ...] = ()  # bundled libraries to link (import libraries on Windows)
    # compiled objects by preprocessed input, shared by every ABI and run (fatpack/object_cache.py);
    # None: compile every source (no cache, or a builder without identity())
    objects: Optional[ObjectCache] = None

    @property
    def dependency_dir(self) -> Path:
        """Where the builder leaves the compiler's make-style dependency files (`*.d`, from `-MD -MF`):
        the payload cache keys on every file listed there."""
        return self.work_dir / "deps"


@runtime_checkable
class Builder(Protocol):
    """What every builder has. The class is constructed with the Runner it must use for every command
    (`BuilderFactory`). See docs/writing-a-builder.md."""

    name: str

    def check(self, target: Target) -> None:
        """Raise ToolchainError or ConfigError if this builder cannot build for `target` here."""

    def build(self, job: BuildJob) -> None:
        """Compile and link `job.extension`, writing the binary to `job.output`."""


@runtime_checkable
class CachingBuilder(Builder, Protocol):
    """The optional part: a builder that also has `identity(target)` is served from the payload cache,
    provided that `build` leaves the compiler's make-style dependency files (`-MD -MF`) in
    `job.dependency_dir`. Without either, its payloads are built every time (never served stale)."""

    def identity(self, target: Target) -> str:
        """The compiler used for `target` and its version (asked through the Runner): when it
        changes, every payload it built misses the cache."""


BuilderFactory = Callable[[Runner], Builder]


def builtin_builders() -> dict[str, BuilderFactory]:
    from fatpack.builders.command import CommandBuilder
    from fatpack.builders.mingw import MingwBuilder
    from fatpack.builders.native import NativeBuilder
    from fatpack.builders.zig import ZigBuilder

    return {"zig": ZigBuilder, "native": NativeBuilder, "mingw": MingwBuilder, "command": CommandBuilder}


def available_builders() -> dict[str, BuilderFactory]:
    """Built-in builders plus those registered under the `fatpack.builders` entry-point group. A name
    registered twice is a warning naming both registrations; the first (a built-in one over any) wins."""
    builders = builtin_builders()
    origins = {name: f"fatpack.builders ({name})" for name in builders}
    for ep in _entry_points():
        if ep.name in builtin_builders() and ep.value.startswith("fatpack.builders."):
            continue  # fatpack's own registration of a built-in
        if ep.name in builders:
            log.warning(
                "two builders are named %r: %s and %s; using the first", ep.name, origins[ep.name], ep.value
            )
            continue
        builders[ep.name] = ep.load()
        origins[ep.name] = ep.value
    return builders


def load_builder(name: str, runner: Runner) -> Builder:
    """A built-in builder by name, else one registered as an entry point (scanned only then)."""
    builtin = builtin_builders()
    if name in builtin:
        return builtin[name](runner)
    builders = available_builders()
    if name not in builders:
        close = difflib.get_close_matches(name, sorted(builders), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"unknown builder {name!r} (available: {', '.join(sorted(builders))}){hint}")
    return builders[name](runner)


def _entry_points() -> list:  # type: ignore[type-arg]
    from importlib import metadata

    if sys.version_info >= (3, 10):
        return list(metadata.entry_points(group=ENTRY_POINT_GROUP))
    return list(metadata.entry_points().get(ENTRY_POINT_GROUP, []))  # pragma: no cover
