"""Fuse prebuilt per-platform wheels of one project (cibuildwheel's, or PyPI's) into one fat wheel.

Each input wheel is for one target and one Python ABI (read from its tags). Its platform files --
extension modules, shared libraries, and everything in auditwheel/delvewheel `*.libs` directories or in
`NAME.data/platlib/` -- move below `<loader>/<target>/<abi>/`, keeping their paths relative to the
install root, so `$ORIGIN/../pkg.libs` RUNPATHs and same-directory DLLs still resolve. Every other file
must be the same in every wheel (line endings aside); delvewheel's `# start delvewheel patch` blocks
are dropped, since the loader adds the DLL directories itself. Stubs, loader and manifest are added as
for a project fatpack built.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from packaging.utils import canonicalize_name

from fatpack.assembler import (
    Member,
    ReproducibleWheelFile,
    checked_binary,
    loader_members,
    loader_package,
    stub_members,
    wheel_file,
    wheel_tag,
    write_atomically,
)
from fatpack.binaries import binary_format, inspect_data
from fatpack.errors import ArtifactError, FatpackError
from fatpack.inspection import is_manifest
from fatpack.payloads import Payload
from fatpack.tags import target_and_abi
from fatpack.targets import PythonAbi, Target
from fatpack.wheelfiles import WheelContents, read_wheel

# dist-info files that describe one particular wheel: regenerated or dropped, never compared
PER_WHEEL_METADATA = frozenset({"RECORD", "RECORD.jws", "RECORD.p7s", "WHEEL", "DELVEWHEEL", "INSTALLER"})
_EXTENSION = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\.[A-Za-z0-9_-]+)?\.(so|pyd)$")
_SHARED_LIBRARY = re.compile(r"\.(dll|dylib)$|\.so(\.\d+)*$")
_DELVEWHEEL_PATCH = re.compile(
    rb'^(""""""\s*)?# start delvewheel patch\r?\n.*?^# end delvewheel patch\r?\n(\r?\n)?', re.S | re.M
)


@dataclass(frozen=True)
class PlatformWheel:
    """One input wheel's platform part: its target and ABI, and files by install-relative name."""

    filename: str
    target: Target
    abi: PythonAbi
    files: dict[str, bytes]


@dataclass(frozen=True)
class FusedWheel:
    """What the fat wheel carries, before it is written."""

    dist: str  # as in wheel file names: 'my_project'
    version: str
    metadata: list[Member]  # dist-info files all inputs share (METADATA, licenses...), relative names
    pure: list[Member]  # files every input wheel has
    loader: str  # the loader package: 'pkg._fatpack', 'ns._fatpack_<project>' or '_fatpack_<project>'
    payloads: list[Payload]  # extension modules and shared libraries: the manifest's rows
    other_platform_files: list[tuple[Target, str, bytes]]  # e.g. import libraries in a .libs directory

    def members(self, payloads: Sequence[Payload]) -> list[Member]:
        """Everything but the dist-info, for these payloads (all of them, or one target's)."""
        targets = {p.target for p in payloads}
        extra = [(name, data) for target, name, data in self.other_platform_files if target in targets]
        shipped = {m.name for m in self.pure}
        generated = _native_members(self.loader, payloads, extra, shipped)
        return sorted(self.pure + generated, key=lambda m: m.name)


def write_fused_wheel(
    fused: FusedWheel,
    payloads: Sequence[Payload],
    out_dir: Path,
    tags: str,
) -> Path:
    """Write the fat wheel (or, given one target's payloads, a thin one) atomically into out_dir."""
    tag = wheel_tag(payloads, tags)
    dist_info = f"{fused.dist}-{fused.version}.dist-info"
    members = fused.members(payloads)
    members += [Member(f"{dist_info}/{m.name}", m.content) for m in fused.metadata]
    members.append(Member(f"{dist_info}/WHEEL", wheel_file(tag)))
    filename = f"{fused.dist}-{fused.version}-{tag}.whl"
    return write_atomically(out_dir, filename, members, ReproducibleWheelFile)


def fuse(paths: Sequence[Path], staging: Path) -> FusedWheel:
    """Read and check the input wheels; platform files are written below `staging` for inspection."""
    seen: set[Path] = set()
    for path in paths:
        if path.resolve() in seen:
            raise ArtifactError(f"{path} is given twice")
        seen.add(path.resolve())
    wheels = [read_wheel(path) for path in paths]
    _refuse_fatpack_wheels(wheels)
    _check_same_project(wheels)
    pure, platform = _sort_files(wheels)
    dist_info = wheels[0].dist_info + "/"
    metadata = [
        Member(n[len(dist_info) :], c) for n, (c, _) in sorted(pure.items()) if n.startswith(dist_info)
    ]
    pure_members = [Member(n, c) for n, (c, _) in sorted(pure.items()) if not n.startswith(dist_info)]
    payloads, extra = _stage_platform_files(platform, staging)
    pure_members = _without_shadowed_sources(pure_members, payloads)
    dist = canonicalize_name(wheels[0].name).replace("-", "_")
    loader = _loader_for(payloads, dist, {m.name for m in pure_members})
    fused = FusedWheel(dist, str(wheels[0].version), metadata, pure_members, loader, payloads, extra)
    _reject_collisions(fused.members(payloads))
    return fused


