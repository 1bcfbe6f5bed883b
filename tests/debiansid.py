"""Debian unstable (sid) packages in a private root: real CPython 3.14 and 3.15 (and PyPy) for tests.

Test side only: fatpack never assumes these interpreters. Nothing is installed into the system: a private
APT configuration (its own sources list, lists, cache and dpkg status under FATPACK_TEST_CACHE, default
~/.cache/fatpack-tests/debian-sid) downloads .deb files with `apt-get download`, and `dpkg-deb -x` unpacks
them into a root directory per package set.

- `sid_root()`: the private APT directory, its package lists refreshed when missing or a day old.
- `sid_install(packages)`: a root holding `packages` and their Depends/Pre-Depends closure (virtual
  names skipped, alternatives all taken). Unpacked into a staging directory and renamed into place with a
  marker, so a half-extracted root is never taken for a complete one; a second call returns at once.
- `sid_python(minor)`: Debian's `python3.<minor>` (3.14, 3.15) with its -dev headers and venv support,
  patched (patchelf: the root's dynamic loader, an rpath to the root's libraries) so it runs directly and
  so do the interpreters its subprocesses and venvs start.
  Debian's ensurepip reads pip's wheel from sysconfig's WHEEL_PKG_DIR, the absolute
  /usr/share/python-wheels (on this machine the host's pip 23.0.1, which fails on 3.14+): the root's
  `_sysconfigdata_*.py` are pointed at the root's own copy (sid's python3-pip-whl), as on a sid system,
  so `python3.X -m venv` (what fatpack's build environments run) makes a venv with pip.
- `sid_venv(minor, dest)`: a venv of it with pip.
- `patch_interpreter(root, executable)`: the same patch for any program of a root, e.g. PyPy:
  `root = sid_install(["pypy3", "pypy3-dev"])`, then `patch_interpreter(root, root / "usr/bin/pypy3.11")`
  (checked: PyPy 8.0.1, Python 3.11.17, suffix `.pypy311-pp80-x86_64-linux-gnu.so`).

Needs `apt-get`, `dpkg-deb`, `patchelf` (tests/run.sh installs it) and debian-archive-keyring; raises
SidUnavailable, whose message says which, when one is missing, and SidUnreachable when Debian's archive
cannot be reached (`skip_unless_reachable` turns only that into a skip).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from winepython import CACHE

SID = CACHE / "debian-sid"
MIRROR = "http://deb.debian.org/debian"
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
LISTS_MAX_AGE = 24 * 3600  # seconds
MARKER = ".fatpack-complete"  # written last, inside the staging directory, before it is renamed into place
MULTIARCH = "x86_64-linux-gnu"


class SidUnavailable(RuntimeError):
    """A tool this module needs (apt, dpkg-deb, patchelf, the keyring) is missing: a test fails on it."""


class SidUnreachable(SidUnavailable):
    """Debian's archive cannot be reached (apt-get update or download failed): the one reason to skip."""


def skip_unless_reachable(minor: int) -> Path:
    """`sid_python(minor)` for a test: skipped (saying why) only when Debian's archive is unreachable."""
    import pytest

    try:
        return sid_python(minor)
    except SidUnreachable as exc:
        pytest.skip(f"Debian unstable unreachable through apt: {exc}")


