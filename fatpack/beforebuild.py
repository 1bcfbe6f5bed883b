"""`before-build`: the C libraries a project's extensions link (libyaml, libxml2, ...), built by the
project's own commands once per target, with that target's cross toolchain exported.

Each command runs through `sh -c` in a private copy of the project (fatpack/buildenv.private_copy),
with the inherited environment plus `Toolchain.env(prefix)`: CC, CXX, AR, RANLIB, CFLAGS, LDFLAGS,
FATPACK_HOST_TRIPLE (autoconf's `--host`), CMAKE_TOOLCHAIN_FILE, FATPACK_MESON_CROSS_FILE, and
FATPACK_PREFIX, where the commands install. That prefix's include/ and lib/ then go on the include
and library paths of every compile for the target (`Prefix.apply`; `Prefix.cflags`/`ldflags` for a
build driven otherwise).

The prefix is cached in the payload cache's directory, under a key over the commands, the toolchain
(zig's version, the target's triple, the wrappers) and the content of every file of the project the
commands can read (the private copy they run in). It is built in a private directory and renamed
into place only when every command succeeded: a half-built prefix is never used. The rest of the
inherited environment is not in the key: `--no-cache` builds again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shlex
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional, TypeVar

from fatpack.atomic import STAGING_PREFIX
from fatpack.binaries import inspect_binary
from fatpack.buildenv import private_copy
from fatpack.config import ExtensionConfig
from fatpack.errors import BuildError, ConfigError
from fatpack.payloads import LIBS_DIR
from fatpack.runner import Runner
from fatpack.targets import Target
from fatpack.toolchain import Toolchain, toolchain_for

logger = logging.getLogger("fatpack")

KEY_VERSION = "fatpack-before-build 2"  # 2: text files name the final prefix
TIMEOUT = 3600.0  # seconds for all of one target's commands (a C library's configure and make)
CACHE_SUBDIR = "before-build"  # inside the payload cache directory
# variables whose value names the prefix: not in the key (the prefix's path follows from the key)
_PREFIX_VARIABLES = ("FATPACK_PREFIX", "CMAKE_INSTALL_PREFIX", "CPPFLAGS", "LDFLAGS", "PKG_CONFIG_LIBDIR")

_Item = TypeVar("_Item", bound=ExtensionConfig)


@dataclass(frozen=True)
class Prefix:
    """Where one target's before-build commands installed: headers in include/, libraries in lib/
    (Windows DLLs in bin/)."""

    target: Target
    path: Path

    @property
    def include_dirs(self) -> tuple[Path, ...]:
        return tuple(d for d in (self.path / "include",) if d.is_dir())

    @property
    def library_dirs(self) -> tuple[Path, ...]:
        return tuple(d for d in (self.path / "lib", self.path / "lib64") if d.is_dir())

    @property
    def pkg_config_dirs(self) -> tuple[Path, ...]:
        """Where the prefix's pkg-config files go (lib/pkgconfig, share/pkgconfig), as the before-build
        commands were told (Toolchain.env)."""
        return (self.path / "lib" / "pkgconfig", self.path / "share" / "pkgconfig")

    def cflags(self) -> list[str]:
        """The prefix as compiler flags (for CFLAGS, or a build's own include path)."""
        return [f"-I{d}" for d in self.include_dirs]

    def ldflags(self) -> list[str]:
        """The prefix as linker flags (for LDFLAGS, or a build's own library path)."""
        return [f"-L{d}" for d in self.library_dirs]

    def environ(self, inherited: Mapping[str, str]) -> dict[str, str]:
        """CPPFLAGS and LDFLAGS of `inherited` with the prefix added, and the prefix's pkg-config files
        ahead of the host's on PKG_CONFIG_PATH: what a native build (setuptools' build_ext, which reads
        both flags; a setup.py asking pkg-config) of the host target needs to compile against the prefix."""
        flags = {"CPPFLAGS": self.cflags(), "LDFLAGS": self.ldflags()}
        environ = {
            name: " ".join(filter(None, (inherited.get(name, ""), shlex.join(added))))
            for name, added in flags.items()
            if added
        }
        searched = [*map(str, self.pkg_config_dirs), inherited.get("PKG_CONFIG_PATH", "")]
        environ["PKG_CONFIG_PATH"] = os.pathsep.join(filter(None, searched))
        return environ

    def shared_libraries(self) -> dict[str, Path]:
        """The shared libraries the prefix holds, by the file name a binary that links one records
        (lower case: Windows compares DLL names so)."""
        found: dict[str, Path] = {}
        for directory in (*self.library_dirs, self.path / "bin"):
            if directory.is_dir():
                for path in directory.iterdir():
                    if path.name.endswith((".dll", ".dylib")) or _is_so(path.name):
                        found[path.name.lower()] = path
        return found

    def linked_libraries(self, binary: Path, needed: Sequence[str]) -> dict[str, Path]:
        """The prefix's shared libraries `binary` (built against the prefix) needs, by the name it
        records: they are bundled beside it. On Windows also the prefix's DLLs those import, and theirs:
        a dependency of a DLL is searched in the directories the loader added (the .pyd's, the bundled
        libraries'). A ConfigError where that cannot work yet: macOS, and on Linux a bundled library
        that needs another of the prefix's (RUNPATH is not inherited)."""
        shared = self.shared_libraries()
        linked = {name: shared[library_file(name)] for name in needed if library_file(name) in shared}
        if linked and self.target.is_macos:
            raise ConfigError(
                f"{binary.name} for {self.target.name} links {next(iter(linked))}, a shared library the "
                "before-build commands installed; fatpack does not bundle those for macOS yet: build the "
                "library static (configure --disable-shared, cmake -DBUILD_SHARED_LIBS=OFF)"
            )
        if self.target.os == "linux":
            for name, path in linked.items():
                for dependency in inspect_binary(path).needed:
                    if dependency.lower() in shared:
                        raise ConfigError(
                            f"{name} (before-build, {self.target.name}) needs {dependency}, another shared "
                            "library of the prefix, which it would not find where the wheel is installed: "
                            "build the libraries static, or link both into the extension"
                        )
        if self.target.is_windows:
            return _with_dependencies(linked, shared)
        return linked

    def apply(self, item: _Item) -> _Item:
        """`item` compiled against the prefix: its include and library directories after the item's own,
        and on Linux, when the prefix holds shared libraries, a RUNPATH to libs/ beside the payload,
        where those it links are bundled."""
        return replace(
            item,
            include_dirs=item.include_dirs + self.include_dirs,
            library_dirs=item.library_dirs + self.library_dirs,
            extra_link_args=item.extra_link_args + self.runpath(f"$ORIGIN/{LIBS_DIR}"),
        )

    def runpath(self, where: str) -> tuple[str, ...]:
        """The linker flag giving a Linux binary the RUNPATH `where` ('$ORIGIN/libs'), when the prefix
        holds shared libraries it may link (bundled there); nothing for other targets or a static prefix."""
        if self.target.os == "linux" and self.shared_libraries():
            return (f"-Wl,-rpath,{where}",)
        return ()


def _with_dependencies(linked: Mapping[str, Path], shared: Mapping[str, Path]) -> dict[str, Path]:
    """`linked` and every library of `shared` (by lower-case file name) they need, directly or not, by
    the name the one needing it records."""
    closure = dict(linked)
    seen = {library_file(name) for name in linked}
    pending = list(linked.values())
    while pending:
        for dependency in inspect_binary(pending.pop()).needed:
            key = library_file(dependency)
            if key in shared and key not in seen:
                seen.add(key)
                closure[dependency] = shared[key]
                pending.append(shared[key])
    return closure


def library_file(needed: str) -> str:
    """The file name a binary's dependency names, as shared_libraries() keys it: macOS records an
    install name (`/abs/prefix/lib/libfoo.dylib`, `@rpath/libfoo.dylib`), ELF and PE a file name."""
    return needed.rsplit("/", 1)[-1].lower()


def _is_so(name: str) -> bool:
    """libfoo.so, libfoo.so.1, libfoo.so.1.2.3"""
    stem, dot, rest = name.partition(".so")
    return bool(stem and dot) and (rest == "" or rest[0] == ".")


def run_before_build(
    commands: Sequence[str],
    target: Target,
    project_dir: Path,
    runner: Runner,
    cache_root: Optional[Path],
    work_dir: Path,
) -> Prefix:
    """Run `commands` for `target` (or find their prefix in `cache_root`; None: always run them, into
    `work_dir`) and return the prefix they installed into."""
    if target.slices:
        raise ConfigError(
            f"before-build for {target.name} is not supported yet: build for "
            f"{' and '.join(target.slices)} instead"
        )
    toolchain = toolchain_for(target)
    work_dir.mkdir(parents=True, exist_ok=True)
    source = private_copy(project_dir, Path(tempfile.mkdtemp(prefix="before-build-", dir=work_dir)) / "src")
    try:
        key = cache_key(commands, toolchain, source)
        root = cache_root / CACHE_SUBDIR if cache_root is not None else work_dir / CACHE_SUBDIR
        final = root / f"{target.name}-{key[:32]}"
        if cache_root is not None and final.is_dir():
            logger.info("before-build for %s: using the prefix built before (%s)", target.name, final)
            return Prefix(target, final)
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
        try:
            _run(commands, toolchain, source, staging, runner)
            if target.is_windows:
                _name_import_libraries_for_zig(staging)
            _relocate_text_files(staging, final)
            _publish(staging, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return Prefix(target, final)
    finally:
        shutil.rmtree(source.parent, ignore_errors=True)


def cache_key(commands: Sequence[str], toolchain: Toolchain, source: Path) -> str:
    """What the commands' result depends on: the commands, the toolchain (its directory is named by
    target, zig version and the wrappers' content), the variables they get, and every file in `source`."""
    digest = hashlib.sha256(KEY_VERSION.encode())
    for command in commands:
        digest.update(b"command\0" + command.encode() + b"\0")
    digest.update(b"toolchain\0" + toolchain.directory.name.encode() + b"\0")
    for name, value in sorted(toolchain.env().items()):
        if name not in _PREFIX_VARIABLES:
            digest.update(f"env\0{name}={value}\0".encode())
    digest.update(tree_digest(source).encode())
    return digest.hexdigest()


def tree_digest(directory: Path) -> str:
    """Every file and link below `directory` by relative path and content (a link by its target)."""
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory).as_posix().encode()
        if path.is_symlink():
            digest.update(b"link\0" + relative + b"\0" + os.readlink(path).encode() + b"\0")
        elif path.is_file():
            digest.update(b"file\0" + relative + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _run(commands: Sequence[str], toolchain: Toolchain, source: Path, prefix: Path, runner: Runner) -> None:
    env = {**os.environ, **toolchain.env(prefix)}
    name = toolchain.target.name
    for command in commands:
        logger.info("before-build for %s: %s", name, command)
        try:
            runner(["sh", "-c", command], cwd=source, env=env, timeout=TIMEOUT)
        except BuildError as exc:
            said = exc.output.strip().splitlines()
            last = said[-1].strip() if said else f"{command!r} {exc}"
            raise BuildError(
                f"before-build for {name} failed: {last}", exc.command, exc.returncode, exc.output
            ) from None


def _name_import_libraries_for_zig(prefix: Path) -> None:
    """GNU tools (libtool, CMake, meson) name a DLL's import library libNAME.dll.a; zig's `-lNAME` for
    Windows looks for NAME.lib and libNAME.a only. Each such import library gets a NAME.lib beside it."""
    for directory in (prefix / "lib", prefix / "lib64"):
        for imported in sorted(directory.glob("lib*.dll.a")) if directory.is_dir() else ():
            name = imported.name[len("lib") : -len(".dll.a")]
            if not (directory / f"{name}.lib").exists() and not (directory / f"lib{name}.a").exists():
                shutil.copyfile(imported, directory / f"{name}.lib")


def _relocate_text_files(staging: Path, final: Path) -> None:
    """The commands installed into `staging`, renamed to `final` once complete: the text files naming
    the prefix (pkg-config's .pc, libtool's .la, xml2-config, CMake package files) name `final`, or a
    pkg-config asked later answers with a directory that is gone. Binary files are left as they are."""
    old, new = str(staging).encode(), str(final).encode()
    for path in staging.rglob("*"):
        if path.is_file() and not path.is_symlink():
            content = path.read_bytes()
            if old in content and b"\0" not in content:
                path.write_bytes(content.replace(old, new))


def _publish(staging: Path, final: Path) -> None:
    """Rename the finished prefix into place; when another run published the same key first, keep its."""
    try:
        os.rename(staging, final)
    except OSError:
        if not final.is_dir():
            raise