def _sort_files(
    wheels: Sequence[WheelContents],
) -> tuple[dict[str, tuple[bytes, str]], list[PlatformWheel]]:
    """The files all wheels share (content and first wheel, by name), and each wheel's platform part."""
    pure: dict[str, tuple[bytes, str]] = {}
    names_by_wheel: dict[str, set[str]] = {}
    platform: list[PlatformWheel] = []
    for wheel in wheels:
        target, abi = target_and_abi(wheel.tags, wheel.filename)
        shared, platform_files = _split(wheel, is_platform=target is not None)
        _merge_pure(pure, shared, wheel.filename)
        names_by_wheel[wheel.filename] = set(shared)
        if target is not None and abi is not None:
            platform.append(PlatformWheel(wheel.filename, target, abi, platform_files))
    _check_one_wheel_per_slot(platform)
    _check_every_file_everywhere(pure, names_by_wheel)
    return pure, platform


def _without_shadowed_sources(pure: list[Member], payloads: Sequence[Payload]) -> list[Member]:
    """Drop `pkg/mod.py` where the wheels carry an extension module `pkg.mod`: CPython's import system
    tries extension suffixes first, so that file was never imported where the extension exists; the
    stub takes its place (pyzmq ships such Cython-source .py files)."""
    stubs = {p.module.replace(".", "/") + ".py" for p in payloads if p.kind == "extension"}
    return [m for m in pure if m.name not in stubs]


def _refuse_fatpack_wheels(wheels: Sequence[WheelContents]) -> None:
    """A wheel fatpack made (`fatpack assemble dist/*.whl` after an assemble) is named as such: its
    binaries sit under its loader package, where fusing would not look for them."""
    for wheel in wheels:
        manifests = sorted(name for name in wheel.members if is_manifest(name))
        if manifests:
            raise ArtifactError(
                f"{wheel.filename} was made by fatpack (it carries {manifests[0]}): "
                "fuse the per-platform wheels it came from, or use it as it is"
            )


def _check_same_project(wheels: Sequence[WheelContents]) -> None:
    first = wheels[0]
    for wheel in wheels[1:]:
        if wheel.name != first.name or wheel.version != first.version:
            raise ArtifactError(
                f"{wheel.filename} is {wheel.name} {wheel.version}, but {first.filename} is "
                f"{first.name} {first.version}: only wheels of one project and version can be fused"
            )


