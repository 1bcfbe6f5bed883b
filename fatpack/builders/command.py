"""The command builder: the user's own build command, run once per target, whose output fatpack collects.

For a library or extension with `command = [...]` (and `builder = "command"`, implied by `command`). The
command runs in the project directory with, in its environment:

    FATPACK_TARGET       the target name (win_amd64, ...)
    FATPACK_TRIPLE       its zig target triple
    FATPACK_CC           a C compiler for that target (zig cc -target ...); FATPACK_CXX: C++
    FATPACK_OUT_DIR      where to write the result
    FATPACK_OUTPUT       the file name fatpack expects there (extra.dll, libextra.so, ...)
    FATPACK_NAME         the library or extension name; FATPACK_KIND: "library" or "extension"
    FATPACK_CFLAGS       include dirs and defines (Python's too, for an extension)
    FATPACK_PROJECT_DIR  the project directory

It must leave one shared library (.dll, .so, .dylib or .pyd) in FATPACK_OUT_DIR: FATPACK_OUTPUT itself,
or any single one, which fatpack takes. On Windows, fatpack makes the import library from the DLL's
exports when the command leaves no NAME.lib. Compile with fatpack's release flags (-O2 -s): zig caches
its C runtime per flag set, and other flags rebuild it (minutes for a Windows target).
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

from fatpack.builders import BuildJob
from fatpack.builders.ccflags import define_flag
from fatpack.errors import BuildError
from fatpack.runner import Runner, zig_command
from fatpack.targets import Target

SHARED_SUFFIXES = (".dll", ".so", ".dylib", ".pyd")


class CommandBuilder:
    name = "command"

    def __init__(self, runner: Runner):
        self.runner = runner

    def check(self, target: Target) -> None:
        pass  # what the command needs is the command's business; a failure shows its own output

    def build(self, job: BuildJob) -> None:
        out_dir = job.work_dir / "command-out"
        out_dir.mkdir(parents=True, exist_ok=True)
        self.runner(
            list(job.extension.command),
            cwd=job.project_dir,
            env={**os.environ, **command_environment(job, out_dir)},
        )
        produced = collect_output(job, out_dir)
        job.output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(produced, job.output)
        for import_library in out_dir.glob("*.lib"):  # a Windows import library, if the command made one
            shutil.copyfile(import_library, job.work_dir / import_library.name)


def command_environment(job: BuildJob, out_dir: Path) -> dict[str, str]:
    triple = job.target.zig_triple
    flags = [f"-I{d}" for d in job.extension.include_dirs + job.sdk.include_dirs]
    flags += [define_flag(n, v) for n, v in job.sdk.defines + job.extension.define_macros]
    return {
        "FATPACK_TARGET": job.target.name,
        "FATPACK_TRIPLE": triple,
        "FATPACK_CC": shlex.join([*zig_command("cc"), "-target", triple]),
        "FATPACK_CXX": shlex.join([*zig_command("c++"), "-target", triple]),
        "FATPACK_OUT_DIR": str(out_dir),
        "FATPACK_OUTPUT": job.output.name,
        "FATPACK_NAME": job.extension.name,
        "FATPACK_KIND": "library" if job.library else "extension",
        "FATPACK_CFLAGS": shlex.join(flags),
        "FATPACK_PROJECT_DIR": str(job.project_dir),
    }


def collect_output(job: BuildJob, out_dir: Path) -> Path:
    expected = out_dir / job.output.name
    if expected.is_file():
        return expected
    produced = sorted(p for p in out_dir.iterdir() if p.suffix in SHARED_SUFFIXES and p.is_file())
    if len(produced) == 1:
        return produced[0]
    found = ", ".join(p.name for p in produced) or "nothing"
    raise BuildError(
        f"the build command for {job.extension.name} ({job.target.name}) left {found} in $FATPACK_OUT_DIR; "
        f"expected one shared library, ideally {job.output.name}",
        command=list(job.extension.command),
    )
