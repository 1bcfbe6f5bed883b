"""What to build in one run: the project's targets, ABIs and builders with the command line's choices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from fatpack.cache import PayloadCache
from fatpack.config import ProjectConfig
from fatpack.targets import PythonAbi, Target

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
    before_build: tuple[str, ...] = ()  # the command line's before-build commands, over the project's
    abis_default: bool = False  # `abis` is fatpack's default: neither the project nor the command line chose

    def before_build_for(self, target: Target) -> tuple[str, ...]:
        """The before-build commands to run for `target` (none: nothing to run)."""
        return self.before_build or self.config.before_build.for_target(target)


def make_plan(
    config: ProjectConfig,
    targets: Sequence[Target] = (),
    abis: Sequence[PythonAbi] = (),
    builder_overrides: Optional[dict[str, str]] = None,
    jobs: int = 1,
    cache: PayloadCache = NO_CACHE,
    before_build: Sequence[str] = (),
) -> BuildPlan:
    """Command-line choices over the config: targets, ABIs, per-target builders and before-build
    commands (`before_build`, for every target, replaces the project's). A target or ABI named twice
    is built once."""
    chosen_targets = tuple(dict.fromkeys(tuple(targets) or config.targets))
    chosen_abis = tuple(dict.fromkeys(tuple(abis) or config.abis))
    overrides = builder_overrides or {}
    builder_names = {
        t.name: overrides.get(t.name, overrides.get("*", config.builder_for(t))) for t in chosen_targets
    }
    return BuildPlan(
        config,
        chosen_targets,
        chosen_abis,
        builder_names,
        max(1, jobs),
        cache,
        tuple(before_build),
        abis_default=config.abis_default and not abis,
    )
