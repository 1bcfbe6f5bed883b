"""The host's own C compiler, as sysconfig names it (what setuptools would use): host target only."""

from __future__ import annotations

import shlex
import shutil
import sysconfig

from fatpack.builders import BuildJob
from fatpack.builders.ccflags import compile_and_link_args
from fatpack.errors import ConfigError, ToolchainError
from fatpack.runner import Runner
from fatpack.targets import Target, host_target


class NativeBuilder:
    name = "native"

    def __init__(self, runner: Runner):
        self.runner = runner

    def compiler(self, language: str) -> list[str]:
        key = "CXX" if language == "c++" else "CC"
        command = shlex.split(sysconfig.get_config_var(key) or ("c++" if language == "c++" else "cc"))
        if shutil.which(command[0]) is None:
            raise ToolchainError(f"the native builder's compiler {command[0]!r} is not installed")
        return command

    def check(self, target: Target) -> None:
        host = host_target()
        if host is None or host.name != target.name:
            here = host.name if host else "an unknown platform"
            raise ConfigError(f"the native builder only builds for this host ({here}), not {target.name}")

    def build(self, job: BuildJob) -> None:
        job.output.parent.mkdir(parents=True, exist_ok=True)
        command = [*self.compiler(job.extension.language), *compile_and_link_args(job), "-o", str(job.output)]
        self.runner(command, cwd=job.work_dir)
