"""The build step: every extension and bundled library of a BuildPlan, compiled by its builder for each
target and ABI (served from the payload cache when nothing it reads changed), into Payloads."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from fatpack.beforebuild import Prefix, run_before_build
from fatpack.binaries import inspect_binary, target_mismatch
from fatpack.builders import Builder, BuildJob, CachingBuilder, load_builder
from fatpack.builders.msvc_flags import msvc_to_gcc
from fatpack.cache import (
    cache_key,
    environment_include_dirs,
    include_dirs_in_args,
    read_dependency_files,
    shadowing_paths,
)
from fatpack.config import ExtensionConfig, LibraryConfig
from fatpack.crossenv import NO_PYPY, no_pypy_target, suffix_is_for
from fatpack.cython_abis import CheckContext, fitting_abis
from fatpack.cythonize import check_cython_abis, cythonize, for_abi, is_cython
from fatpack.diagnosis import diagnose
from fatpack.errors import BuildError, ConfigError, FatpackError
from fatpack.lipo import find_lipo, merge_universal
from fatpack.object_cache import ObjectCache
from fatpack.payloads import LIBS_DIR, Payload, library_relative_path, payload_relative_path
from fatpack.plan import BuildPlan
from fatpack.runner import Runner, program_name
from fatpack.sdk import PythonSdk, VersionHeaders, prepare_sdk, sdk_fingerprint
from fatpack.sdk.windows import import_library_for_dll
from fatpack.targets import TARGETS, PythonAbi, Target


@dataclass(frozen=True)
class TargetReport:
    """How building one target went, for a progress line."""

    target: Target
    builder: str
    payloads: int
    seconds: float
    error: Optional[FatpackError] = None
    cached: int = 0  # how many payloads came from the build cache
    python: str = ""  # the ABI built, when one run builds the target for several Python versions
    skipped: str = ""  # why `python` is not built for the target at all (no PyPy for it here)


ProgressCallback = Callable[[TargetReport], None]

# (extension name, ABI tag) -> the extension as compiled: Cython sources replaced by generated C/C++.
CompiledSources = dict[tuple[str, str], ExtensionConfig]


@dataclass(frozen=True)
class TargetBuild:
    """What every job of one target's build shares. For a universal2 target, each slice's jobs get a
    copy with `target` set to the slice."""

    plan: BuildPlan
    sources: CompiledSources
    target: Target
    builder: Builder  # the target's builder; an item may name its own
    runner: Runner
    work_dir: Path  # this run's scratch directory
    out_dir: Path  # where the payloads go: out_dir/<target>/...
    headers: VersionHeaders  # each ABI's Python headers (another CPython's for another version)

    def builder_for(self, item: ExtensionConfig) -> Builder:
        """The item's own builder when it names one (checked up front), else the target's."""
        return self.builder if item.builder is None else load_builder(item.builder, self.runner)

    def job(
        self,
        item: ExtensionConfig,
        abi: PythonAbi,
        sdk: PythonSdk,
        output: Path,
        job_dir: Path,
        *,
        library: bool = False,
        bundled: tuple[Path, ...] = (),
    ) -> BuildJob:
        """A BuildJob for `item` with this build's target, project and strip setting."""
        config = self.plan.config
        builder, cache_root = self.builder_for(item), self.plan.cache.root
        objects = None
        if isinstance(builder, CachingBuilder) and cache_root is not None:
            objects = ObjectCache.under(cache_root, builder.identity(self.target))
        return BuildJob(
            item,
            self.target,
            abi,
            sdk,
            output,
            job_dir,
            config.strip,
            library=library,
            project_dir=config.root,
            bundled=bundled,
            objects=objects,
        )


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
    plan, sources = _generated_sources(plan, runner, work_dir / "cython")
    headers = VersionHeaders(runner, given=plan.config.python_sdks)
    _check_pypy_targets(plan, headers)
    builds = [
        TargetBuild(plan, sources, t, builders[t.name], runner, work_dir, out_dir, headers)
        for t in plan.targets
    ]
    with ThreadPoolExecutor(max_workers=plan.jobs) as pool:
        results = list(pool.map(lambda build: _build_target_reporting(build, progress), builds))
    failures = [report.error for report, _ in results if report.error is not None]
    if failures:
        raise failures[0]
    return [payload for _, built in results for payload in built]


