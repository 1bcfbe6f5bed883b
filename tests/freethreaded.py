"""A free-threaded CPython 3.13 (`python3.13t`), built from Debian's 3.13 source: the truth standard for
`cp313t` payloads on linux_x86_64.

Debian packages no free-threaded interpreter and serves no 3.14/3.15 source tarball, so 3.13t is the
free-threaded CPython to be had here (/work/shared/FACTS.md, "CPython from source"). The orig tarball comes
from `apt-get source --download-only python3.13` through a private apt configuration holding one deb-src
line (the system's apt is not changed); then `./configure --disable-gil --enable-shared`, `make`, `make
install` into a temporary prefix that is renamed into the cache only when the interpreter answers
`sys._is_gil_enabled()` with False, so a half-built one is never used. About 15 minutes on 2 cores, once
per machine. Run `python tests/freethreaded.py` to build it ahead of the tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CACHE = Path(os.environ.get("FATPACK_TEST_CACHE", Path.home() / ".cache" / "fatpack-tests"))
PREFIX = CACHE / "cpython-3.13t"
APT_ROOT = CACHE / "debian-src-apt"
SUITES = ("sid", "trixie")
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


class FreeThreadedUnavailable(RuntimeError):
    pass


def interpreter() -> Path:
    """The cached python3.13t, built first if it is not there yet."""
    python = PREFIX / "bin" / "python3.13t"
    if not python.is_file():
        build(PREFIX)
    return python


def apt_config(root: Path) -> Path:
    """An apt configuration whose only sources are Debian's deb-src lines, with its own state dirs."""
    for sub in ("lists/partial", "archives/partial", "etc/sources.list.d", "etc/preferences.d"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "status").touch()
    lines = [f"deb-src [signed-by={KEYRING}] http://deb.debian.org/debian {suite} main" for suite in SUITES]
    (root / "etc/sources.list").write_text("\n".join(lines) + "\n")
    conf = root / "apt.conf"
    conf.write_text(
        f'Dir::State "{root}";\nDir::State::Lists "{root}/lists";\nDir::State::status "{root}/status";\n'
        f'Dir::Cache "{root}";\nDir::Cache::archives "{root}/archives";\n'
        f'Dir::Etc::SourceList "{root}/etc/sources.list";\nDir::Etc::SourceParts "{root}/etc/sources.list.d";\n'
        f'Dir::Etc::PreferencesParts "{root}/etc/preferences.d";\n'
    )
    return conf


def orig_tarball() -> Path:
    """Debian's python3.13 orig tarball (the upstream CPython source), downloaded once."""
    source = APT_ROOT / "source"
    found = sorted(source.glob("python3.13_*.orig.tar.*[!c]")) if source.is_dir() else []
    if found:
        return found[-1]
    env = dict(os.environ, APT_CONFIG=str(apt_config(APT_ROOT)))
    source.mkdir(parents=True, exist_ok=True)
    _apt(["apt-get", "update"], source, env)
    # the index can name a version whose files the mirror no longer serves (seen: sid's 3.13.18 404s
    # while 3.13.15 is there): try each listed version, newest first
    errors = []
    for version in _versions(_apt(["apt-cache", "showsrc", "python3.13"], source, env)):
        argv = ["apt-get", "source", "--download-only", f"python3.13={version}"]
        proc = subprocess.run(argv, cwd=source, env=env, capture_output=True, text=True)
        found = sorted(source.glob("python3.13_*.orig.tar.*[!c]"))
        if proc.returncode == 0 and found:
            return found[-1]
        errors.append(f"{version}: {proc.stderr.strip().splitlines()[-1:]}")
    raise FreeThreadedUnavailable(f"no python3.13 source could be downloaded: {errors}")


def _apt(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise FreeThreadedUnavailable(f"{' '.join(argv)} failed: {proc.stderr.strip()[-2000:]}")
    return proc.stdout


def _versions(showsrc: str) -> list[str]:
    listed = {line.split()[1] for line in showsrc.splitlines() if line.startswith("Version: ")}
    return sorted(listed, key=_version_key, reverse=True)


def _version_key(version: str) -> list[tuple[int, str]]:
    """3.13.15-1 sorts above 3.13.5-2+deb13u5: numbers compare as numbers."""
    upstream = version.split("-")[0]
    return [(int(part), "") if part.isdigit() else (-1, part) for part in upstream.split(".")]


def build(prefix: Path) -> None:
    """Configure, make and install CPython 3.13t for `prefix`, then move it there in one rename.

    The prefix is baked into the interpreter (rpath, sys.prefix), so it is configured for the final
    path and installed with DESTDIR into a staging directory beside it; a crashed build leaves only
    that `.tmp-` directory, which is never used."""
    tarball = orig_tarball()
    prefix.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=prefix.name + ".tmp-", dir=prefix.parent))
    work, root = staging / "src", staging / "root"
    try:
        work.mkdir()
        subprocess.run(["tar", "-xf", str(tarball), "-C", str(work), "--strip-components=1"], check=True)
        _configure_make_install(work, prefix, root)
        installed = root / str(prefix).lstrip("/")
        _check_layout(installed)
        shutil.rmtree(prefix, ignore_errors=True)
        os.replace(installed, prefix)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _check(prefix / "bin" / "python3.13t")


def _configure_make_install(work: Path, prefix: Path, root: Path) -> None:
    steps = (
        [
            "./configure",
            "--disable-gil",
            "--enable-shared",
            f"--prefix={prefix}",
            f"LDFLAGS=-Wl,-rpath,{prefix}/lib",
            "--without-ensurepip",
            "--disable-test-modules",
        ],
        ["make", "-j2"],
        ["make", "install", f"DESTDIR={root}"],
    )
    log = work / "build.log"
    for argv in steps:
        with log.open("a") as out:
            proc = subprocess.run(argv, cwd=work, stdout=out, stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            tail = log.read_text(errors="replace")[-3000:]
            raise FreeThreadedUnavailable(f"{' '.join(argv[:2])} failed ({proc.returncode}):\n{tail}")


def _check_layout(tree: Path) -> None:
    for name in ("bin/python3.13t", "include/python3.13t/Python.h"):
        if not (tree / name).is_file():
            raise FreeThreadedUnavailable(f"the 3.13t build has no {name} in {tree}")


def _check(python: Path) -> None:
    proc = subprocess.run(
        [str(python), "-c", "import sys; print(sys._is_gil_enabled())"], capture_output=True, text=True
    )
    if proc.returncode != 0 or proc.stdout.strip() != "False":
        shutil.rmtree(PREFIX, ignore_errors=True)
        raise FreeThreadedUnavailable(f"{python} does not run free-threaded: {proc.stdout}{proc.stderr}")


if __name__ == "__main__":
    started = time.monotonic()
    print(interpreter(), f"{time.monotonic() - started:.0f} s", file=sys.stderr)