def _split(wheel: WheelContents, is_platform: bool) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(shared files, platform files) by install-relative name; `.data/purelib|platlib/` folded in."""
    dist_info = wheel.dist_info
    data_dir = dist_info[: -len(".dist-info")] + ".data/"
    shared: dict[str, bytes] = {}
    platform: dict[str, bytes] = {}
    for name, content in wheel.members.items():
        if name.startswith(dist_info + "/") and name.split("/")[-1] in PER_WHEEL_METADATA:
            continue
        from_platlib = name.startswith(data_dir + "platlib/")
        if name.startswith((data_dir + "purelib/", data_dir + "platlib/")):
            name = name.split("/", 2)[2]
        if is_platform and (from_platlib or is_platform_file(name)):
            platform[name] = content
            continue
        if name.endswith(".py"):
            unpatched = _DELVEWHEEL_PATCH.sub(b"", content)
            if unpatched != content and not unpatched.strip():
                continue  # a file delvewheel created only to hold its patch
            content = unpatched
        shared[name] = content
    return shared, platform


def is_platform_file(name: str) -> bool:
    """An extension module, a shared library, or a file in an auditwheel/delvewheel/delocate libs dir."""
    parts = name.split("/")
    if parts[0].endswith(".libs") or ".dylibs" in parts[:-1]:
        return True
    return bool(_EXTENSION.match(parts[-1]) or _SHARED_LIBRARY.search(parts[-1]))


def _same_text(a: bytes, b: bytes) -> bool:
    return a == b or a.replace(b"\r\n", b"\n") == b.replace(b"\r\n", b"\n")


def _merge_pure(pure: dict[str, tuple[bytes, str]], shared: dict[str, bytes], filename: str) -> None:
    for name, content in shared.items():
        if name not in pure:
            pure[name] = (content, filename)
        elif not _same_text(pure[name][0], content):
            raise ArtifactError(
                f"{name} differs between {pure[name][1]} and {filename}; files outside extension modules "
                "and libraries must be the same in every wheel"
            )


def _check_every_file_everywhere(
    pure: dict[str, tuple[bytes, str]], names_by_wheel: dict[str, set[str]]
) -> None:
    for filename, names in names_by_wheel.items():
        for name, (_, first) in sorted(pure.items()):
            if name not in names:
                raise ArtifactError(f"{name} is in {first} but not in {filename}")


def _check_one_wheel_per_slot(platform: Sequence[PlatformWheel]) -> None:
    seen: dict[tuple[str, PythonAbi], str] = {}
    for wheel in platform:
        slot = (wheel.target.name, wheel.abi)
        if slot in seen:
            raise ArtifactError(
                f"{seen[slot]} and {wheel.filename} are both for {wheel.abi.tag}-{wheel.target.name}"
            )
        seen[slot] = wheel.filename


def module_name(name: str) -> Optional[str]:
    """'pkg/sub/_x.cpython-311-x86_64-linux-gnu.so' -> 'pkg.sub._x'; None if not an extension module."""
    parts = name.split("/")
    match = _EXTENSION.match(parts[-1])
    if not match or parts[0].endswith(".libs") or ".dylibs" in parts:
        return None
    if not all(p.isidentifier() for p in parts[:-1]):
        return None
    return ".".join([*parts[:-1], match.group(1)])


def _untagged_library(name: str, content: bytes) -> bool:
    """An unversioned shared library named like an extension module without ABI tag (`pkg/libfoo.so`,
    bundled beside the extension that records that name): a POSIX binary exporting no `PyInit_libfoo`."""
    match = _EXTENSION.match(name.split("/")[-1])
    if match is None or match.group(2) or match.group(3) != "so" or binary_format(content) is None:
        return False
    try:
        return f"PyInit_{match.group(1)}" not in inspect_data(content, name).exports
    except FatpackError:
        return False  # checked_binary says what is wrong with it


def _stage_platform_files(
    platform: Sequence[PlatformWheel], staging: Path
) -> tuple[list[Payload], list[tuple[Target, str, bytes]]]:
    """Payload rows for extension modules and shared libraries; the other platform files as they are."""
    payloads: list[Payload] = []
    extra: list[tuple[Target, str, bytes]] = []
    for wheel in platform:
        for name, content in sorted(wheel.files.items()):
            stored_as = f"{wheel.target.name}/{wheel.abi.file_label}/{name}"
            path = staging / stored_as
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            module = module_name(name)
            if module is not None and _untagged_library(name, content):
                module = None
            if module is not None:
                payload = Payload(module, wheel.target, wheel.abi, path, stored_as=stored_as)
            elif binary_format(content):
                payload = Payload(name.split("/")[-1], wheel.target, wheel.abi, path, "library", stored_as)
            else:
                extra.append((wheel.target, stored_as, content))
                continue
            try:
                checked_binary(payload)
            except ArtifactError as exc:
                raise ArtifactError(f"{wheel.filename}: {name}: {str(exc).split(': ', 1)[-1]}") from None
            payloads.append(payload)
    return payloads, extra


def _loader_for(payloads: Sequence[Payload], project: str, shipped: Collection[str]) -> str:
    """One loader package for the fused wheel: `pkg._fatpack` (`ns._fatpack_<project>` in a namespace
    package) when every extension module lives in the same top-level package, else `_fatpack_<project>`."""
    modules = {p.module for p in payloads if p.kind == "extension"}
    if not modules:
        raise ArtifactError("the wheels hold no extension module: nothing to fuse (use any one of them)")
    loaders = {loader_package(m, project, shipped) for m in modules}
    top_level_loader = loader_package("", project, shipped)  # '_fatpack_<project>'
    return loaders.pop() if len(loaders) == 1 else top_level_loader


def _native_members(
    loader: str, payloads: Sequence[Payload], extra: Sequence[tuple[str, bytes]], shipped: Collection[str]
) -> list[Member]:
    modules = sorted({p.module for p in payloads if p.kind == "extension"})
    return stub_members(dict.fromkeys(modules, loader), shipped) + loader_members(loader, payloads, extra)


def _reject_collisions(members: Sequence[Member]) -> None:

    names = [m.name for m in members]
    if len(set(names)) != len(names):
        clash = next(name for name in sorted(names) if names.count(name) > 1)
        raise ArtifactError(f"{clash} in the wheels collides with the file fatpack generates there")
