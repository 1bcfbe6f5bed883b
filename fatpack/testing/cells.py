"""The cells of `fatpack test`: every (target, Python ABI) an artifact carries, read from its manifests,
with the Python version each is run on."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from fatpack.errors import ConfigError
from fatpack.inspection import PayloadRow

Version = tuple[int, int]


@dataclass(frozen=True)
class Cell:
    """One target and Python ABI of the artifact, run on CPython `python` (None: the lowest found)."""

    target: str
    abi: str  # as the manifest says it: "abi3" or "cpXY" ("cp313t" free-threaded)
    floor: Version  # the lowest Python the payload loads on
    python: Optional[Version] = None

    @property
    def abi_label(self) -> str:
        """cp38-abi3, cp311-abi3, cp311: as `--python` spells the ABI."""
        return f"cp3{self.floor[1]}-abi3" if self.abi == "abi3" else self.abi

    @property
    def free_threaded(self) -> bool:
        return self.abi.endswith("t")

    @property
    def pypy(self) -> bool:
        """A PyPy payload ('pp311'): run on a PyPy of its version, never on a CPython."""
        return self.abi.startswith("pp")

    @property
    def python_label(self) -> str:
        return "" if self.python is None else f"{self.python[0]}.{self.python[1]}"

    def versions(self, newest: int) -> list[Version]:
        """The Python versions this cell may run on, wanted one first: the one asked, else the floor
        and, for abi3, every later 3.Y up to 3.<newest>."""
        if self.python is not None:
            return [self.python]
        if self.abi != "abi3":
            return [self.floor]
        return [(3, minor) for minor in range(self.floor[1], max(newest, self.floor[1]) + 1)]


def parse_python(text: str) -> Version:
    """`--python 3.11` -> (3, 11); ConfigError otherwise."""
    match = re.fullmatch(r"3\.(\d{1,2})", text.strip())
    if match is None:
        raise ConfigError(f"--python {text!r}: expected a CPython version such as 3.11")
    return (3, int(match.group(1)))


def cells_of(
    rows: Sequence[PayloadRow], targets: Sequence[str] = (), pythons: Sequence[Version] = ()
) -> list[Cell]:
    """Every cell of the artifact whose payload rows are `rows`, for the `targets` asked (all if none)
    and run on the `pythons` asked: an abi3 cell once on each asked version at or above its floor, a
    version-specific one only if its version is asked. ConfigError when a target asked is not carried
    or nothing is left to run."""
    carried = sorted({(r.target, r.abi, _version(r.python)) for r in rows if r.abi != "library"})
    carried_targets = sorted({target for target, _, _ in carried})
    for target in targets:
        if target not in carried_targets:
            raise ConfigError(
                f"--target {target}: the artifact carries no payload for it "
                f"(it carries {', '.join(carried_targets) or 'none'})"
            )
    cells = []
    for target, abi, floor in carried:
        if targets and target not in targets:
            continue
        if not pythons:
            cells.append(Cell(target, abi, floor))
        elif abi == "abi3":
            cells.extend(Cell(target, abi, floor, p) for p in sorted(set(pythons)) if p >= floor)
        elif floor in pythons:
            cells.append(Cell(target, abi, floor, floor))
    if not cells:
        asked = ", ".join(f"{p[0]}.{p[1]}" for p in sorted(set(pythons)))
        raise ConfigError(f"no payload of the artifact runs on the Python asked ({asked or 'any'})")
    return cells


def _version(text: str) -> Version:
    major, minor = text.split(".")[:2]
    return (int(major), int(minor))