def _generated_sources(plan: BuildPlan, runner: Runner, out_dir: Path) -> tuple[BuildPlan, CompiledSources]:
    """Cythonize once per extension (the generated C serves every ABI), before the per-target builds
    share the result; the plan with the ABIs the generated code can be built for (fatpack/cython_abis.py)."""
    cythonized = [
        (extension, cythonize(extension, runner, out_dir / extension.name, plan.config.root, plan.cache))
        for extension in plan.config.extensions
        if is_cython(extension)
    ]
    context = CheckContext(runner, out_dir, plan.cache, plan.config.root)
    abis = fitting_abis(cythonized, plan.abis, plan.abis_default, context)
    plan = dataclasses.replace(plan, abis=abis)
    generated = {configured.name: extension for configured, extension in cythonized}
    compiled: CompiledSources = {}
    for extension in plan.config.extensions:
        for abi in plan.abis:
            own = generated.get(extension.name)
            compiled[extension.name, abi.tag] = extension if own is None else for_abi(own, abi)
    return plan, compiled


def _build_target_reporting(
    build: TargetBuild, progress: Optional[ProgressCallback]
) -> tuple[TargetReport, list[Payload]]:
    started = time.monotonic()
    built: list[tuple[Payload, bool]] = []
    error: Optional[FatpackError] = None
    try:
        built = _build_target(build)
    except FatpackError as exc:
        error = exc
    cached = sum(from_cache for _, from_cache in built)
    seconds = time.monotonic() - started
    report = TargetReport(build.target, build.builder.name, len(built), seconds, error, cached)
    if progress:
        progress(report)
        for abi in [] if error else build.plan.abis:
            if abi.is_pypy and not suffix_is_for(_pypy_suffix(build.headers, abi), build.target):
                progress(
                    TargetReport(build.target, build.builder.name, 0, 0.0, python=abi.tag, skipped=NO_PYPY)
                )
    return report, [payload for payload, _ in built]


def _pypy_suffix(headers: VersionHeaders, abi: PythonAbi) -> str:
    """The extension suffix of the PyPy a pp ABI is built with ('' for a CPython ABI)."""
    found = headers(abi) if abi.is_pypy else None
    return found.extension_suffix if found is not None else ""


def _check_pypy_targets(plan: BuildPlan, headers: VersionHeaders) -> None:
    """Each PyPy ABI asked for builds for at least one target: the platform of the PyPy found."""
    for abi in plan.abis:
        suffix = _pypy_suffix(headers, abi)
        if abi.is_pypy and not any(suffix_is_for(suffix, t) for t in plan.targets):
            raise no_pypy_target(abi.tag, plan.targets, f"PyPy 3.{abi.minor}", suffix)


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


