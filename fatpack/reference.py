"""The project's own wheel as the reference of what an artifact must hold ("complete or absent").

For a project with a build of its own (setuptools' setup.py or ext-modules, or any other PEP 517
backend; not one whose extensions [tool.fatpack] declares), fatpack first builds the host wheel with
the project's own backend in its build environment (fatpack/buildenv.py). Every member of that wheel
except its native binaries -- pure modules, package data, .pyi and py.typed, `.data/` scripts,
headers, data and .pth files, and the dist-info's METADATA, entry points, license files -- is the base
of the fat wheel, taken as it is; fatpack adds its stubs, loader, manifest and payloads, as fuse does
with a prebuilt wheel. Before anything is written, `check_complete` compares the artifact with the
host wheel: a non-binary member missing or added (fatpack's own files aside), or an extension module
of the host wheel without a stub, is an error naming the files.
"""

from __future__ import annotations

import zipfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from fatpack.assembler import Member
from fatpack.binaries import binary_format
from fatpack.buildenv import BuildEnv, backend_errors, captured_runner, private_copy
from fatpack.errors import ArtifactError, ConfigError
from fatpack.fuse import PER_WHEEL_METADATA, is_platform_file, module_name
from fatpack.inspection import is_manifest
from fatpack.packages import SourceFile
from fatpack.wheelfiles import WheelContents, read_wheel
from runtime_loader.loader import MANIFEST_NAME, parse_manifest

SHOWN = 5  # missing or extra files named in one error
FATPACK_BACKEND = "fatpack.backend"


@dataclass(frozen=True)
class HostWheel:
    """The project's own wheel for this host, split into what the fat wheel takes and what it replaces."""

    path: Path
    dist: str  # as in its dist-info directory name: 'zope_interface'
    version: str
    files: tuple[SourceFile, ...]  # non-binary members outside the dist-info, extracted to disk
    metadata: tuple[Member, ...]  # dist-info members but RECORD/WHEEL/signatures, names relative to it
    extensions: frozenset[str]  # the extension modules it carries ('zope.interface._zope_interface_...')
    binaries: tuple[str, ...]  # every member left out as a native binary

    @property
    def dist_info(self) -> str:
        return f"{self.dist}-{self.version}.dist-info"

    def expected(self) -> frozenset[str]:
        """The non-binary member names every artifact must carry, exactly."""
        names = {f.archive_name for f in self.files}
        names.update(f"{self.dist_info}/{m.name}" for m in self.metadata)
        return frozenset(names)

    def files_besides(self, stubs: Collection[str]) -> list[SourceFile]:
        """The files, without a `pkg/mod.py` where fatpack writes the stub of extension `pkg.mod`:
        the import system prefers the extension there, so that file was never imported."""
        return [f for f in self.files if f.archive_name not in stubs]


def has_own_build(pyproject: dict[str, Any]) -> bool:
    """Whether a reference wheel can be built: fatpack's own backend would build the fat wheel itself."""
    system = pyproject.get("build-system", {})
    backend = system.get("build-backend") if isinstance(system, dict) else None
    return backend != FATPACK_BACKEND


def build_host_wheel(
    project_dir: Path, env: BuildEnv, work: Path, environ: Optional[Mapping[str, str]] = None
) -> HostWheel:
    """Build the project's wheel with its own backend in `env`; extract its non-binary members below work.
    The backend runs on a copy of the project: setuptools writes build/ and *.egg-info where it runs,
    and fatpack leaves the user's files as they were. `environ`: variables the backend gets besides
    fatpack's own (CPPFLAGS/LDFLAGS naming the host target's before-build prefix)."""
    import build  # the frontend library; imported here so reading wheels never needs it

    out = work / "wheel"
    out.mkdir(parents=True, exist_ok=True)
    source = private_copy(project_dir, work / "source")
    extra = dict(environ or {})

    def runner(
        cmd: Sequence[str], cwd: Optional[str] = None, extra_environ: Optional[Mapping[str, str]] = None
    ) -> None:
        captured_runner(cmd, cwd, {**(extra_environ or {}), **extra})

    try:
        builder = build.ProjectBuilder(source, python_executable=env.python, runner=runner)
    except build.BuildException as exc:
        raise ConfigError(f"{project_dir}: {exc}") from None
    with backend_errors(project_dir, "build_wheel"):
        path = Path(builder.build("wheel", out))
    return read_host_wheel(path, work / "files")


