"""Builders turn one extension into one binary for one (target, ABI). They are plug-ins.

fatpack ships `zig` (the default cross compiler) and `native` (the host's own C compiler, host target
only); third-party builders register a class under the entry-point group `fatpack.builders`. A builder is
constructed with the Runner it must use for every command it runs.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

from fatpack.config import ExtensionConfig
from fatpack.errors import ConfigError
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

    @property
    def dependency_dir(self) -> Path:
        """Where the builder leaves the compiler's make-style dependency files (`*.d`, from `-MD -MF`):
        the payload cache keys on every file listed there."""
        return self.work_dir / "deps"


class Builder(Protocol):
    """A builder may also define `identity(target) -> str` (the compiler it uses for `target` and its
    version, asked through its Runner). Only builders that do,
    and that leave the compiler's dependency files in `job.dependency_dir`, are served from the payload
    cache: its key must change when the compiler does, or any file the compiler read."""

    name: str

    def check(self, target: Target) -> None:
        """Raise ToolchainError or ConfigError if this builder cannot build for `target` here."""

    def build(self, job: BuildJob) -> None:
        """Compile and link `job.extension`, writing the binary to `job.output`."""


BuilderFactory = Callable[[Runner], Builder]


def builtin_builders() -> dict[str, BuilderFactory]:
    from fatpack.builders.command import CommandBuilder
    from fatpack.builders.mingw import MingwBuilder
    from fatpack.builders.native import NativeBuilder
    from fatpack.builders.zig import ZigBuilder

    return {"zig": ZigBuilder, "native": NativeBuilder, "mingw": MingwBuilder, "command": CommandBuilder}


def available_builders() -> dict[str, BuilderFactory]:
    """Built-in builders plus those registered under the `fatpack.builders` entry-point group."""
    builders = builtin_builders()
    for ep in _entry_points():
        if ep.name in builders and ep.value.startswith("fatpack.builders."):
            continue
        if ep.name in builders:
            log.warning("builder %r from %s ignored: the name is taken", ep.name, ep.value)
            continue
        builders[ep.name] = ep.load()
    return builders


def load_builder(name: str, runner: Runner) -> Builder:
    """A built-in builder by name, else one registered as an entry point (scanned only then)."""
    builtin = builtin_builders()
    if name in builtin:
        return builtin[name](runner)
    builders = available_builders()
    if name not in builders:
        raise ConfigError(f"unknown builder {name!r} (available: {', '.join(sorted(builders))})")
    return builders[name](runner)


def _entry_points() -> list:  # type: ignore[type-arg]
    from importlib import metadata

    if sys.version_info >= (3, 10):
        return list(metadata.entry_points(group=ENTRY_POINT_GROUP))
    return list(metadata.entry_points().get(ENTRY_POINT_GROUP, []))  # pragma: no cover
