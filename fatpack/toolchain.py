"""The cross toolchain of one target as other build systems see it: a directory of small wrapper
executables (`cc`, `c++`, `ar`, `ranlib`, `strip`, and `dlltool` for Windows) that run zig for the
target, a CMake toolchain file and a meson cross file naming them, and the environment a build script
gets (`Toolchain.env`: CC, CXX, AR, RANLIB, CFLAGS, LDFLAGS, the GNU host triple for autoconf's
`--host`, the toolchain and cross files).

A project's own build (a `before-build` command building a C library, setuptools' `build_ext` run per
target) is pointed at these files; they name the target once, so nothing the build passes can make zig
compile for the host. The directory is keyed by the target and the content of every file in it (zig's
version, the interpreter that runs zig), written in a private directory and renamed into place whole:
a reader sees a complete toolchain or none.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Optional

from fatpack.atomic import STAGING_PREFIX
from fatpack.cache import user_cache_dir
from fatpack.errors import ConfigError, ToolchainError
from fatpack.runner import zig_command
from fatpack.targets import Target

CMAKE_FILE = "toolchain.cmake"
MESON_FILE = "cross.ini"
# flags every compile for a target gets (those of fatpack's own builders, builders/ccflags.py): one
# fixed optimisation level, so zig builds its C runtime for the target once
OPTIMISE = "-O2"

# names autoconf, CMake and meson know the target by: (os, arch) -> value
_GNU_ARCH = {"x86_64": "x86_64", "aarch64": "aarch64", "x86": "i686"}
_CMAKE_SYSTEM = {"linux": "Linux", "windows": "Windows", "macos": "Darwin"}
_CMAKE_PROCESSOR = {
    "linux": {"x86_64": "x86_64", "aarch64": "aarch64", "x86": "i686"},
    "windows": {"x86_64": "AMD64", "aarch64": "ARM64", "x86": "x86"},
    "macos": {"x86_64": "x86_64", "aarch64": "arm64"},
}
_MESON_SYSTEM = {"linux": "linux", "windows": "windows", "macos": "darwin"}
_MESON_CPU_FAMILY = {"x86_64": "x86_64", "aarch64": "aarch64", "x86": "x86"}


def default_toolchain_dir() -> Path:
    """$XDG_CACHE_HOME/fatpack/toolchains (else ~/.cache/fatpack/toolchains); FATPACK_TOOLCHAINS overrides."""
    return user_cache_dir("toolchains", "FATPACK_TOOLCHAINS")


def zig_version() -> str:
    try:
        return version("ziglang")
    except PackageNotFoundError:
        raise ToolchainError("zig is not installed: pip install ziglang") from None


def host_triple(target: Target) -> str:
    """The GNU triple autoconf's `--host` takes: x86_64-linux-gnu, aarch64-linux-musl,
    x86_64-w64-mingw32, aarch64-apple-darwin."""
    arch = _GNU_ARCH[target.arch]
    if target.is_windows:
        return f"{arch}-w64-mingw32"
    if target.is_macos:
        return f"{arch}-apple-darwin"
    return f"{arch}-linux-{'musl' if target.libc == 'musl' else 'gnu'}"


@dataclass(frozen=True)
class Toolchain:
    """The wrappers and files of one target's toolchain, in `directory` (see `toolchain_for`)."""

    target: Target
    directory: Path

    @property
    def cc(self) -> Path:
        return self.directory / "cc"

    @property
    def cxx(self) -> Path:
        return self.directory / "c++"

    @property
    def ar(self) -> Path:
        return self.directory / "ar"

    @property
    def ranlib(self) -> Path:
        return self.directory / "ranlib"

    @property
    def strip(self) -> Path:
        return self.directory / "strip"

    @property
    def dlltool(self) -> Optional[Path]:
        """`zig dlltool` (import libraries from .def files), for Windows targets only."""
        return self.directory / "dlltool" if self.target.is_windows else None

    @property
    def cmake_toolchain_file(self) -> Path:
        return self.directory / CMAKE_FILE

    @property
    def meson_cross_file(self) -> Path:
        return self.directory / MESON_FILE

    @property
    def host_triple(self) -> str:
        return host_triple(self.target)

    @property
    def cflags(self) -> list[str]:
        """Flags for every C and C++ compile: fatpack's optimisation level, and position-independent
        code where a static library may be linked into an extension module (not Windows)."""
        return [OPTIMISE] if self.target.is_windows else [OPTIMISE, "-fPIC"]

    def env(self, prefix: Optional[Path] = None) -> dict[str, str]:
        """The variables a build script for this target gets (to lay over the inherited environment).
        With `prefix` (where the script installs: FATPACK_PREFIX), its include/ and lib/ are on the
        preprocessor and linker paths and its pkg-config directory is the only one pkg-config reads."""
        env = {
            "CC": str(self.cc),
            "CXX": str(self.cxx),
            "AR": str(self.ar),
            "RANLIB": str(self.ranlib),
            "STRIP": str(self.strip),
            "CFLAGS": shlex.join(self.cflags),
            "CXXFLAGS": shlex.join(self.cflags),
            "CPPFLAGS": "",
            "LDFLAGS": "",
            "FATPACK_TARGET": self.target.name,
            "FATPACK_ZIG_TRIPLE": self.target.zig_triple,
            "FATPACK_HOST_TRIPLE": self.host_triple,
            "CMAKE_TOOLCHAIN_FILE": str(self.cmake_toolchain_file),
            "FATPACK_MESON_CROSS_FILE": str(self.meson_cross_file),
            # never the host's .pc files: a host library is the wrong architecture or C runtime
            "PKG_CONFIG_LIBDIR": "",
            "PKG_CONFIG_PATH": "",
        }
        if self.dlltool is not None:
            env["DLLTOOL"] = str(self.dlltool)
        if prefix is not None:
            env.update(
                FATPACK_PREFIX=str(prefix),
                CMAKE_INSTALL_PREFIX=str(prefix),
                CPPFLAGS=shlex.join([f"-I{prefix / 'include'}"]),
                LDFLAGS=shlex.join([f"-L{prefix / 'lib'}"]),
                PKG_CONFIG_LIBDIR=os.pathsep.join(
                    str(prefix / sub / "pkgconfig") for sub in ("lib", "share")
                ),
            )
        return env


