"""linux_aarch64 cells: Debian's arm64 CPython 3.11 (bookworm) under qemu-user.

The interpreter's packages are fetched with `apt-get download` (arm64 known to dpkg: `dpkg
--add-architecture arm64 && apt-get update`) and unpacked with `dpkg-deb -x` (not installed) into a root
in the user cache (`test-interpreters/debian-arm64-python3.11`, made under a temporary name and renamed
when complete) that qemu takes as its sysroot (`-L`). The fresh environment of a cell is a directory pip
installs into with `--target`, as that platform's wheels (`--platform manylinux_*_aarch64
--only-binary :all:`), run by fatpack's own pip; the interpreter finds it on PYTHONPATH. A program named
as the command's first word (`pytest`) runs as `python -m pytest`: the scripts pip writes start this
machine's Python.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fatpack.errors import BuildError
from fatpack.runner import Runner
from fatpack.testing.command import TestCommand
from fatpack.testing.environments import COMMAND_TIMEOUT, INSTALL_TIMEOUT, NotRunnable
from fatpack.testing.provisioning import InterpreterCache, complete_dir

DEBIAN_MINOR = 11  # bookworm's python3.11
GLIBC_MINOR = 36  # bookworm's glibc 2.36: the newest manylinux tag its wheels may carry
DOWNLOAD_TIMEOUT = 600.0
_NOT_INHERITED = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")


@dataclass(frozen=True)
class Architecture:
    debian: str  # dpkg's name
    qemu: str  # the qemu-user program
    wheel: str  # the wheel platform tags' architecture


ARCHITECTURES = {"aarch64": Architecture("arm64", "qemu-aarch64-static", "aarch64")}


@dataclass(frozen=True)
class Provisioned:
    arch: Architecture
    root: Path  # the unpacked packages: qemu's sysroot
    qemu: str

    @property
    def python(self) -> Path:
        return self.root / "usr" / "bin" / f"python3.{DEBIAN_MINOR}"


def provision(arch_name: str, minor: int, cache: InterpreterCache, runner: Runner) -> Provisioned:
    """Debian's CPython 3.11 for `arch_name` from the cache, fetched and unpacked first when missing;
    NotRunnable naming what to install or which version there is."""
    arch = ARCHITECTURES[arch_name]
    if minor != DEBIAN_MINOR:
        raise NotRunnable(
            f"Debian bookworm's {arch.debian} CPython under qemu-user is 3.{DEBIAN_MINOR} only, not 3.{minor}"
        )
    qemu = shutil.which(arch.qemu)
    if qemu is None:
        raise NotRunnable(f"{arch.qemu} is not installed: apt-get install qemu-user-static")
    root = cache.directory / f"debian-{arch.debian}-python3.{DEBIAN_MINOR}"
    provisioned = Provisioned(arch, root, qemu)
    if not provisioned.python.is_file():
        cache.may_download(f"Debian's {arch.debian} CPython 3.{DEBIAN_MINOR}")
        complete_dir(root, lambda staging: _unpack_debian_python(arch, staging, runner))
    return provisioned


def _packages(arch: Architecture) -> list[str]:
    names = [f"python3.{DEBIAN_MINOR}-minimal", f"libpython3.{DEBIAN_MINOR}-minimal"]
    names += [f"libpython3.{DEBIAN_MINOR}-stdlib", "libc6", "zlib1g", "libexpat1", "libffi8"]
    return [f"{name}:{arch.debian}" for name in names]


def _unpack_debian_python(arch: Architecture, root: Path, runner: Runner) -> None:
    for tool in ("apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise NotRunnable(f"{tool} not found: Debian's {arch.debian} CPython is fetched with apt")
    debs = root / ".debs"
    debs.mkdir()
    try:
        runner(["apt-get", "download", *_packages(arch)], cwd=debs, timeout=DOWNLOAD_TIMEOUT)
    except BuildError as exc:
        said = [line for line in exc.output.splitlines() if line.strip()][-1:] or [str(exc)]
        raise NotRunnable(
            f"apt-get download of Debian's {arch.debian} CPython failed ({said[0].strip()}): "
            f"dpkg --add-architecture {arch.debian} && apt-get update"
        ) from None
    for deb in sorted(debs.glob("*.deb")):
        runner(["dpkg-deb", "-x", str(deb), str(root)])
    shutil.rmtree(debs)


class QemuPython:
    """A fresh site directory in `where` for Debian's CPython of another architecture, run by qemu."""

    def __init__(self, provisioned: Provisioned, where: Path, runner: Runner):
        self.provisioned = provisioned
        self.site = where / "site"
        self.site.mkdir(parents=True)
        self.runner = runner

    @property
    def description(self) -> str:
        return f"Debian's CPython 3.{DEBIAN_MINOR} ({self.provisioned.arch.debian}) under qemu-user"

    def path(self, path: Path) -> str:
        return str(path)

    def environ(self) -> Mapping[str, str]:
        inherited = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        return {**inherited, "PYTHONPATH": str(self.site), "PYTHONNOUSERSITE": "1"}

    def install(self, requirements: Sequence[str]) -> None:
        command = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q"]
        command += ["--target", str(self.site), "--only-binary", ":all:", "--implementation", "cp"]
        command += ["--python-version", f"3.{DEBIAN_MINOR}", *self._platforms()]
        self.runner([*command, *requirements], env=self.environ(), timeout=INSTALL_TIMEOUT)

    def _platforms(self) -> list[str]:
        """pip's --platform options: every manylinux tag the interpreter's glibc takes."""
        arch = self.provisioned.arch.wheel
        tags = [f"manylinux_2_{m}_{arch}" for m in range(GLIBC_MINOR, 16, -1)] + [f"manylinux2014_{arch}"]
        return [option for tag in tags for option in ("--platform", tag)]

    def run(self, command: TestCommand, project: Path) -> None:
        python = [self.provisioned.qemu, "-L", str(self.provisioned.root), str(self.provisioned.python)]
        program = python if command.runs_python else [*python, "-m", command.program]
        arguments = command.arguments(python=str(self.provisioned.python), project=str(project))
        self.runner([*program, *arguments], cwd=project, env=self.environ(), timeout=COMMAND_TIMEOUT)
