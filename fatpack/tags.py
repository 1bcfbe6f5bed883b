"""Wheel tags both ways: a prebuilt wheel's tags to fatpack's target and ABI, and a target (with the
floors its payloads need) to the platform tag pip understands."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Optional

from packaging.tags import Tag

from fatpack.errors import ArtifactError
from fatpack.targets import (
    FREE_THREADED_MIN_MINOR,
    MIN_MINOR,
    MIN_PYPY_MINOR,
    PYPY,
    TARGETS,
    PythonAbi,
    Target,
    Version,
)

_LINUX_ARCHS = {"x86_64": "x86_64", "aarch64": "aarch64"}
_MACOS_ARCHS = {"x86_64": "macosx_x86_64", "arm64": "macosx_arm64", "universal2": "macosx_universal2"}
_WINDOWS = {"win_amd64": "win_amd64", "win_arm64": "win_arm64", "win32": "win32"}
_MANYLINUX_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def target_for_platform(platform: str) -> Optional[Target]:
    """`manylinux_2_17_x86_64`, `manylinux2014_aarch64`, `musllinux_1_1_x86_64`, `win_amd64`,
    `macosx_11_0_arm64` ... -> the fatpack target; None for a platform fatpack has no target for."""
    if platform in _WINDOWS:
        return TARGETS[_WINDOWS[platform]]
    match = re.match(r"^(manylinux_\d+_\d+|manylinux\d+|linux|musllinux_\d+_\d+)_(.+)$", platform)
    if match and match.group(2) in _LINUX_ARCHS:
        prefix = "musllinux_" if match.group(1).startswith("musllinux") else "linux_"
        return TARGETS[prefix + _LINUX_ARCHS[match.group(2)]]
    match = re.match(r"^macosx_\d+_\d+_(.+)$", platform)
    if match and match.group(1) in _MACOS_ARCHS:
        return TARGETS[_MACOS_ARCHS[match.group(1)]]
    return None


def target_and_abi(tags: Iterable[Tag], wheel: str) -> tuple[Optional[Target], Optional[PythonAbi]]:
    """What a prebuilt wheel is for: (target, ABI), or (None, None) for a pure `py3-none-any` wheel."""
    tags = sorted(tags, key=str)
    if all(t.platform == "any" for t in tags):
        return None, None
    targets = {target_for_platform(t.platform) for t in tags}
    if None in targets or len(targets) != 1:
        platforms = ".".join(sorted({t.platform for t in tags}))
        raise ArtifactError(
            f"{wheel}: platform {platforms} is not one fatpack target (see `fatpack targets`)"
        )
    abis = {_abi_of(t) for t in tags}
    if None in abis or len(abis) != 1:
        found = ", ".join(sorted({f"{t.interpreter}-{t.abi}" for t in tags}))
        raise ArtifactError(
            f"{wheel}: Python tag {found} is not supported; fatpack fuses CPython 'cpXY-cpXY' and "
            "'cpXY-abi3' wheels, free-threaded 'cpXY-cpXYt' and PyPy 'ppXY-pypyXY_ppNN' ones (not debug "
            "builds)"
        )
    return targets.pop(), abis.pop()


def _abi_of(tag: Tag) -> Optional[PythonAbi]:
    pypy = re.match(r"^pp3(\d+)$", tag.interpreter)
    if pypy:  # pp311-pypy311_pp80: a binary for the PyPy release's ABI its file suffix names
        minor = int(pypy.group(1))
        if minor < MIN_PYPY_MINOR or not re.match(rf"^pypy3{minor}_pp\d+$", tag.abi):
            return None
        return PythonAbi(minor, abi3=False, implementation=PYPY)
    match = re.match(r"^cp3(\d+)$", tag.interpreter)
    if not match or (int(match.group(1)) < MIN_MINOR and tag.abi != "abi3"):
        return None
    minor = int(match.group(1))
    if tag.abi == "abi3":  # a stable-ABI binary for 3.6 or 3.7 loads on 3.8, fatpack's lowest floor
        return PythonAbi(max(minor, MIN_MINOR), abi3=True)
    if tag.abi == tag.interpreter:
        return PythonAbi(minor, abi3=False)
    if tag.abi == f"{tag.interpreter}t" and minor >= FREE_THREADED_MIN_MINOR:  # cp313-cp313t
        return PythonAbi(minor, abi3=False, free_threaded=True)
    return None


def platform_tag(target: Target, glibc: Optional[Version] = None, macos: Optional[Version] = None) -> str:
    """The platform tag pip matches for `target`, from the highest floor its payloads need."""
    if target.is_windows:
        return target.name
    if target.libc == "musl":
        return f"musllinux_1_2_{target.arch}"
    if target.libc == "glibc":
        major, minor = (glibc or (2, 17))[:2]
        return f"manylinux_{major}_{max(minor, 17) if major == 2 else minor}_{target.arch}"
    floor = macos or ((11, 0) if target.name == "macosx_arm64" else (10, 9))
    major, minor = ((*floor, 0))[:2]
    arch = "arm64" if target.name == "macosx_arm64" else target.arch
    return f"macosx_{major}_{minor}_{arch}"