def _build_target(build: TargetBuild) -> list[tuple[Payload, bool]]:
    """Every extension and ABI for one target; each payload with whether it came from the cache."""
    built: list[tuple[Payload, bool]] = []
    prefix = _before_build(build)
    from_prefix: dict[tuple[str, Path], list[str]] = {}  # (name linked, file) -> extensions linking it
    libraries = {}
    for library in build.plan.config.libraries:
        payload, link_file = _build_library(build, prefix.apply(library) if prefix else library)
        libraries[library.name] = link_file
        built.append((payload, False))
    target = build.target
    for abi in build.plan.abis:
        pypy_suffix = _pypy_suffix(build.headers, abi)
        if abi.is_pypy and not suffix_is_for(pypy_suffix, target):
            continue  # left out: no PyPy for this target here (_build_target_reporting says so)
        for configured in build.plan.config.extensions:
            if not configured.builds_for(target):
                continue
            extension = build.sources[configured.name, abi.tag].for_target(target)
            if prefix is not None:
                extension = prefix.apply(extension)
            bundled = tuple(libraries[name] for name in extension.link_with)
            # a PyPy payload's file ends with that PyPy's own suffix: it names the PyPy ABI the loader matches
            stored_as = f"{target.name}/{extension.name}{pypy_suffix}" if pypy_suffix else ""
            output = build.out_dir / (stored_as or payload_relative_path(extension.name, target, abi))
            job_dir = build.work_dir / "jobs" / f"{target.name}-{abi.tag}-{extension.name}"
            if target.slices:
                slices = [
                    _build_one(
                        dataclasses.replace(build, target=TARGETS[name]), abi, extension, job_dir / name
                    )
                    for name in target.slices
                ]
                merge_universal([path for path, _ in slices], output, build.runner)
                from_cache = all(hit for _, hit in slices)
            else:
                _, from_cache = _build_one(build, abi, extension, job_dir, output, bundled)
            if prefix is not None:
                for name, path in prefix.linked_libraries(output, inspect_binary(output).needed).items():
                    from_prefix.setdefault((name, path), []).append(extension.name)
            built.append((Payload(extension.name, target, abi, output, stored_as=stored_as), from_cache))
    built += [
        (_bundle_from_prefix(build, name, path, users), False) for (name, path), users in from_prefix.items()
    ]
    return built


def _bundle_from_prefix(build: TargetBuild, name: str, library: Path, users: list[str]) -> Payload:
    """A shared library of the before-build prefix that extensions link, copied to libs/ under the name
    they record (its SONAME, or the DLL's name), for the loader packages of those extensions."""
    stored_as = f"{build.target.name}/{LIBS_DIR}/{name}"
    output = build.out_dir / stored_as
    output.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(library, output)  # the file a symbolic link (libfoo.so.1 -> libfoo.so.1.2) names
    module = name.split(".")[0]
    return Payload(
        module, build.target, build.plan.abis[0], output, "library", stored_as, tuple(dict.fromkeys(users))
    )


def _before_build(build: TargetBuild) -> Optional[Prefix]:
    """The prefix the project's before-build commands installed into for this target, if it has any."""
    commands = build.plan.before_build_for(build.target)
    if not commands:
        return None
    config = build.plan.config
    work_dir = build.work_dir / "before-build" / build.target.name
    return run_before_build(
        commands, build.target, config.root, build.runner, build.plan.cache.root, work_dir
    )


def _build_one(
    build: TargetBuild,
    abi: PythonAbi,
    extension: ExtensionConfig,
    job_dir: Path,
    output: Optional[Path] = None,
    bundled: tuple[Path, ...] = (),
) -> tuple[Path, bool]:
    """Compile one extension for one (target, ABI), or take it from the cache when nothing changed.
    Returns the binary (by default in job_dir/out) and whether it came from the cache."""
    target, plan, builder = build.target, build.plan, build.builder_for(extension)
    output = output or job_dir / "out" / f"{extension.name}{target.extension_suffix}"
    sdk_path = plan.config.sdk_paths.get(target.name)
    headers = None if sdk_path is not None else build.headers(abi)
    key = None
    if isinstance(builder, CachingBuilder) and plan.cache.root is not None:
        fingerprint = sdk_fingerprint(target, abi, sdk_path, headers) + "".join(
            hashlib.sha256(path.read_bytes()).hexdigest() for path in bundled
        )
        compiler = builder.identity(target)
        key = cache_key(
            extension, target, abi, plan.config.strip, builder.name, compiler, fingerprint, plan.config.root
        )
        if plan.cache.fetch(key, output):
            return output, True
    sdk = prepare_sdk(target, abi, build.work_dir, build.runner, sdk_path, headers)
    job_dir.mkdir(parents=True, exist_ok=True)
    job = build.job(extension, abi, sdk, output, job_dir, bundled=bundled)
    _compile(builder, job)
    if key is not None:
        # this run's own scratch files (the SDK, generated sources) are in the key already
        dependencies = read_dependency_files(job.dependency_dir, job_dir, ignore=(build.work_dir,))
        if dependencies is not None:  # a builder that does not say what it read is never cached
            search_dirs = [
                *extension.include_dirs,
                *include_dirs_in_args(msvc_to_gcc(extension.extra_compile_args, target), job_dir),
                *environment_include_dirs(),
                *(source.parent for source in extension.sources),
            ]
            plan.cache.store(
                key, dependencies, output, shadowing_paths(dependencies, search_dirs, plan.config.root)
            )
    return output, False