def _run(cmd: Sequence[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]


def _require(program: str, package: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise SidUnavailable(f"{program} not found: run tests/run.sh, or apt-get install {package}")
    return path


def _apt_env() -> dict[str, str]:
    return {**os.environ, "APT_CONFIG": str(SID / "apt.conf"), "DEBIAN_FRONTEND": "noninteractive"}


def _write_config() -> None:
    if not KEYRING.is_file():
        raise SidUnavailable(f"{KEYRING} missing: apt-get install debian-archive-keyring")
    for sub in ("lists/partial", "archives/partial", "etc/sources.list.d", "etc/preferences.d", "debs"):
        (SID / sub).mkdir(parents=True, exist_ok=True)
    (SID / "status").touch()
    settings = {
        "Dir::State": SID,
        "Dir::State::Lists": SID / "lists",
        "Dir::State::status": SID / "status",
        "Dir::Cache": SID,
        "Dir::Cache::archives": SID / "archives",
        "Dir::Etc::SourceList": SID / "etc/sources.list",
        "Dir::Etc::SourceParts": SID / "etc/sources.list.d",
        "Dir::Etc::Preferences": SID / "etc/preferences",
        "Dir::Etc::PreferencesParts": SID / "etc/preferences.d",
        "APT::Architecture": "amd64",
        # only amd64, whatever foreign architectures the host's dpkg knows (arm64 for the qemu tests)
        "APT::Architectures": "amd64",
        # apt drops privileges to _apt, which cannot write into root's home directory
        "APT::Sandbox::User": "root",
    }
    conf = "".join(f'{key} "{value}";\n' for key, value in settings.items())
    (SID / "apt.conf").write_text(conf)
    (SID / "etc/sources.list").write_text(f"deb [signed-by={KEYRING}] {MIRROR} sid main\n")


def _lists_fresh() -> bool:
    lists = list((SID / "lists").glob("*_sid_main_binary-amd64_Packages*"))
    return bool(lists) and time.time() - min(p.stat().st_mtime for p in lists) < LISTS_MAX_AGE


def sid_root() -> Path:
    """The private APT directory for Debian sid (APT_CONFIG=<it>/apt.conf), with current package lists."""
    _require("apt-get", "apt")
    _write_config()
    if _lists_fresh():
        return SID
    proc = _run(["apt-get", "update", "-q", "--error-on=any"], env=_apt_env(), timeout=600)
    if proc.returncode != 0 or not _lists_fresh():
        raise SidUnreachable(
            f"apt-get update from {MIRROR} (sid) failed: {proc.stdout[-600:]}{proc.stderr[-600:]}"
        )
    for stale in (SID / "lists").glob("*_Packages*"):
        stale.touch()  # an unchanged archive is not re-downloaded: the lists are current as of now
    return SID


def closure(packages: Iterable[str]) -> list[str]:
    """`packages` and every real package their Depends and Pre-Depends reach, sorted."""
    proc = _run(
        [
            "apt-cache",
            "depends",
            "--recurse",
            "--no-recommends",
            "--no-suggests",
            "--no-conflicts",
            "--no-breaks",
            "--no-replaces",
            "--no-enhances",
            *packages,
        ],
        env=_apt_env(),
    )
    if proc.returncode != 0:
        raise SidUnavailable(f"apt-cache depends {' '.join(packages)}: {proc.stderr.strip()}")
    # unindented lines are the packages; <name> is a virtual package (a real provider is listed too)
    names = {line.strip() for line in proc.stdout.splitlines() if line and not line[0].isspace()}
    return sorted(name for name in names if not name.startswith("<"))


def _download(names: Sequence[str]) -> list[Path]:
    debs = SID / "debs"
    proc = _run(["apt-get", "download", "-q", *names], cwd=debs, env=_apt_env(), timeout=1200)
    if proc.returncode != 0:
        raise SidUnreachable(f"apt-get download from {MIRROR} (sid) failed: {proc.stderr.strip()[-800:]}")
    found = []
    for name in names:
        matches = sorted(debs.glob(f"{name}_*_*.deb"))  # name_version_arch.deb (':' in versions is %3a)
        if not matches:
            raise SidUnavailable(f"apt-get download left no .deb for {name} in {debs}")
        found.append(matches[-1])
    return found


def sid_install(packages: Sequence[str]) -> Path:
    """A root directory holding `packages` (Debian sid, amd64) and their dependency closure, unpacked.

    One root per package set (the same set gives the same root, whatever the order); a second call
    returns it without touching the network.
    """
    key = hashlib.sha256("\n".join(sorted(set(packages))).encode()).hexdigest()[:16]
    root = SID / "roots" / key
    if (root / MARKER).is_file():
        return root
    _require("dpkg-deb", "dpkg")
    sid_root()
    names = closure(packages)
    debs = _download(names)
    staging = root.with_name(f"{key}.tmp{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for deb in debs:
        proc = _run(["dpkg-deb", "-x", str(deb), str(staging)])
        if proc.returncode != 0:
            raise SidUnavailable(f"dpkg-deb -x {deb.name}: {proc.stderr.strip()}")
    _merge_usr(staging)
    (staging / MARKER).write_text("".join(f"{deb.name}\n" for deb in debs))
    shutil.rmtree(root, ignore_errors=True)  # a root without its marker: an interrupted run's leftovers
    try:
        os.rename(staging, root)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not (root / MARKER).is_file():  # another process finished first unless this is missing
            raise
    return root


def _merge_usr(root: Path) -> None:
    """The /lib, /lib64, /bin symlinks into /usr that Debian's base-files gives a real system."""
    for name in ("lib", "lib64", "bin", "sbin"):
        link = root / name
        if not link.exists() and not link.is_symlink():
            (root / "usr" / name).mkdir(parents=True, exist_ok=True)
            link.symlink_to(f"usr/{name}")


def loader_of(root: Path) -> Path:
    loader = root / "usr/lib64/ld-linux-x86-64.so.2"
    if not loader.exists():
        loader = root / f"usr/lib/{MULTIARCH}/ld-linux-x86-64.so.2"
    if not loader.exists():
        raise SidUnavailable(f"no ld-linux-x86-64.so.2 in {root} (libc6 missing from the package set?)")
    return loader.resolve()


def patch_interpreter(root: Path, executable: Path) -> Path:
    """Make `executable` (inside `root`) run directly: the root's dynamic loader, DT_RPATH to its libraries.

    DT_RPATH (not RUNPATH) also applies to the libraries and extension modules the program loads.
    The patched file replaces the original atomically; already patched files are left alone.
    """
    patchelf = _require("patchelf", "patchelf")
    loader = loader_of(root)
    rpath = f"{root}/usr/lib/{MULTIARCH}:{root}/lib/{MULTIARCH}"
    current = _run([patchelf, "--print-interpreter", "--print-rpath", str(executable)]).stdout.split()
    if current == [str(loader), rpath]:
        return executable
    tmp = executable.with_name(f"{executable.name}.patch{os.getpid()}")
    shutil.copy2(executable, tmp)
    proc = _run([patchelf, "--set-interpreter", str(loader), "--force-rpath", "--set-rpath", rpath, str(tmp)])
    if proc.returncode != 0:
        tmp.unlink()
        raise SidUnavailable(f"patchelf {executable}: {proc.stderr.strip()}")
    os.replace(tmp, executable)
    return executable


def python_packages(minor: int) -> list[str]:
    v = f"3.{minor}"
    return [
        f"python{v}",
        f"python{v}-minimal",
        f"python{v}-dev",
        f"python{v}-venv",
        f"libpython{v}",
        f"libpython{v}-minimal",
        f"libpython{v}-stdlib",
        f"libpython{v}-dev",
    ]


def sid_python(minor: int) -> Path:
    """Debian sid's `python3.<minor>` executable, runnable here, with headers and `-m venv` (pip included)."""
    root = sid_install(python_packages(minor))
    executable = root / f"usr/bin/python3.{minor}"
    if not executable.is_file():
        raise SidUnavailable(f"Debian sid has no python3.{minor} ({executable} missing)")
    patch_interpreter(root, executable)
    relocate_wheel_dir(root, minor)
    return executable


def relocate_wheel_dir(root: Path, minor: int) -> None:
    """WHEEL_PKG_DIR (where ensurepip finds pip's wheel) as the root's own directory, not the host's."""
    wanted = f"'WHEEL_PKG_DIR': '{root}/usr/share/python-wheels/'"
    for data in (root / f"usr/lib/python3.{minor}").glob("_sysconfigdata_*.py"):
        text = data.read_text()
        if wanted in text:
            continue
        text = text.replace("'WHEEL_PKG_DIR': '/usr/share/python-wheels/'", wanted)
        tmp = data.with_name(f"{data.name}.{os.getpid()}")
        tmp.write_text(text)
        os.replace(tmp, data)


def sid_venv(minor: int, dest: Path) -> Path:
    """A virtual environment at `dest` made by Debian sid's python3.<minor>, with pip; returns its python."""
    executable = sid_python(minor)
    proc = _run([str(executable), "-m", "venv", str(dest)])
    if proc.returncode != 0:
        raise RuntimeError(f"python3.{minor} -m venv {dest}: {proc.stdout}{proc.stderr}")
    return dest / "bin" / "python"
