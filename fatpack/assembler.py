"""Assemble one py3-none-any wheel: pure files once, payloads per target, stubs, the vendored loader.

Layout inside the wheel, for an extension `hello._core`:

    hello/__init__.py ...                    the project's pure-Python files
    hello/_core.py                           stub: hands the import over to the loader
    hello/_core.pyi                          for type checkers: a dynamic module (a shipped .pyi wins)
    hello/_fatpack/__init__.py               the vendored runtime loader (runtime_loader/loader.py)
    hello/_fatpack/zipcache.py               its zip part, imported only from inside a zip
    hello/_fatpack/diagnose.py               `python hello/_fatpack/__init__.py`: why which payload fits
    hello/_fatpack/manifest.tsv              module, target, ABI, Python floor, libc/OS floor, file, sha256
    hello/_fatpack/linux_x86_64/hello._core.abi3.so
    hello/_fatpack/win_amd64/hello._core.abi3.pyd
    hello-1.0.dist-info/METADATA, WHEEL, RECORD (written by the `wheel` library), entry_points.txt

An extension at the top level (`_speedups`) gets its loader package `_fatpack_<project>` instead, and one
in a namespace package (no `ns/__init__.py` in this project) `ns._fatpack_<project>`: several projects
share a namespace, and each one's loader files must be its own.
"""

from __future__ import annotations

import contextlib
import sys
import zipfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Literal, Optional, Union

from packaging.tags import parse_tag
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from wheel.wheelfile import WheelFile

from fatpack import __version__
from fatpack.atomic import atomic_path
from fatpack.binaries import BinaryInfo, inspect_binary, target_mismatch
from fatpack.config import ProjectConfig
from fatpack.errors import ArtifactError, ConfigError
from fatpack.metadata import core_metadata, entry_points_txt, license_files
from fatpack.output import shown
from fatpack.packages import SourceFile
from fatpack.payloads import Payload
from fatpack.reproducible import zip_date_time
from fatpack.tags import platform_tag
from fatpack.targets import TARGETS
from runtime_loader.loader import MANIFEST_HEADER, MANIFEST_NAME

if TYPE_CHECKING:
    from fatpack.reference import HostWheel

WHEEL_TAG = "py3-none-any"
LIBRARY_PREFIX = "lib:"  # manifest rows of bundled libraries: "lib:extra" is no Python module name


@dataclass(frozen=True)
class Member:
    """One file of the artifact: its /-separated name and its content (bytes, or a file to copy)."""

    name: str
    content: Union[bytes, Path]

    def read(self) -> bytes:
        return self.content if isinstance(self.content, bytes) else self.content.read_bytes()


def loader_package(module: str, project_name: str, shipped: Collection[str]) -> str:
    """The package that carries the loader for `module`: '<top>._fatpack' when this project ships
    `<top>/__init__.py` (a regular package belongs to one distribution), '<top>._fatpack_<project>' in a
    namespace package (shared by several), '_fatpack_<project>' for a top-level extension."""
    top, dot, _ = module.partition(".")
    project = canonicalize_name(project_name).replace("-", "_")
    if not dot:
        return "_fatpack_" + project
    return f"{top}._fatpack" if f"{top}/__init__.py" in shipped else f"{top}._fatpack_{project}"


def stub_source(module: str, loader: str) -> str:
    return (
        f'"""{module}: native extension; fatpack loads the binary built for this interpreter."""\n'
        f"from {loader} import load_extension as _load_extension\n\n"
        "_load_extension(__name__)\n"
    )


_DYNAMIC_MODULE = "\nfrom typing import Any\n\ndef __getattr__(name: str) -> Any: ...\n"


def typing_stubs(modules: Iterable[str], shipped: Collection[str]) -> list[Member]:
    """`pkg/_x.pyi` for each extension module, so type checkers read a dynamic module (as for an untyped
    extension) rather than the stub's body; a .pyi the project ships itself wins."""
    names = ((m, m.replace(".", "/") + ".pyi") for m in modules)
    return [
        Member(pyi, (f'"""{module}: a native extension module (fatpack)."""\n' + _DYNAMIC_MODULE).encode())
        for module, pyi in names
        if pyi not in shipped
    ]


def manifest_text(payloads: Iterable[Payload]) -> str:
    rows = [MANIFEST_HEADER]
    for p in sorted(payloads, key=lambda p: p.relative_path):
        sha256 = p.sha256()  # first: a missing payload is reported as such
        requires = checked_binary(p).requires
        if p.kind == "library":  # listed for tools and zip extraction; never chosen as a module
            module, abi, python = LIBRARY_PREFIX + p.module, "library", "3.0"
        else:
            module, abi, python = p.module, p.abi.label, f"3.{p.abi.minor}"
        rows.append("\t".join((module, p.target.name, abi, python, requires, p.relative_path, sha256)))
    return "\n".join(rows) + "\n"


