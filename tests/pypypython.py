"""Debian's PyPys for tests: unstable's (`pypy3` 8.0.1: PyPy 3.11, ABI tag pp80) from tests/debiansid.py's
private root (`pypy3`, `pypy3-dev` for the headers, `pypy3-venv` for ensurepip with sid's pip wheel), and
this machine's Debian release's (bookworm: `pypy3` 7.3.11, PyPy 3.9, pp73) from its own apt, unpacked.

Test side only: fatpack finds a PyPy as `pypy3.X` on PATH, in pyenv's or uv's, or /usr/bin; the tests put
`sid_pypy()`'s directory on PATH. As for CPython (debiansid.sid_python), the executable is patched to run
with the root's dynamic loader and libraries (libpypy3.11-c.so beside them), and WHEEL_PKG_DIR points at
the root's pip wheel, so `pypy3.11 -m venv` (fatpack's build environment) gets sid's pip, not the host's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from debiansid import SidUnavailable, SidUnreachable, patch_interpreter, sid_install
from winepython import CACHE

PACKAGES = ["pypy3", "pypy3-dev", "pypy3-venv"]


def sid_pypy() -> Path:
    """Debian sid's `pypy3.X` executable, runnable here, with its headers and `-m venv` (pip included)."""
    root = sid_install(PACKAGES)
    found = sorted((root / "usr/bin").glob("pypy3.*[0-9]"))
    if not found:
        raise SidUnavailable(f"Debian sid's pypy3 has no usr/bin/pypy3.X in {root}")
    executable = patch_interpreter(root, found[-1])
    for data in (root / "usr/lib" / found[-1].name).glob("_sysconfigdata_*.py"):
        _relocate_wheel_dir(root, data)
    return executable


def _relocate_wheel_dir(root: Path, data: Path) -> None:
    wanted = f"'WHEEL_PKG_DIR': '{root}/usr/share/python-wheels/'"
    text = data.read_text()
    if wanted not in text:
        tmp = data.with_name(f"{data.name}.{os.getpid()}")
        tmp.write_text(text.replace("'WHEEL_PKG_DIR': '/usr/share/python-wheels/'", wanted))
        os.replace(tmp, data)


def skip_unless_reachable() -> Path:
    """`sid_pypy()` for a test: skipped (saying why) only when Debian's archive is unreachable."""
    import pytest

    try:
        return sid_pypy()
    except SidUnreachable as exc:
        pytest.skip(f"Debian unstable unreachable through apt: {exc}")


def pypy_venv(dest: Path, pypy: Path | None = None) -> Path:
    """A virtual environment at `dest` made by `pypy` (sid's by default), with pip; returns its python."""
    proc = subprocess.run([str(pypy or sid_pypy()), "-m", "venv", str(dest)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"pypy3 -m venv {dest}: {proc.stdout}{proc.stderr}")
    return dest / "bin" / "python"


def release_pypy() -> Path:
    """This machine's Debian release's `pypy3.X` (bookworm: 7.3.11, PyPy 3.9), unpacked once from its own
    apt (`apt-get download`, nothing installed) and given an rpath to its libpypy3.X-c.so; it runs on this
    machine's C library and its ensurepip takes the system's pip wheel (/usr/share/python-wheels)."""
    root = CACHE / "debian-pypy3-root"
    found = sorted((root / "usr/bin").glob("pypy3.*[0-9]"))
    if found:
        return found[-1]
    debs = CACHE / "debian-pypy3-debs"
    debs.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["apt-get", "download", "pypy3", "pypy3-lib", "pypy3-dev"], cwd=debs, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SidUnreachable(
            f"apt-get download pypy3 pypy3-dev pypy3-lib failed: {proc.stderr.strip()[-600:]}"
        )
    staging = root.with_name(root.name + f".tmp{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(staging)], check=True)
    found = sorted((staging / "usr/bin").glob("pypy3.*[0-9]"))
    if not found:
        raise SidUnavailable(f"this Debian's pypy3 has no usr/bin/pypy3.X ({staging})")
    libraries = root / "usr/lib/x86_64-linux-gnu"  # where they will be once renamed into place
    subprocess.run(["patchelf", "--force-rpath", "--set-rpath", str(libraries), str(found[-1])], check=True)
    os.replace(staging, root)
    return root / "usr/bin" / found[-1].name
