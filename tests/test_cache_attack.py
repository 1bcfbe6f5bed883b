"""A second local user attacks the zip-mode extraction cache for real (issue 13, section 1).

The victim (root here) imports `hello._core` from an egg with FATPACK_CACHE_DIR in a shared sticky
directory like /tmp. The attacker, a separate Unix user, has a directory there holding a planted library
at every place the loader might look, and either
- "swap": created the cache path first as a symbolic link and keeps swapping it (os.replace) between a
  link to the victim's own private cache and a link to the planted directory, or
- "appear": keeps creating and removing such links, so the path may be missing when the victim looks
  and a link when it resolves (the victim may then win and create the path itself: the test removes it
  before the next import, so the race goes on).
The planted library's constructor appends to a marker file whenever any process loads it. Zero loads are
allowed; a failed import must be an ImportError from fatpack naming the cache path."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.compile,
    pytest.mark.root,
    pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="needs root to create a second user"),
]

ATTACKER = "fatpack-attacker"

PLANTED_C = r"""
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void planted(void) {
    int fd = open("%(marker)s", O_WRONLY | O_CREAT | O_APPEND, 0666);
    if (fd >= 0) { (void)write(fd, "x", 1); close(fd); }
}
void *PyInit__core(void) { return 0; }
"""

ATTACKER_PY = r"""
import os, sys, time
mode, shared, own, evil, stop = sys.argv[1:6]
os.symlink(own, shared)
open(stop + ".started", "w").close()
i = 0
while not os.path.exists(stop):
    i += 1
    target = own if i % 2 else evil
    try:
        if mode == "swap":
            os.symlink(target, f"{shared}.{i}")
            os.replace(f"{shared}.{i}", shared)
            continue
        os.unlink(shared)
    except OSError:  # missing, or the victim created it (a directory of theirs, in a sticky dir)
        pass
    try:
        os.symlink(target, shared)
    except OSError:
        pass
"""
RUNS = {"swap": 250, "appear": 100}


def attacker_ids() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(ATTACKER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", ATTACKER], check=True
        )
        entry = pwd.getpwnam(ATTACKER)
    return entry.pw_uid, entry.pw_gid


def victim_made(path: Path) -> bool:
    """A real directory at `path` (only the victim can make one there that the attacker cannot remove)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("mode", sorted(RUNS))
def test_attacker_never_gets_a_library_loaded(hello_egg, tmp_path, mode):
    uid, gid = attacker_ids()
    arena = Path(f"/tmp/fatpack-attack-{os.getpid()}-{time.monotonic_ns()}")  # like /tmp: sticky, shared
    arena.mkdir()
    try:
        arena.chmod(0o1777)
        marker = arena / "loaded"
        planted = tmp_path / "planted.so"
        (tmp_path / "planted.c").write_text(PLANTED_C % {"marker": marker})
        subprocess.run(["cc", "-shared", "-fPIC", "-o", planted, tmp_path / "planted.c"], check=True)
        evil = arena / "evil"
        sha = ""
        with __import__("zipfile").ZipFile(hello_egg) as zf:
            manifest = zf.read("hello/_fatpack/manifest.tsv").decode()
        for line in manifest.splitlines()[1:]:
            fields = line.split("\t")
            if fields[1] == "linux_x86_64":
                relative, sha = fields[5], fields[6]
        for place in (evil / sha, evil / sha / relative.rsplit("/", 1)[0]):  # old and new layouts
            place.mkdir(parents=True, exist_ok=True)
            shutil.copy(planted, place / relative.rsplit("/", 1)[1])
        for path in [evil, *evil.rglob("*")]:
            os.chown(path, uid, gid)
        (arena / "attacker.py").write_text(ATTACKER_PY)
        own = tmp_path / "own-cache"  # the victim's private cache, already holding a good copy
        shared = arena / "shared"
        stop = arena / "stop"
        env = {"PATH": "/usr/bin:/bin", "FATPACK_CACHE_DIR": str(own)}
        probe = f"import sys; sys.path.insert(0, {str(hello_egg)!r}); import hello; print(hello.add(1, 2))"
        warm = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, text=True, env=env)
        assert warm.stdout == "3\n", warm.stderr
        as_attacker = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]
        arguments = [arena / "attacker.py", mode, shared, own, evil, stop]
        attacker = subprocess.Popen([*as_attacker, "/usr/bin/python3", "-I", *map(str, arguments)])
        try:
            deadline = time.monotonic() + 10
            started = arena / "stop.started"
            while not started.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert started.exists(), "the attacker did not start"
            env["FATPACK_CACHE_DIR"] = str(shared)
            outcomes = []
            for _ in range(RUNS[mode]):
                if victim_made(shared):  # the victim won a race: race again
                    shutil.rmtree(shared)
                victim = [sys.executable, "-I", "-c", probe]
                outcomes.append(subprocess.run(victim, capture_output=True, text=True, env=env))
        finally:
            stop.touch()
            attacker.wait(timeout=10)
        loads = len(marker.read_bytes()) if marker.exists() else 0
        ok = sum(p.returncode == 0 and p.stdout == "3\n" for p in outcomes)
        refusals = [p.stderr.strip().splitlines()[-1] for p in outcomes if p.returncode != 0]
        print(f"{mode}: {loads} planted loads, {ok} imports, {len(refusals)} refusals in {RUNS[mode]} runs")
        print("\n".join(sorted({r.replace(str(arena), "<arena>") for r in refusals})))
        assert loads == 0
        assert ok + len(refusals) == RUNS[mode]
        assert all(r.startswith("ImportError: fatpack: ") and str(shared) in r for r in refusals), refusals
        if mode == "swap":  # the link is always there: always refused, never followed
            assert ok == 0 and all(
                r.startswith("ImportError: fatpack: refusing cache directory") for r in refusals
            )
    finally:
        shutil.rmtree(arena, ignore_errors=True)