def _build_library(build: TargetBuild, library: LibraryConfig) -> tuple[Payload, Path]:
    """Build (or copy the prebuilt) bundled library for the target; return it and the file to link."""
    target, runner = build.target, build.runner
    if target.slices:
        raise ConfigError(
            f"library {library.name!r}: bundled libraries are not supported for {target.name} yet"
        )
    output = build.out_dir / library_relative_path(library.name, target)
    job_dir = build.work_dir / "jobs" / f"{target.name}-library-{library.name}"
    job_dir.mkdir(parents=True, exist_ok=True)
    prebuilt = library.prebuilt.get(target.name)
    if prebuilt is not None:
        mismatch = target_mismatch(inspect_binary(prebuilt), target)
        if mismatch:
            raise ConfigError(f"library {library.name!r}: prebuilt {prebuilt.name} {mismatch}")
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(prebuilt, output)
        link_file = import_library_for_dll(output, target, job_dir, runner) if target.is_windows else output
    elif library.sources or library.command:
        no_python = PythonSdk(include_dirs=(), defines=())
        settings = library.for_target(target)
        job = build.job(settings, build.plan.abis[0], no_python, output, job_dir, library=True)
        _compile(build.builder_for(library), job)
        # zig and GNU ld leave the import library NAME.lib / libNAME.dll.a beside the DLL they link
        link_file = output
        if target.is_windows:  # the builder's import library, else one made from the DLL's exports
            beside = _import_library_beside(job_dir, library.name)
            link_file = beside or import_library_for_dll(output, target, job_dir, runner)
    else:
        raise ConfigError(f"library {library.name!r} has no sources and no prebuilt file for {target.name}")
    return Payload(library.name, target, build.plan.abis[0], output, kind="library"), link_file


def _import_library_beside(directory: Path, name: str) -> Optional[Path]:
    for candidate in (f"{name}.lib", f"lib{name}.dll.a", f"lib{name}.a"):
        if (directory / candidate).is_file():
            return directory / candidate
    return None


def _compile(builder: Builder, job: BuildJob) -> None:
    try:
        builder.build(job)
    except BuildError as exc:
        raise BuildError(failure_message(job, exc), exc.command, exc.returncode, exc.output) from None


def failure_message(job: BuildJob, exc: BuildError) -> str:
    """One line for a failed compile or link: the program, the target, the source and what the
    compiler stopped at with the way out (fatpack/diagnosis.py); the builder's own message when the
    output says nothing fatpack can name."""
    subject = f"library {job.extension.name}" if job.library else job.extension.name
    command = exc.command
    source = Path(command[command.index("-c") + 1]) if "-c" in command[:-1] else None
    found = diagnose(exc.output, source, job.project_dir, job.target.arch) if command else None
    if found is None:
        return f"compiling {subject} for {job.target.name} ({job.abi.tag}) failed: {exc}"
    program = program_name(command)
    if source is None:
        return f"{program} failed for {job.target.name} linking {subject} ({job.abi.tag}): {found}"
    shown = source.relative_to(job.project_dir) if source.is_relative_to(job.project_dir) else source.name
    return f"{program} failed for {job.target.name} on {shown} ({subject}, {job.abi.tag}): {found}"