def checked_binary(payload: Payload) -> BinaryInfo:
    """Read the payload's binary; refuse one whose format or architecture is not its target's."""
    info = inspect_binary(payload.path)
    mismatch = target_mismatch(info, payload.target)
    if mismatch:
        raise ArtifactError(f"payload {payload.relative_path} {mismatch}")
    return info


# runtime_loader's files as vendored into each loader package: the loader is the package itself.
VENDORED_RUNTIME = {"__init__.py": "loader.py", "zipcache.py": "zipcache.py", "diagnose.py": "diagnose.py"}


def runtime_file(name: str) -> bytes:
    if sys.version_info >= (3, 10):
        from importlib.resources import files
    else:  # pragma: no cover
        from importlib_resources import files
    return files("runtime_loader").joinpath(name).read_bytes()


def native_members(
    config: ProjectConfig, payloads: Sequence[Payload], shipped: Collection[str]
) -> list[Member]:
    """Stubs, loader, manifest and payload files for every loader package; `shipped`: the names of the
    project's own files in the artifact."""
    by_loader: dict[str, list[Payload]] = {}
    for payload in payloads:
        for loader in _loader_packages_of(payload, config, shipped):
            by_loader.setdefault(loader, []).append(payload)
    loaders = {ext.name: loader_package(ext.name, config.name, shipped) for ext in config.extensions}
    members = stub_members(loaders, shipped)
    for loader, group in sorted(by_loader.items()):
        members += loader_members(loader, group)
    return members


def stub_members(loaders: dict[str, str], shipped: Collection[str]) -> list[Member]:
    """For each extension module (mapped to its loader package): the stub that hands its import over to
    the loader, and its .pyi unless the project ships one (`shipped`)."""
    members = [
        Member(m.replace(".", "/") + ".py", stub_source(m, loader).encode()) for m, loader in loaders.items()
    ]
    return members + typing_stubs(loaders, shipped)


def loader_members(
    loader: str, payloads: Sequence[Payload], extra: Sequence[tuple[str, bytes]] = ()
) -> list[Member]:
    """One loader package: the vendored runtime, the manifest, the payloads and `extra` files (path
    below the package, content)."""
    base = loader.replace(".", "/")
    members = [Member(f"{base}/{dest}", runtime_file(src)) for dest, src in VENDORED_RUNTIME.items()]
    members.append(Member(f"{base}/{MANIFEST_NAME}", manifest_text(payloads).encode()))
    members += [Member(f"{base}/{p.relative_path}", p.path) for p in payloads]
    members += [Member(f"{base}/{name}", content) for name, content in extra]
    return members


def _loader_packages_of(payload: Payload, config: ProjectConfig, shipped: Collection[str]) -> list[str]:
    """An extension's payload lives in its loader package; a bundled library in that of each extension
    that links it (normally one package: stored once per target, shared by its subpackages)."""
    if payload.kind != "library":
        return [loader_package(payload.module, config.name, shipped)]
    users = [ext.name for ext in config.extensions if payload.module in ext.link_with] + list(payload.used_by)
    return sorted({loader_package(name, config.name, shipped) for name in users})


def wheel_name(config: ProjectConfig) -> tuple[str, str]:
    """(distribution, version) as they appear in wheel file names."""
    try:
        version = str(Version(config.version))
    except InvalidVersion:
        raise ConfigError(f"project.version {config.version!r} is not a valid version (PEP 440)") from None
    return canonicalize_name(config.name).replace("-", "_"), version


def wheel_file(tag: str = WHEEL_TAG) -> bytes:
    """The dist-info WHEEL file; a compressed tag set (a.b-c-d.e) is written one tag per line.
    Root-Is-Purelib is false: the wheel carries binaries, and everything is installed into platlib."""
    lines = [f"Tag: {t}" for t in sorted(str(t) for t in parse_tag(tag))]
    text = f"Wheel-Version: 1.0\nGenerator: fatpack {__version__}\nRoot-Is-Purelib: false\n"
    return (text + "\n".join(lines) + "\n").encode()


def wheel_tag(payloads: Sequence[Payload], tags: str) -> str:
    """'py3-none-any', or with tags="platforms" the platforms the payloads can run on:
    'py3-none-manylinux_2_17_x86_64.win_amd64' (pip elsewhere then falls back to the sdist)."""
    if tags == "any":
        return WHEEL_TAG
    floors: dict[str, list[BinaryInfo]] = {}
    for payload in payloads:
        floors.setdefault(payload.target.name, []).append(checked_binary(payload))
    if not floors:
        raise ArtifactError("no payloads: a wheel with platform tags needs at least one target")
    platforms = sorted(
        platform_tag(
            TARGETS[name],
            glibc=max((i.glibc for i in infos if i.glibc), default=None),
            macos=max((i.macos for i in infos if i.macos), default=None),
        )
        for name, infos in floors.items()
    )
    return "py3-none-" + ".".join(platforms)


