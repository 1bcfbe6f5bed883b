"""Payloads: the per-target binaries, and the build step that makes them through builders."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from fatpack.builders import Builder, BuildJob, load_builder
from fatpack.config import ExtensionConfig, ProjectConfig
from fatpack.errors import ArtifactError, BuildError, FatpackError
from fatpack.lipo import find_lipo, merge_universal
from fatpack.runner import Runner
from fatpack.sdk import prepare_sdk
from fatpack.targets import TARGETS, PythonAbi, Target


@dataclass(frozen=True)
class Payload:
    """One built extension module: `module` for `target` and `abi`, stored at `path`."""

    module: str
    target: Target
    abi: PythonAbi
    path: Path

    @property
    def relative_path(self) -> str:
        return payload_relative_path(self.module, self.target, self.abi)

    def sha256(self) -> str:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError as exc:
            raise ArtifactError(
                f"payload {self.relative_path} cannot be read: {exc.strerror or exc}"
            ) from None


def payload_relative_path(module: str, target: Target, abi: PythonAbi) -> str:
    """Where a payload lives below the payload root: '<target>/<module>.<abi3|cpXY><.so|.pyd>'."""
    return f"{target.name}/{module}.{abi.label}{target.extension_suffix}"


@dataclass(frozen=True)
class TargetReport:
    """How building one target went, for a progress line."""

    target: Target
    builder: str
    payloads: int
    seconds: float
    error: Optional[FatpackError] = None


ProgressCallback = Callable[[TargetReport], None]


@dataclass(frozen=True)
class BuildPlan:
    """What to build: the project, and the targets/ABIs/builders chosen for this run."""

    config: ProjectConfig
    targets: Sequence[Target]
    abis: Sequence[PythonAbi]
    builder_names: dict[str, str]  # target name -> builder name


def make_plan(
    config: ProjectConfig,
    targets: Sequence[Target] = (),
    abis: Sequence[PythonAbi] = (),
    builder_overrides: Optional[dict[str, str]] = None,
) -> BuildPlan:
    """Command-line choices over the config: targets, ABIs and per-target builders."""
    chosen_targets = tuple(targets) or config.targets
    overrides = builder_overrides or {}
    builder_names = {
        t.name: overrides.get(t.name, overrides.get("*", config.builder_for(t))) for t in chosen_targets
    }
    return BuildPlan(config, chosen_targets, tuple(abis) or config.abis, builder_names)


def build_payloads(
    plan: BuildPlan,
    runner: Runner,
    work_dir: Path,
    out_dir: Path,
    progress: Optional[ProgressCallback] = None,
) -> list[Payload]:
    """Build every extension for every target and ABI into out_dir/<target>/...

    All builders are checked before anything is compiled. Every target is attempted; if any failed,
    the first failure is raised after the others have reported.
    """
    builders = _checked_builders(plan, runner)
    payloads: list[Payload] = []
    failures: list[FatpackError] = []
    for target in plan.targets:
        started = time.monotonic()
        try:
            built = _build_target(plan, target, builders[target.name], runner, work_dir, out_dir)
        except FatpackError as exc:
            failures.append(exc)
            report = TargetReport(target, builders[target.name].name, 0, time.monotonic() - started, exc)
        else:
            payloads += built
            report = TargetReport(target, builders[target.name].name, len(built), time.monotonic() - started)
        if progress:
            progress(report)
    if failures:
        raise failures[0]
    return payloads


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
        except FatpackError as exc:
            problems.append(exc)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        messages = dict.fromkeys(str(p) for p in problems)
        raise type(problems[0])("; ".join(messages))
    return builders


def _build_target(
    plan: BuildPlan, target: Target, builder: Builder, runner: Runner, work_dir: Path, out_dir: Path
) -> list[Payload]:
    config = plan.config
    payloads = []
    for abi in plan.abis:
        sdk = (
            None
            if target.slices
            else prepare_sdk(target, abi, work_dir, runner, config.sdk_paths.get(target.name))
        )
        for extension in config.extensions:
            output = out_dir / payload_relative_path(extension.name, target, abi)
            job_dir = work_dir / "jobs" / f"{target.name}-{abi.label}-{extension.name}"
            job_dir.mkdir(parents=True, exist_ok=True)
            if target.slices:
                slices = [
                    _build_slice(
                        plan, TARGETS[name], abi, extension, builder, runner, work_dir, job_dir / name
                    )
                    for name in target.slices
                ]
                merge_universal(slices, output, runner)
            else:
                assert sdk is not None
                _compile(builder, BuildJob(extension, target, abi, sdk, output, job_dir, strip=config.strip))
            payloads.append(Payload(extension.name, target, abi, output))
    return payloads


def _build_slice(
    plan: BuildPlan,
    target: Target,
    abi: PythonAbi,
    extension: ExtensionConfig,
    builder: Builder,
    runner: Runner,
    work_dir: Path,
    job_dir: Path,
) -> Path:
    """One thin slice of a merged target (macosx_universal2), built in its own scratch directory."""
    job_dir.mkdir(parents=True, exist_ok=True)
    sdk = prepare_sdk(target, abi, work_dir, runner)
    output = job_dir / "slice" / f"{extension.name}{target.extension_suffix}"
    _compile(builder, BuildJob(extension, target, abi, sdk, output, job_dir, strip=plan.config.strip))
    return output


def _compile(builder: Builder, job: BuildJob) -> None:
    try:
        builder.build(job)
    except BuildError as exc:
        what = f"compiling {job.extension.name} for {job.target.name} ({job.abi.tag}) failed"
        raise BuildError(f"{what}: {exc}", exc.command, exc.returncode, exc.output) from None