def toolchain_for(target: Target, root: Optional[Path] = None) -> Toolchain:
    """`target`'s toolchain below `root` (default: the user cache, `default_toolchain_dir`), written
    there first if no complete one is."""
    if not target.zig_triple:
        raise ConfigError(
            f"{target.name} has no toolchain of its own: it is merged from {', '.join(target.slices)}"
        )
    files = render_files(target)
    digest = hashlib.sha256()
    for name, (content, _) in sorted(files.items()):
        digest.update(f"{name}\0{content}\0".encode())
    root = (root or default_toolchain_dir()).absolute()  # the files name each other by absolute path
    directory = root / f"{target.name}-zig{zig_version()}-{digest.hexdigest()[:16]}"
    if not directory.is_dir():
        _write_directory(directory, files)
    return Toolchain(target, directory)


def render_files(target: Target) -> dict[str, tuple[str, bool]]:
    """Every file of `target`'s toolchain directory by name: (content, executable). The wrappers and
    files name each other by their final paths, filled in as `@DIR@` (see `_write_directory`)."""
    triple = target.zig_triple
    files = {
        "cc": (_wrapper(target, "cc", "-target", triple), True),
        "c++": (_wrapper(target, "c++", "-target", triple), True),
        "ar": (_wrapper(target, "ar"), True),
        "ranlib": (_wrapper(target, "ranlib"), True),
        # zig has no strip; libraries are stripped when the extension that links them is (`-s`)
        "strip": (f"#!/bin/sh\n# fatpack: strip for {target.name} (a no-op)\nexit 0\n", True),
        CMAKE_FILE: (cmake_toolchain(target), False),
        MESON_FILE: (meson_cross_file(target), False),
    }
    if target.is_windows:
        files["dlltool"] = (_wrapper(target, "dlltool"), True)
    return files


