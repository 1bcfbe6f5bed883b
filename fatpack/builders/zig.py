"""The default builder: zig cc from PyPI (`ziglang`), one cross compiler for every target."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from fatpack.builders import BuildJob
from fatpack.builders.ccflags import compile_then_link
from fatpack.errors import ToolchainError
from fatpack.runner import Runner, zig_command
from fatpack.sdk.windows_cxx import cxx_link_objects
from fatpack.sdk.windows_headers import windows_header_overlay
from fatpack.sdk.windows_libraries import pragma_link_args
from fatpack.targets import Target

# What MSVC accepts in C and clang 16+ refuses by default, kept a warning for Windows targets so code
# written for MSVC builds as it does there: a call to a function with no declaration in scope
# (setproctitle calls _getpid() without <process.h>), taken as returning int in both compilers.
MSVC_LENIENCY = ("-Wno-error=implicit-function-declaration",)


class ZigBuilder:
    name = "zig"

    def __init__(self, runner: Runner):
        self.runner = runner

    def identity(self, target: Target) -> str:
        """The compiler version, for the payload cache key."""
        from importlib.metadata import version

        return f"zig {version('ziglang')}"

    def check(self, target: Target) -> None:
        if importlib.util.find_spec("ziglang") is None:
            raise ToolchainError("zig is not installed: pip install ziglang")

    def build(self, job: BuildJob) -> None:
        driver = "c++" if job.extension.language == "c++" else "cc"
        # zig writes NAME.pdb and NAME.lib beside a Windows DLL: link inside the job's scratch directory.
        scratch_output = job.work_dir / job.output.name
        compiler = [*zig_command(driver), "-target", job.target.zig_triple]
        compile_extra = [*MSVC_LENIENCY, *windows_overlay_args(job)] if job.target.is_windows else []
        link_extra = pragma_link_args(project_files(job), job.target)
        if driver == "c++":  # Windows: an uncaught exception ends in std::terminate (sdk/windows_cxx.py)
            link_extra += [str(o) for o in cxx_link_objects(job.target, job.work_dir, self.runner)]
        compile_then_link(self.runner, compiler, job, scratch_output, compile_extra, link_extra)
        job.output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(scratch_output, job.output)


def windows_overlay_args(job: BuildJob) -> list[str]:
    """`-idirafter DIR` with links for the Windows headers the project includes in another case than
    mingw-w64's (`<Windows.h>`), when it does (fatpack/sdk/windows_headers.py)."""
    return windows_header_overlay(project_files(job), job.work_dir / "windows-headers")


def project_files(job: BuildJob) -> list[Path]:
    """Where the sources and headers a job compiles are: its sources, include directories, project."""
    return [*job.extension.sources, *job.extension.include_dirs, job.project_dir]
