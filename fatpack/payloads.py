"""Payloads: the per-target binaries, and the build step that makes them through builders."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from fatpack.builders import Builder, BuildJob, load_builder
from fatpack.config import ProjectConfig
from fatpack.errors import ArtifactError, BuildError, FatpackError
from fatpack.runner import Runner
from fatpack.sdk import prepare_sdk
from fatpack.targets import PythonAbi, Target


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
            builder.check(target)
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
        sdk = prepare_sdk(target, abi, work_dir, runner, config.sdk_paths.get(target.name))
        for extension in config.extensions:
            output = out_dir / payload_relative_path(extension.name, target, abi)
            payload = Payload(extension.name, target, abi, output)
            job_dir = work_dir / "jobs" / f"{target.name}-{abi.label}-{extension.name}"
            job_dir.mkdir(parents=True, exist_ok=True)
            job = BuildJob(extension, target, abi, sdk, payload.path, job_dir, strip=config.strip)
            try:
                builder.build(job)
            except BuildError as exc:
                what = f"compiling {extension.name} for {target.name} ({abi.tag}) failed"
                raise BuildError(f"{what}: {exc}", exc.command, exc.returncode, exc.output) from None
            payloads.append(payload)
    return payloads