def _wrapper(target: Target, tool: str, *arguments: str) -> str:
    """A shell script running `zig TOOL ARGUMENTS...` with the arguments it is given."""
    command = shlex.join([*zig_command(tool), *arguments])
    return f'#!/bin/sh\n# fatpack: zig {tool} for {target.name} (zig {zig_version()})\nexec {command} "$@"\n'


def cmake_toolchain(target: Target) -> str:
    """A CMake toolchain file: the target's system and processor, the wrappers as compilers and
    archivers, and find_* confined to FATPACK_PREFIX (else an empty directory): host libraries and
    headers are never found, programs are (they run on the host)."""
    processor = _CMAKE_PROCESSOR[target.os][target.arch]
    lines = [
        f"# fatpack: CMake toolchain for {target.name} (zig {zig_version()}, -target {target.zig_triple})",
        f"set(CMAKE_SYSTEM_NAME {_CMAKE_SYSTEM[target.os]})",
        f"set(CMAKE_SYSTEM_PROCESSOR {processor})",
        'set(CMAKE_C_COMPILER "@DIR@/cc")',
        'set(CMAKE_CXX_COMPILER "@DIR@/c++")',
        'set(CMAKE_AR "@DIR@/ar" CACHE FILEPATH "archiver")',
        'set(CMAKE_RANLIB "@DIR@/ranlib" CACHE FILEPATH "ranlib")',
        'set(CMAKE_STRIP "@DIR@/strip" CACHE FILEPATH "strip")',
        "if(DEFINED ENV{FATPACK_PREFIX})",
        '  set(CMAKE_FIND_ROOT_PATH "$ENV{FATPACK_PREFIX}")',
        "else()",
        '  set(CMAKE_FIND_ROOT_PATH "@DIR@/empty-root")',
        "endif()",
        "set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)",
        "set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)",
        "set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)",
        "set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)",
    ]
    if target.is_macos:
        lines.append('set(CMAKE_OSX_SYSROOT "" CACHE PATH "no SDK: zig brings the macOS headers")')
    return "\n".join(lines) + "\n"


def meson_cross_file(target: Target) -> str:
    """A meson cross file: the wrappers as binaries and the target as `host_machine`."""
    return (
        f"# fatpack: meson cross file for {target.name} (zig {zig_version()}, -target {target.zig_triple})\n"
        "[binaries]\n"
        "c = '@DIR@/cc'\n"
        "cpp = '@DIR@/c++'\n"
        "ar = '@DIR@/ar'\n"
        "ranlib = '@DIR@/ranlib'\n"
        "strip = '@DIR@/strip'\n"
        "pkg-config = 'pkg-config'\n"
        "\n"
        "[host_machine]\n"
        f"system = '{_MESON_SYSTEM[target.os]}'\n"
        f"cpu_family = '{_MESON_CPU_FAMILY[target.arch]}'\n"
        f"cpu = '{_GNU_ARCH[target.arch]}'\n"
        "endian = 'little'\n"
    )


def _write_directory(directory: Path, files: Mapping[str, tuple[str, bool]]) -> None:
    """Write `files` into a private directory beside `directory` and rename it into place; when
    another process got there first, its (identical) directory stays and ours goes."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=directory.parent))
    try:
        (staging / "empty-root").mkdir()
        for name, (content, executable) in files.items():
            path = staging / name
            path.write_text(content.replace("@DIR@", str(directory)), encoding="utf-8")
            if executable:
                path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        try:
            os.rename(staging, directory)
        except OSError:
            if not directory.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
