"""A fatpack builder plug-in: ship binaries built elsewhere (another CI job, a vendor's release).

For the extension `pkg._core` and the target `win_amd64` it takes
`<project>/prebuilt/win_amd64/_core.pyd` (`.so` on Linux and macOS); fatpack then checks it and
packs it like a binary it compiled. It runs no command and keeps the payload cache honest by naming
the file it read in a dependency file: replace the file and the next build takes the new one.
"""

from __future__ import annotations

import shutil

from fatpack.builders import BuildJob
from fatpack.errors import ConfigError
from fatpack.runner import Runner
from fatpack.targets import Target

DIRECTORY = "prebuilt"


class PrebuiltBuilder:
    name = "prebuilt"

    def __init__(self, runner: Runner) -> None:
        self.runner = runner  # a compiling builder runs every command through it; this one runs none

    def check(self, target: Target) -> None:
        """Nothing to install; a missing file is reported by build(), naming it."""

    def identity(self, target: Target) -> str:
        """No compiler: the file's content is what the payload cache must key on (see build)."""
        return "fatpack-prebuilt 0.1"

    def build(self, job: BuildJob) -> None:
        filename = job.extension.basename + job.target.extension_suffix
        source = job.project_dir / DIRECTORY / job.target.name / filename
        if not source.is_file():
            raise ConfigError(f"the prebuilt builder needs {source} for {job.extension.name}")
        job.output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, job.output)
        # a make rule, as `cc -MD -MF` writes one: the payload cache keys on every file it names
        job.dependency_dir.mkdir(parents=True, exist_ok=True)
        escaped = str(source).replace(" ", "\\ ")
        (job.dependency_dir / "prebuilt.d").write_text(f"{job.output.name}: {escaped}\n", encoding="utf-8")
