"""The two jobs users run, each one function: build payloads, or build and assemble one artifact."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from fatpack.assembler import assemble_wheel
from fatpack.cache import PayloadCache, default_cache_dir
from fatpack.config import load_project
from fatpack.egg import assemble_egg
from fatpack.errors import ArtifactError
from fatpack.packages import find_package_files
from fatpack.payloads import BuildPlan, Payload, ProgressCallback, build_payloads, make_plan
from fatpack.runner import Runner, run_command
from fatpack.targets import PythonAbi, Target


@dataclass(frozen=True)
class Options:
    """What the command line chose; empty means 'as configured'."""

    project_dir: Path
    out_dir: Path
    targets: Sequence[Target] = ()
    abis: Sequence[PythonAbi] = ()
    builders: dict[str, str] = field(default_factory=dict)  # target name or "*" -> builder name
    artifact_format: str = "wheel"  # "wheel" | "egg"
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)  # targets built at the same time
    cache_dir: Optional[Path] = field(default_factory=default_cache_dir)  # None: compile everything


def plan_for(options: Options) -> BuildPlan:
    config = load_project(options.project_dir)
    cache = PayloadCache(options.cache_dir)
    return make_plan(config, options.targets, options.abis, options.builders, options.jobs, cache)


def assemble(
    options: Options, runner: Runner = run_command, progress: Optional[ProgressCallback] = None
) -> Path:
    """Build every payload and write exactly one artifact (wheel or egg) into options.out_dir."""
    plan = plan_for(options)
    pure_files = find_package_files(plan.config)
    with tempfile.TemporaryDirectory(prefix="fatpack-") as tmp:
        work = Path(tmp)
        payloads = build_payloads(plan, runner, work / "work", work / "payloads", progress)
        write = assemble_egg if options.artifact_format == "egg" else assemble_wheel
        return write(plan.config, pure_files, payloads, options.out_dir)


def build(
    options: Options, runner: Runner = run_command, progress: Optional[ProgressCallback] = None
) -> list[Payload]:
    """Build every payload into options.out_dir/<target>/...; nothing is written there on failure."""
    plan = plan_for(options)
    with tempfile.TemporaryDirectory(prefix="fatpack-") as tmp:
        work = Path(tmp)
        staged = build_payloads(plan, runner, work / "work", work / "payloads", progress)
        return [_move_into(payload, work / "payloads", options.out_dir) for payload in staged]


def _move_into(payload: Payload, staging: Path, out_dir: Path) -> Payload:
    final = out_dir / payload.path.relative_to(staging)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(payload.path, final.with_name(final.name + ".tmp"))
        os.replace(final.with_name(final.name + ".tmp"), final)
    except OSError as exc:
        raise ArtifactError(f"cannot write {final}: {exc.strerror or exc}") from None
    return Payload(payload.module, payload.target, payload.abi, final)
