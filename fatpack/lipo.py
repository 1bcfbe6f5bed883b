"""macOS universal2: two thin Mach-O slices merged into one file by llvm-lipo (Debian package `llvm`)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from fatpack.errors import ToolchainError
from fatpack.runner import Runner


def find_lipo() -> str:
    """`llvm-lipo`, else the newest `llvm-lipo-NN` on PATH, else Apple's `lipo`."""
    for name in ("llvm-lipo",):
        if shutil.which(name):
            return name
    versioned: list[tuple[int, str]] = []
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if os.path.isdir(directory):
            versioned += [
                (int(m.group(1)), m.group(0))
                for f in os.listdir(directory)
                if (m := re.fullmatch(r"llvm-lipo-(\d+)", f))
            ]
    if versioned:
        return max(versioned)[1]
    if shutil.which("lipo"):
        return "lipo"
    raise ToolchainError("macosx_universal2 needs llvm-lipo: install it (Debian: apt-get install llvm)")


def merge_universal(slices: Sequence[Path], output: Path, runner: Runner) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    runner([find_lipo(), "-create", *map(str, slices), "-output", str(output)])