def read_host_wheel(path: Path, extract_to: Path) -> HostWheel:
    wheel = read_wheel(path)
    dist_info = wheel.dist_info
    dist, _, version = dist_info[: -len(".dist-info")].rpartition("-")
    data_dir = f"{dist}-{version}.data/"
    files: list[SourceFile] = []
    metadata: list[Member] = []
    binaries: list[str] = []
    extensions: set[str] = set()
    for name, content in sorted(wheel.members.items()):
        if name.startswith(dist_info + "/"):
            if name.split("/")[-1] not in PER_WHEEL_METADATA:
                metadata.append(Member(name[len(dist_info) + 1 :], content))
            continue
        installed = _installed_name(name, data_dir)  # as in the fat wheel: Root-Is-Purelib false
        if is_platform_file(installed) or binary_format(content) is not None:
            binaries.append(name)
            module = module_name(installed)
            if module is not None:
                extensions.add(module)
            continue
        target = extract_to / installed
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        files.append(SourceFile(installed, target))
    _check_unique(files, wheel)
    return HostWheel(
        path, dist, version, tuple(files), tuple(metadata), frozenset(extensions), tuple(binaries)
    )


def _installed_name(name: str, data_dir: str) -> str:
    """`.data/purelib/x` and `.data/platlib/x` install at the root; other `.data/` members stay."""
    for scheme in ("purelib/", "platlib/"):
        if name.startswith(data_dir + scheme):
            return name[len(data_dir + scheme) :]
    return name


def _check_unique(files: Sequence[SourceFile], wheel: WheelContents) -> None:
    seen: set[str] = set()
    for f in files:
        if f.archive_name in seen:
            raise ArtifactError(f"{wheel.filename}: {f.archive_name} is in the wheel twice (root and .data/)")
        seen.add(f.archive_name)


def check_complete(artifact: Path, host: HostWheel) -> None:
    """The self-check: the artifact's non-binary members are the host wheel's, fatpack's own files
    (RECORD, WHEEL, loader packages, stubs and .pyi of extension modules) aside; every extension
    module of the host wheel has its stub. Else an ArtifactError naming the files."""
    with zipfile.ZipFile(artifact) as archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        manifests = [n for n in names if is_manifest(n)]
        rows = [e for m in manifests for e in parse_manifest(archive.read(m).decode("utf-8"))]
    modules = {e.module for e in rows if e.abi != "library"}
    loaders = tuple(m[: -len(MANIFEST_NAME)] for m in manifests)
    expected = host.expected()
    stubs = {m.replace(".", "/") + suffix for m in modules | host.extensions for suffix in (".py", ".pyi")}
    ours = {f"{host.dist_info}/RECORD", f"{host.dist_info}/WHEEL"}
    present = {n for n in names if not n.startswith(loaders) and n not in ours}
    missing = sorted(expected - present)
    extra = sorted(n for n in present - expected if n not in stubs)
    no_stub = sorted(m for m in host.extensions if m.replace(".", "/") + ".py" not in present)
    problems = []
    if missing:
        problems.append(f"lacks {_named(missing)}")
    if no_stub:
        problems.append(f"has no stub for the extension module(s) {_named(no_stub)}")
    if extra:
        problems.append(f"holds {_named(extra)}, which that wheel does not")
    if problems:
        raise ArtifactError(
            f"{artifact.name} is not complete, not written: compared with the project's own wheel "
            f"{host.path.name}, it " + "; it ".join(problems)
        )


def _named(names: Sequence[str]) -> str:
    more = f" (and {len(names) - SHOWN} more)" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more
