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
import struct
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


EXCHANGER_PY = r"""
import ctypes, os, sys
cache, evil, stop = sys.argv[1:4]
libc = ctypes.CDLL(None, use_errno=True)
flip = cache + ".flip"
os.symlink(evil, flip)
open(stop + ".started", "w").close()
while not os.path.exists(stop):
    libc.renameat2(-100, cache.encode(), -100, flip.encode(), 2)  # RENAME_EXCHANGE: evil in place...
    for _ in range(200):
        pass
    libc.renameat2(-100, cache.encode(), -100, flip.encode(), 2)  # ...and the victim's cache back
    for _ in range(2000):
        pass
"""


def test_attacker_with_write_access_through_an_acl(hello_egg, tmp_path):
    """The victim's cache is in a directory of the victim's own, with the victim's own group, whose group
    bits are the mask of an ACL granting the attacker write access. The attacker keeps exchanging the
    cache with a link to a directory of planted libraries (renameat2 RENAME_EXCHANGE): the previous
    check, which took such a directory for a private one, let 4 of 200 imports load the planted one."""
    uid, gid = attacker_ids()
    base = Path(f"/tmp/fatpack-acl-{os.getpid()}-{time.monotonic_ns()}")
    base.mkdir(mode=0o755)
    try:
        arena = base / "arena"
        arena.mkdir(mode=0o700)
        os.chown(arena, -1, os.getegid())
        entries = [(0x01, 7, -1), (0x02, 7, uid), (0x04, 0, -1), (0x10, 7, -1), (0x20, 0, -1)]
        acl = struct.pack("<I", 2) + b"".join(
            struct.pack("<HHI", t, p, i & 0xFFFFFFFF) for t, p, i in entries
        )
        try:
            os.setxattr(arena, "system.posix_acl_access", acl)
        except OSError:
            pytest.skip("no POSIX ACLs on /tmp")
        signals = base / "signals"  # where the attacker may write its start signal
        signals.mkdir()
        signals.chmod(0o1777)
        marker = base / "loaded"
        planted = tmp_path / "planted.so"
        (tmp_path / "planted.c").write_text(PLANTED_C % {"marker": marker})
        subprocess.run(["cc", "-shared", "-fPIC", "-o", planted, tmp_path / "planted.c"], check=True)
        with __import__("zipfile").ZipFile(hello_egg) as zf:
            rows = [line.split("\t") for line in zf.read("hello/_fatpack/manifest.tsv").decode().splitlines()]
        relative, sha = next((r[5], r[6]) for r in rows[1:] if r[1] == "linux_x86_64")
        evil = base / "evil"
        (evil / sha / relative).parent.mkdir(parents=True)
        shutil.copy(planted, evil / sha / relative)
        for path in [evil, *evil.rglob("*")]:
            os.chown(path, uid, gid)
        cache = arena / "cache"
        env = {"PATH": "/usr/bin:/bin", "FATPACK_CACHE_DIR": str(cache)}
        probe = f"import sys; sys.path.insert(0, {str(hello_egg)!r}); import hello; print(hello.add(1, 2))"
        os.makedirs(cache, mode=0o700)  # the victim's cache, as an earlier import would have made it
        (base / "exchanger.py").write_text(EXCHANGER_PY)
        stop = signals / "stop"
        as_attacker = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]
        arguments = [base / "exchanger.py", cache, evil, stop]
        attacker = subprocess.Popen([*as_attacker, "/usr/bin/python3", "-I", *map(str, arguments)])
        try:
            deadline = time.monotonic() + 10
            while not (signals / "stop.started").exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert (signals / "stop.started").exists(), "the attacker did not start"
            victim = [sys.executable, "-I", "-c", probe]
            outcomes = [subprocess.run(victim, capture_output=True, text=True, env=env) for _ in range(200)]
        finally:
            stop.touch()
            attacker.wait(timeout=10)
        loads = len(marker.read_bytes()) if marker.exists() else 0
        ok = sum(p.returncode == 0 and p.stdout == "3\n" for p in outcomes)
        refusals = [p.stderr.strip().splitlines()[-1] for p in outcomes if p.returncode != 0]
        print(f"acl: {loads} planted loads, {ok} imports, {len(refusals)} refusals in {len(outcomes)} runs")
        print("\n".join(sorted({r.replace(str(base), "<base>") for r in refusals})))
        assert loads == 0
        assert ok == 0 and len(refusals) == len(outcomes)  # the arena is never safe: always refused
        assert all(r.startswith("ImportError: fatpack: ") and str(cache) in r for r in refusals), refusals
    finally:
        shutil.rmtree(base, ignore_errors=True)
