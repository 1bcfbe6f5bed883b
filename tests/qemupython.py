"""Debian's arm64 CPython run under qemu-user: the truth standard for linux_aarch64 payloads.

Needs `qemu-aarch64-static` (Debian qemu-user-static) and the arm64 architecture known to apt
(`dpkg --add-architecture arm64 && apt-get update`); tests/run.sh sets both up. The .deb files are
fetched with `apt-get download` and unpacked (not installed) into a root that qemu uses as its sysroot.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from winepython import CACHE

PACKAGES = (
    "python3.11-minimal:arm64",
    "libpython3.11-minimal:arm64",
    "libpython3.11-stdlib:arm64",
    "libc6:arm64",
    "zlib1g:arm64",
    "libexpat1:arm64",
)


class QemuUnavailable(RuntimeError):
    pass


def arm64_root() -> Path:
    """A directory holding Debian's arm64 python3.11 and the libraries it needs, unpacked once."""
    root = CACHE / "debian-arm64-root"
    if (root / "usr/bin/python3.11").is_file():
        return root
    debs = CACHE / "debian-arm64-debs"
    debs.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["apt-get", "download", *PACKAGES], cwd=debs, capture_output=True, text=True)
    if proc.returncode != 0:
        raise QemuUnavailable(
            f"apt-get download failed (is arm64 added with dpkg --add-architecture?): {proc.stderr}"
        )
    staging = root.with_name(root.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(staging)], check=True)
    os.replace(staging, root)
    return root


class Arm64Python:
    def __init__(self) -> None:
        self.qemu = shutil.which("qemu-aarch64-static")
        if self.qemu is None:
            raise QemuUnavailable(
                "qemu-aarch64-static not found: run tests/run.sh, or apt-get install qemu-user-static"
            )
        self.root = arm64_root()

    def run(self, code: str, path: Path) -> subprocess.CompletedProcess[str]:
        """Run `code` with `path` first on sys.path (-I: no user site, no environment)."""
        prelude = f"import sys; sys.path.insert(0, {str(path)!r}); "
        return subprocess.run(
            [
                self.qemu,
                "-L",
                str(self.root),
                str(self.root / "usr/bin/python3.11"),
                "-I",
                "-c",
                prelude + code,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
