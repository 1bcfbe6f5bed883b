"""Payloads: the per-target binaries a build (fatpack/build.py) or a fused wheel (fatpack/fuse.py) provides,
and where each lives below its loader package."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from fatpack.errors import ArtifactError
from fatpack.targets import PythonAbi, Target


@dataclass(frozen=True)
class Payload:
    """One built extension module: `module` for `target` and `abi`, stored at `path`."""

    module: str  # for a bundled library: its bare name
    target: Target
    abi: PythonAbi
    path: Path
    kind: str = "extension"  # or "library": a bundled shared library, shared by the target's payloads
    stored_as: str = ""  # where it lives below the payload root, when not the standard place (fused wheels)
    # a library no [[tool.fatpack.library]] declares (one from a before-build prefix): the extensions
    # that link it, whose loader packages carry it
    used_by: tuple[str, ...] = ()

    @property
    def relative_path(self) -> str:
        if self.stored_as:
            return self.stored_as
        if self.kind == "library":
            return library_relative_path(self.module, self.target)
        return payload_relative_path(self.module, self.target, self.abi)

    def sha256(self) -> str:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError as exc:
            raise ArtifactError(
                f"payload {self.relative_path} cannot be read: {exc.strerror or exc}"
            ) from None


LIBS_DIR = "libs"  # per target, beside the payloads: bundled libraries, stored once


def library_relative_path(name: str, target: Target) -> str:
    """Where a bundled library lives below the payload root: '<target>/libs/<extra.dll|libextra.so|...>'."""
    return f"{target.name}/{LIBS_DIR}/{target.library_filename(name)}"


def payload_relative_path(module: str, target: Target, abi: PythonAbi) -> str:
    """Where a payload lives below the payload root: '<target>/<module>.<abi3|cpXY-abi3|cpXY><.so|.pyd>'
    (one path per module, target, ABI and floor)."""
    return f"{target.name}/{module}.{abi.file_label}{target.extension_suffix}"
