"""The host's own C compiler, as sysconfig names it (what setuptools would use): host target only."""

from __future__ import annotations

import shlex
import shutil
import sysconfig
from typing import Optional

from fatpack.builders import BuildJob
from fatpack.builders.ccflags import compile_then_link
from fatpack.errors import ConfigError, ToolchainError
from fatpack.runner import Runner, version_banner
from fatpack.targets import Target, host_target


class NativeBuilder:
    name = "native"

    def __init__(self, runner: Runner):
        self.runner = runner
        self._identity: Optional[str] = None

    def compiler(self, language: str) -> list[str]:
        key = "CXX" if language == "c++" else "CC"
        command = shlex.split(sysconfig.get_config_var(key) or ("c++" if language == "c++" else "cc"))
        if shutil.which(command[0]) is None:
            raise ToolchainError(f"the native builder's compiler {command[0]!r} is not installed")
        return command

    def identity(self, target: Target) -> str:
        """The compiler's path and `--version` banner, for the payload cache key."""
        if self._identity is None:
            command = self.compiler("c")
            self._identity = f"{shutil.which(command[0])} {version_banner(self.runner, command)}"
        return self._identity

    def check(self, target: Target) -> None:
        host = host_target()
        if host is None or host.name != target.name:
            here = host.name if host else "an unknown platform"
            raise ConfigError(f"the native builder only builds for this host ({here}), not {target.name}")

    def build(self, job: BuildJob) -> None:
        job.output.parent.mkdir(parents=True, exist_ok=True)
        compile_then_link(self.runner, self.compiler(job.extension.language), job, job.output)
