"""Payloads: the per-target binaries, and the build step that makes them through builders."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from fatpack.binaries import inspect_binary, target_mismatch
from fatpack.builders import Builder, BuildJob, load_builder
from fatpack.cache import (
    PayloadCache,
    cache_key,
    environment_include_dirs,
    include_dirs_in_args,
    read_dependency_files,
    shadowing_paths,
)
from fatpack.config import ExtensionConfig, LibraryConfig, ProjectConfig
from fatpack.cython import check_cython_abis, cythonize, is_cython
from fatpack.errors import ArtifactError, BuildError, ConfigError, FatpackError
from fatpack.lipo import find_lipo, merge_universal
from fatpack.runner import Runner
from fatpack.sdk import PythonSdk, prepare_sdk, sdk_fingerprint
from fatpack.sdk.windows import import_library_for_dll
from fatpack.targets import TARGETS, PythonAbi, Target


@dataclass(frozen=True)
class Payload:
    """One built extension module: `module` for `target` and `abi`, stored at `path`."""

    module: str  # for a bundled library: its bare name
    target: Target
    abi: PythonAbi
    path: Path
    kind: str = "extension"  # or "library": a bundled shared library, shared by the target's payloads
    stored_as: str = ""  # where it lives below the payload root, when not the standard place (fused wheels)

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


@dataclass(frozen=True)
class TargetReport:
    """How building one target went, for a progress line."""

    target: Target
    builder: str
    payloads: int
    seconds: float
    error: Optional[FatpackError] = None
    cached: int = 0  # how many payloads came from the build cache


ProgressCallback = Callable[[TargetReport], None]


NO_CACHE = PayloadCache(None)


@dataclass(frozen=True)
class BuildPlan:
    """What to build: the project, and the targets/ABIs/builders chosen for this run, and how."""

    config: ProjectConfig
    targets: Sequence[Target]
    abis: Sequence[PythonAbi]
    builder_names: dict[str, str]  # target name -> builder name
    jobs: int = 1  # targets built at the same time
    cache: PayloadCache = NO_CACHE


def make_plan(
    config: ProjectConfig,
    targets: Sequence[Target] = (),
    abis: Sequence[PythonAbi] = (),
    builder_overrides: Optional[dict[str, str]] = None,
    jobs: int = 1,
    cache: PayloadCache = NO_CACHE,
) -> BuildPlan:
    """Command-line choices over the config: targets, ABIs and per-target builders. A target or ABI
    named twice is built once."""
    chosen_targets = tuple(dict.fromkeys(tuple(targets) or config.targets))
    chosen_abis = tuple(dict.fromkeys(tuple(abis) or config.abis))
    overrides = builder_overrides or {}
    builder_names = {
        t.name: overrides.get(t.name, overrides.get("*", config.builder_for(t))) for t in chosen_targets
    }
    return BuildPlan(config, chosen_targets, chosen_abis, builder_names, max(1, jobs), cache)


def build_payloads(
    plan: BuildPlan,
    runner: Runner,
    work_dir: Path,
    out_dir: Path,
    progress: Optional[ProgressCallback] = None,
) -> list[Payload]:
    """Build every extension for every target and ABI into out_dir/<target>/...

    All builders are checked before anything is compiled. Targets are built `plan.jobs` at a time;
    each reports as it finishes. Every target is attempted; if any failed, the first failure (in target
    order) is raised after all have reported.
    """
    builders = _checked_builders(plan, runner)
    check_cython_abis(plan.config.extensions, plan.abis)
    sources = _generated_sources(plan, runner, work_dir / "cython")
    with ThreadPoolExecutor(max_workers=plan.jobs) as pool:
        futures = [
            pool.submit(
                _build_target_reporting,
                plan,
                sources,
                t,
                builders[t.name],
                runner,
                work_dir,
                out_dir,
                progress,
            )
            for t in plan.targets
        ]
        results = [future.result() for future in futures]
    failures = [report.error for report, _ in results if report.error is not None]
    if failures:
        raise failures[0]
    return [payload for _, built in results for payload in built]


# (extension name, ABI tag) -> the extension as compiled: Cython sources replaced by generated C/C++.
CompiledSources = dict[tuple[str, str], ExtensionConfig]


def _generated_sources(plan: BuildPlan, runner: Runner, out_dir: Path) -> CompiledSources:
    """Cythonize once per (extension, ABI), before the per-target builds share the result."""
    compiled: CompiledSources = {}
    for extension in plan.config.extensions:
        for abi in plan.abis:
            key = (extension.name, abi.tag)
            if is_cython(extension):
                compiled[key] = cythonize(extension, abi, runner, out_dir / abi.tag / extension.name)
            else:
                compiled[key] = extension
    return compiled


def _build_target_reporting(
    plan: BuildPlan,
    sources: CompiledSources,
    target: Target,
    builder: Builder,
    runner: Runner,
    work_dir: Path,
    out_dir: Path,
    progress: Optional[ProgressCallback],
) -> tuple[TargetReport, list[Payload]]:
    started = time.monotonic()
    built: list[tuple[Payload, bool]] = []
    error: Optional[FatpackError] = None
    try:
        built = _build_target(plan, sources, target, builder, runner, work_dir, out_dir)
    except FatpackError as exc:
        error = exc
    cached = sum(from_cache for _, from_cache in built)
    report = TargetReport(target, builder.name, len(built), time.monotonic() - started, error, cached)
    if progress:
        progress(report)
    return report, [payload for payload, _ in built]


def _checked_builders(plan: BuildPlan, runner: Runner) -> dict[str, Builder]:
    """Load and check the builder of every target, reporting all problems at once."""
    builders: dict[str, Builder] = {}
    problems: list[FatpackError] = []
    for target in plan.targets:
        try:
            builder = load_builder(plan.builder_names[target.name], runner)
            for name in target.slices or (target.name,):
                builder.check(TARGETS[name])
            if target.slices:
                find_lipo()
            builders[target.name] = builder
            for item in (*plan.config.libraries, *plan.config.extensions):
                if item.builder is not None:  # an item's own builder, e.g. "command" for one library
                    load_builder(item.builder, runner).check(target)
        except FatpackError as exc:
            problems.append(exc)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        messages = dict.fromkeys(str(p) for p in problems)
        raise type(problems[0])("; ".join(messages))
    return builders


def _build_target(
    plan: BuildPlan,
    sources: CompiledSources,
    target: Target,
    builder: Builder,
    runner: Runner,
    work_dir: Path,
    out_dir: Path,
) -> list[tuple[Payload, bool]]:
    """Every extension and ABI for one target; each payload with whether it came from the cache."""
    built: list[tuple[Payload, bool]] = []
    libraries = {}
    for library in plan.config.libraries:
        item_builder = _builder_for(library, builder, runner)
        payload, link_file = _build_library(plan, library, target, item_builder, runner, work_dir, out_dir)
        libraries[library.name] = link_file
        built.append((payload, False))
    for abi in plan.abis:
        for configured in plan.config.extensions:
            if not configured.builds_for(target):
                continue
            extension = sources[configured.name, abi.tag].for_target(target)
            item_builder = _builder_for(configured, builder, runner)
            bundled = tuple(libraries[name] for name in extension.link_with)
            output = out_dir / payload_relative_path(extension.name, target, abi)
            job_dir = work_dir / "jobs" / f"{target.name}-{abi.tag}-{extension.name}"
            if target.slices:
                slices = [
                    _build_one(
                        plan, TARGETS[name], abi, extension, item_builder, runner, work_dir, job_dir / name
                    )
                    for name in target.slices
                ]
                merge_universal([path for path, _ in slices], output, runner)
                from_cache = all(hit for _, hit in slices)
            else:
                _, from_cache = _build_one(
                    plan, target, abi, extension, item_builder, runner, work_dir, job_dir, output, bundled
                )
            built.append((Payload(extension.name, target, abi, output), from_cache))
    return built


def _builder_for(item: ExtensionConfig, target_builder: Builder, runner: Runner) -> Builder:
    """The item's own builder when it names one (checked up front), else the target's."""
    return target_builder if item.builder is None else load_builder(item.builder, runner)


def _build_one(
    plan: BuildPlan,
    target: Target,
    abi: PythonAbi,
    extension: ExtensionConfig,
    builder: Builder,
    runner: Runner,
    work_dir: Path,
    job_dir: Path,
    output: Optional[Path] = None,
    bundled: tuple[Path, ...] = (),
) -> tuple[Path, bool]:
    """Compile one extension for one (target, ABI), or take it from the cache when nothing changed.
    Returns the binary (by default in job_dir/out) and whether it came from the cache."""
    output = output or job_dir / "out" / f"{extension.name}{target.extension_suffix}"
    sdk_path = plan.config.sdk_paths.get(target.name)
    identity = getattr(builder, "identity", None)  # builders without one are never cached
    key = None
    if identity is not None and plan.cache.root is not None:
        fingerprint = sdk_fingerprint(target, abi, sdk_path) + "".join(
            hashlib.sha256(path.read_bytes()).hexdigest() for path in bundled
        )
        key = cache_key(
            extension, target, abi, plan.config.strip, builder.name, identity(), fingerprint, plan.config.root
        )
        if plan.cache.fetch(key, output):
            return output, True
    sdk = prepare_sdk(target, abi, work_dir, runner, sdk_path)
    job_dir.mkdir(parents=True, exist_ok=True)
    job = BuildJob(
        extension,
        target,
        abi,
        sdk,
        output,
        job_dir,
        plan.config.strip,
        bundled=bundled,
        project_dir=plan.config.root,
    )
    _compile(builder, job)
    if key is not None:
        # this run's own scratch files (the SDK, generated sources) are in the key already
        dependencies = read_dependency_files(job.dependency_dir, job_dir, ignore=(work_dir,))
        if dependencies is not None:  # a builder that does not say what it read is never cached
            search_dirs = [
                *extension.include_dirs,
                *include_dirs_in_args(extension.extra_compile_args, job_dir),
                *environment_include_dirs(),
                *(source.parent for source in extension.sources),
            ]
            plan.cache.store(
                key, dependencies, output, shadowing_paths(dependencies, search_dirs, plan.config.root)
            )
    return output, False


def _build_library(
    plan: BuildPlan,
    library: LibraryConfig,
    target: Target,
    builder: Builder,
    runner: Runner,
    work_dir: Path,
    out_dir: Path,
) -> tuple[Payload, Path]:
    """Build (or copy the prebuilt) bundled library for `target`; return it and the file to link."""
    if target.slices:
        raise ConfigError(
            f"library {library.name!r}: bundled libraries are not supported for {target.name} yet"
        )
    output = out_dir / library_relative_path(library.name, target)
    job_dir = work_dir / "jobs" / f"{target.name}-library-{library.name}"
    job_dir.mkdir(parents=True, exist_ok=True)
    prebuilt = library.prebuilt.get(target.name)
    settings = library.for_target(target)
    if prebuilt is not None:
        mismatch = target_mismatch(inspect_binary(prebuilt), target)
        if mismatch:
            raise ConfigError(f"library {library.name!r}: prebuilt {prebuilt.name} {mismatch}")
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(prebuilt, output)
        link_file = import_library_for_dll(output, target, job_dir, runner) if target.is_windows else output
    elif library.sources or library.command:
        no_python = PythonSdk(include_dirs=(), defines=())
        job = BuildJob(
            settings,
            target,
            plan.abis[0],
            no_python,
            output,
            job_dir,
            plan.config.strip,
            library=True,
            project_dir=plan.config.root,
        )
        _compile(builder, job)
        # zig and GNU ld leave the import library NAME.lib / libNAME.dll.a beside the DLL they link
        link_file = output
        if target.is_windows:  # the builder's import library, else one made from the DLL's exports
            beside = _import_library_beside(job_dir, library.name)
            link_file = beside or import_library_for_dll(output, target, job_dir, runner)
    else:
        raise ConfigError(f"library {library.name!r} has no sources and no prebuilt file for {target.name}")
    return Payload(library.name, target, plan.abis[0], output, kind="library"), link_file


def _import_library_beside(directory: Path, name: str) -> Optional[Path]:
    for candidate in (f"{name}.lib", f"lib{name}.dll.a", f"lib{name}.a"):
        if (directory / candidate).is_file():
            return directory / candidate
    return None


def _compile(builder: Builder, job: BuildJob) -> None:
    try:
        builder.build(job)
    except BuildError as exc:
        subject = f"library {job.extension.name}" if job.library else job.extension.name
        what = f"compiling {subject} for {job.target.name} ({job.abi.tag}) failed"
        raise BuildError(f"{what}: {exc}", exc.command, exc.returncode, exc.output) from None
