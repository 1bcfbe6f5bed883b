"""Debian's mingw-w64 GCC for Windows targets, linked against the UCRT like python.org CPython.

mingw-w64's GCC links msvcrt.dll by default, a different C runtime from CPython's UCRT; its specs are
rewritten to link the UCRT instead (`-lmsvcrt` -> `-lucrt`, with _UCRT and __MSVCRT_VERSION__=0xE00).
libgcc (and libstdc++ for C++) are linked statically, so no MinGW runtime DLL ships or is needed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from fatpack.builders import BuildJob
from fatpack.builders.ccflags import compile_then_link
from fatpack.builders.zig import project_files
from fatpack.errors import ConfigError, ToolchainError
from fatpack.runner import Runner, version_banner
from fatpack.sdk.windows_headers import windows_header_overlay
from fatpack.sdk.windows_libraries import libraries_in, pragma_link_args
from fatpack.targets import Target

TRIPLES = {"win_amd64": "x86_64-w64-mingw32", "win32": "i686-w64-mingw32"}
PACKAGES = {
    "win_amd64": "gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64",
    "win32": "gcc-mingw-w64-i686 g++-mingw-w64-i686",
}
UCRT_DEFINES = ("-D_UCRT", "-D__MSVCRT_VERSION__=0xE00")


class MingwBuilder:
    name = "mingw"

    def __init__(self, runner: Runner):
        self.runner = runner
        self._banners: dict[str, str] = {}

    def check(self, target: Target) -> None:
        if target.name not in TRIPLES:
            raise ConfigError(f"the mingw builder builds {' and '.join(TRIPLES)}, not {target.name}")
        gcc = f"{TRIPLES[target.name]}-gcc"
        if shutil.which(gcc) is None:
            raise ToolchainError(
                f"the mingw builder needs {gcc}: install it (Debian: apt-get install {PACKAGES[target.name]})"
            )

    def identity(self, target: Target) -> str:
        """The banner of the target's own compiler (i686's for win32, x86_64's for win_amd64)."""
        gcc = f"{TRIPLES[target.name]}-gcc"
        if gcc not in self._banners:
            self._banners[gcc] = version_banner(self.runner, [gcc])
        return self._banners[gcc]

    def build(self, job: BuildJob) -> None:
        triple = TRIPLES[job.target.name]
        compiler = f"{triple}-g++" if job.extension.language == "c++" else f"{triple}-gcc"
        specs = f"-specs={ucrt_specs(self.runner, f'{triple}-gcc', job.work_dir.parent)}"
        link_extra = ["-static-libgcc"] + (["-static-libstdc++"] if job.extension.language == "c++" else [])
        if job.library:  # GNU ld writes no import library unless asked; link-with needs one
            link_extra.append(f"-Wl,--out-implib,{job.work_dir / f'lib{job.extension.name}.dll.a'}")
        job.output.parent.mkdir(parents=True, exist_ok=True)
        overlay = windows_header_overlay(
            project_files(job), job.work_dir / "windows-headers", mingw_include_dirs(triple)
        )
        compile_extra = [*UCRT_DEFINES, *overlay]
        link_extra += pragma_link_args(
            project_files(job), job.target, libraries_in(Path("/usr", triple, "lib"))
        )
        command = [compiler, specs]
        compile_then_link(self.runner, command, job, job.output, compile_extra, link_extra)


def mingw_include_dirs(triple: str) -> list[Path]:
    """Debian's mingw-w64 headers for `triple` (lowercase names, as zig's)."""
    candidates = (Path("/usr") / triple / "include", Path("/usr/share/mingw-w64/include"))
    return [d for d in candidates if d.is_dir()]


def ucrt_specs(runner: Runner, gcc: str, directory: Path) -> Path:
    """The compiler's own specs with msvcrt replaced by the UCRT, written once into `directory`."""
    specs = directory / f"{gcc}-ucrt.specs"
    if not specs.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        text = runner([gcc, "-dumpspecs"], capture=True)
        specs.write_text(text.replace("-lmsvcrt", "-lucrt"))
    return specs
