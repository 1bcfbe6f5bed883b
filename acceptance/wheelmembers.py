"""Issue 24's rule, "an artifact is complete or absent", judged from outside: the non-binary members of
a fat wheel are those of the wheel the project's own backend builds.

One comparison for the acceptance set (acceptance/run.py, step "members") and the tests
(tests/projectwheel.py). Stdlib only and written independently of fatpack's own self-check
(fatpack/reference.py), so that a mistake there is not repeated here and cannot hide itself.

Left out on both sides, as fatpack replaces them by design:
  - native binaries (`.so`, `.pyd`, `.dll`, `.dylib`, `libx.so.1`): the fat wheel carries one per target;
  - the dist-info's RECORD and WHEEL: written for each wheel (the fat wheel's tag is py3-none-any);
  - fatpack's loader packages (every `*/_fatpack*/` directory holding a manifest.tsv: loader, manifest
    and the payloads below it).
Left out of the fat wheel's side only: the stub `pkg/mod.py` and `pkg/mod.pyi` fatpack writes for each
extension module its manifests name, where the own wheel has the binary `pkg/mod.*.so` instead.
`.data/purelib/` and `.data/platlib/` members are compared by their installed name (the own wheel is
built on this host, where setuptools may put pure files in either).
"""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path
from typing import Any

BINARY_SUFFIXES = (".so", ".pyd", ".dll", ".dylib")
PER_WHEEL = ("RECORD", "WHEEL")
MANIFEST = "manifest.tsv"


@dataclasses.dataclass(frozen=True)
class Comparison:
    missing: tuple[str, ...]  # in the project's own wheel, not in the fat wheel
    extra: tuple[str, ...]  # in the fat wheel, not in the own wheel, fatpack's own files aside

    @property
    def same(self) -> bool:
        return not self.missing and not self.extra

    def as_json(self) -> dict[str, Any]:
        return {"same": self.same, "missing": list(self.missing), "extra": list(self.extra)}


def compare(fat: Path, own: Path) -> Comparison:
    fat_members, own_members = non_binary_members(fat), non_binary_members(own)
    return Comparison(
        missing=tuple(sorted(own_members - fat_members)),
        extra=tuple(sorted(fat_members - own_members - extension_stubs(fat))),
    )


def non_binary_members(wheel: Path) -> set[str]:
    """Every member but native binaries, RECORD and WHEEL and fatpack's loader packages, with
    `.data/purelib|platlib/` members named as installed."""
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
    loaders = tuple(m.rpartition("/")[0] + "/" for m in names if is_manifest(m))
    result = set()
    for name in names:
        base = name.split("/")[-1]
        if name.startswith(loaders) or name.endswith(BINARY_SUFFIXES) or ".so." in base:
            continue
        if ".dist-info/" in name and base in PER_WHEEL:
            continue
        parts = name.split("/")
        if parts[0].endswith(".data") and len(parts) > 2 and parts[1] in ("purelib", "platlib"):
            name = "/".join(parts[2:])
        result.add(name)
    return result


def extension_stubs(wheel: Path) -> set[str]:
    """The stub and .pyi names of every extension module in a fat wheel's manifests (their first
    line is a header; `lib:` rows are bundled shared libraries, not modules)."""
    with zipfile.ZipFile(wheel) as archive:
        rows = [
            line.split("\t")[0]
            for m in archive.namelist()
            if is_manifest(m)
            for line in archive.read(m).decode().splitlines()[1:]
            if line and not line.startswith(("#", "lib:"))
        ]
    return {m.replace(".", "/") + s for m in rows for s in (".py", ".pyi")}


def is_manifest(name: str) -> bool:
    parts = name.split("/")
    return len(parts) >= 2 and parts[-1] == MANIFEST and parts[-2].startswith("_fatpack")