def dist_info_members(config: ProjectConfig, dist_info: str, tag: str = WHEEL_TAG) -> list[Member]:
    members = [
        Member(f"{dist_info}/METADATA", core_metadata(config)),
        Member(f"{dist_info}/WHEEL", wheel_file(tag)),
    ]
    members += [Member(f"{dist_info}/licenses/{name}", config.root / name) for name in license_files(config)]
    entry_points = entry_points_txt(config)
    if entry_points:
        members.append(Member(f"{dist_info}/entry_points.txt", entry_points.encode()))
    return members


def package_members(
    config: ProjectConfig, pure_files: Sequence[SourceFile], payloads: Sequence[Payload]
) -> list[Member]:
    """What any artifact carries besides its metadata: pure files, stubs, loader, manifest, payloads."""
    generated = native_members(config, payloads, {f.archive_name for f in pure_files})
    _reject_collisions(pure_files, generated)
    members = [Member(f.archive_name, f.path) for f in pure_files] + generated
    check_unique_names(members)
    return sorted(members, key=lambda m: m.name)


def check_unique_names(members: Sequence[Member]) -> None:
    """Two members with one name would make an archive PyPI refuses, and one of them unreachable."""
    seen: set[str] = set()
    for member in members:
        if member.name in seen:
            raise ArtifactError(f"two files would be written at {member.name} in the artifact")
        seen.add(member.name)


def assemble_wheel(
    config: ProjectConfig,
    pure_files: Sequence[SourceFile],
    payloads: Sequence[Payload],
    out_dir: Path,
    tags: str = "any",
    host: Optional[HostWheel] = None,
) -> Path:
    """Write NAME-VERSION-TAG.whl into out_dir (atomically) and return its path; TAG is py3-none-any
    or, with tags="platforms", the payloads' platform tags. With `host` (the project's own wheel,
    fatpack/reference.py), name, version and dist-info files are the host wheel's, WHEEL aside."""
    tag = wheel_tag(payloads, tags)
    members = package_members(config, pure_files, payloads)
    if host is None:
        dist, version = wheel_name(config)
        members += dist_info_members(config, f"{dist}-{version}.dist-info", tag)
    else:
        dist, version = host.dist, host.version
        members += [Member(f"{host.dist_info}/{m.name}", m.content) for m in host.metadata]
        members.append(Member(f"{host.dist_info}/WHEEL", wheel_file(tag)))
    return write_atomically(out_dir, f"{dist}-{version}-{tag}.whl", members, ReproducibleWheelFile)


def _reject_collisions(pure_files: Sequence[SourceFile], generated: Sequence[Member]) -> None:
    ours = {m.name for m in generated}
    for f in pure_files:
        if f.archive_name in ours:
            raise ConfigError(f"{f.path} collides with the file fatpack generates at {f.archive_name}")


ZipWriter = Callable[[Path, Literal["w"]], zipfile.ZipFile]


class ReproducibleWheelFile(WheelFile):  # type: ignore[misc]  # wheel ships no type hints
    """The `wheel` library's WheelFile (it adds RECORD), with RECORD stamped like every other member
    rather than with the current time."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None):  # type: ignore[no-untyped-def]
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = _zip_info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type)


def write_atomically(out_dir: Path, filename: str, members: Sequence[Member], writer: ZipWriter) -> Path:
    """Write the archive under a temporary name in out_dir, then rename: never a partial artifact.
    `writer` opens the archive: ReproducibleWheelFile (adds RECORD) or a plain ZipFile. The pipeline
    passes a staging directory as out_dir and moves the result into place once it is verified."""
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        twice = sorted(n for n in set(names) if names.count(n) > 1)
        raise ArtifactError(f"{filename}: {twice[0]} would be written twice; refusing a duplicate member")
    date_time = zip_date_time()  # first: a bad SOURCE_DATE_EPOCH is reported before anything is written
    final = out_dir / filename
    staging = contextlib.ExitStack()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        staged = staging.enter_context(atomic_path(final, same_name=True))
    except OSError as exc:
        why = exc.strerror or exc
        raise ArtifactError(f"cannot write to output directory {shown(out_dir)}: {why}") from None
    try:
        with staging, writer(staged, "w") as archive:
            for member in members:
                archive.writestr(_zip_info(member.name, date_time), member.read())
        return final
    except OSError as exc:
        raise ArtifactError(f"writing {filename} in {shown(out_dir)} failed: {exc.strerror or exc}") from None


def _zip_info(name: str, date_time: Optional[tuple[int, int, int, int, int, int]] = None) -> zipfile.ZipInfo:
    """Reproducible entries: SOURCE_DATE_EPOCH if set, else 1980-01-01; mode 0644."""
    info = zipfile.ZipInfo(name, date_time=date_time or zip_date_time())
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info
