"""The package imported from inside a zip: an egg or a zipapp on this Linux host, an egg under Wine.
Payloads are extracted to a private per-user cache keyed by their sha256."""

import hashlib
import os
import subprocess
import sys
import zipapp
import zipfile
from pathlib import Path

import pytest
from winepython import WindowsPython, windows_path

pytestmark = pytest.mark.compile

PROBE = "import hello, hello._core as c; print(hello.add(40, 2), hello.median([5, 1, 4]), hello.built_for()); print(c.__file__)"


def run_from(path_entry: Path, cache: Path, code: str = PROBE, **env) -> subprocess.CompletedProcess:
    prelude = f"import sys; sys.path.insert(0, {str(path_entry)!r}); "
    environment = {"PATH": "/usr/bin:/bin", "FATPACK_CACHE_DIR": str(cache), **env}
    return subprocess.run(
        [sys.executable, "-I", "-c", prelude + code], capture_output=True, text=True, env=environment
    )


def cached_files(cache: Path) -> list:
    return sorted(p for p in cache.rglob("*") if p.is_file())


def zipapp_from_wheel(wheel: Path, main: str, tmp_path: Path) -> Path:
    """A zipapp holding the wheel's files and a __main__.py."""
    source = tmp_path / "app"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(source)
    (source / "__main__.py").write_text(main)
    app = tmp_path / "hello.pyz"
    zipapp.create_archive(source, app)
    return app


def test_egg_metadata(hello_egg):
    assert hello_egg.name == "hello-1.0-py3.egg"
    with zipfile.ZipFile(hello_egg) as zf:
        assert "Name: hello" in zf.read("EGG-INFO/PKG-INFO").decode()
        assert zf.read("EGG-INFO/top_level.txt").decode() == "hello\n"
        assert zf.read("EGG-INFO/native_libs.txt").decode().splitlines() == [
            "hello/_fatpack/linux_x86_64/hello._core.abi3.so",
            "hello/_fatpack/win_amd64/hello._core.abi3.pyd",
        ]
        assert not any(name.endswith("RECORD") for name in zf.namelist())


def test_egg_on_sys_path_extracts_once_then_reuses(hello_egg, tmp_path):
    cache = tmp_path / "cache"
    first = run_from(hello_egg, cache, FATPACK_DEBUG="1")
    assert first.returncode == 0, first.stderr
    values, file = first.stdout.splitlines()
    assert values == "42 4 linux"
    (extracted,) = cached_files(cache)
    assert file == str(extracted)  # at its path inside the package, below a directory named by its hash
    assert extracted.relative_to(cache).parts[1:] == ("linux_x86_64", "hello._core.abi3.so")
    assert extracted.parent.parent.name == hashlib.sha256(extracted.read_bytes()).hexdigest()
    modes = {p.stat().st_mode & 0o777 for p in (cache, extracted.parent, extracted.parent.parent)}
    assert modes == {0o700}
    assert "extracted linux_x86_64/hello._core.abi3.so" in first.stderr
    second = run_from(hello_egg, cache, FATPACK_DEBUG="1")
    assert second.returncode == 0 and second.stdout == first.stdout
    assert "using cached" in second.stderr and "extracted" not in second.stderr


def test_zipapp_built_from_the_wheel_runs(hello_wheel, tmp_path):
    app = zipapp_from_wheel(
        hello_wheel, "import hello\nprint(hello.greet('zipapp'), hello.median([9, 7, 8]))\n", tmp_path
    )
    proc = subprocess.run(
        [sys.executable, "-I", str(app)],
        capture_output=True,
        text=True,
        env={"FATPACK_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Hello, zipapp! 8\n"
    assert len(cached_files(tmp_path / "cache")) == 1


def import_at_once(egg: Path, cache: Path, processes: int) -> list:
    """(stdout, stderr, exit code) of `processes` interpreters importing from `egg` at the same moment.
    A real barrier: each says it is ready, then blocks reading one shared pipe; once all are ready the
    pipe's only writer is closed, which wakes them all at once."""
    gate_read, gate_write = os.pipe()
    gate = f"import os, sys; print('ready', flush=True); os.read({gate_read}, 1); "
    prelude = f"import sys; sys.path.insert(0, {str(egg)!r}); "
    env = {"PATH": "/usr/bin:/bin", "FATPACK_CACHE_DIR": str(cache)}
    try:
        procs = [
            subprocess.Popen(
                [sys.executable, "-I", "-c", prelude + gate + PROBE],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                pass_fds=(gate_read,),
            )
            for _ in range(processes)
        ]
        os.close(gate_read)
        assert [p.stdout.readline() for p in procs] == ["ready\n"] * processes  # none has imported yet
        assert not cache.exists()
    finally:
        os.close(gate_write)
    return [(*p.communicate(timeout=120), p.returncode) for p in procs]


def test_eight_processes_importing_at_once_into_an_empty_cache(hello_egg, tmp_path):
    for attempt in range(3):  # a lost race shows only sometimes: three rounds, each into a new cache
        cache = tmp_path / f"cache{attempt}"
        results = import_at_once(hello_egg, cache, 8)
        assert all(code == 0 for _, _, code in results), [err for _, err, _ in results]
        assert {out.splitlines()[0] for out, _, _ in results} == {"42 4 linux"}
        assert len(cached_files(cache)) == 1  # exactly one copy, no temporary files left


def test_corrupted_cached_payload_is_replaced(hello_egg, tmp_path):
    cache = tmp_path / "cache"
    assert run_from(hello_egg, cache).returncode == 0
    (extracted,) = cached_files(cache)
    good = extracted.read_bytes()
    extracted.write_bytes(b"\x7fELF corrupted")
    proc = run_from(hello_egg, cache, FATPACK_DEBUG="1")
    assert proc.returncode == 0, proc.stderr
    assert "extracted" in proc.stderr
    assert extracted.read_bytes() == good


def test_missing_cache_parents_are_made_private_under_umask_000(hello_egg, tmp_path):
    """os.makedirs would give the parents mode 0777 under umask 000: world-writable directories the
    loader made itself, then refused at every import."""
    cache = tmp_path / "home" / ".cache" / "fatpack"
    proc = run_from(hello_egg, cache, "import os; os.umask(0); " + PROBE)
    assert proc.returncode == 0, proc.stderr
    modes = {p: p.stat().st_mode & 0o777 for p in (cache.parent.parent, cache.parent, cache)}
    assert set(modes.values()) == {0o700}, modes


def test_cached_copy_others_may_write_is_extracted_again(hello_egg, tmp_path):
    """A cached copy with the right bytes but writable by others, in directories they may enter: another
    user could rewrite it between the hash check and dlopen, so it is replaced by a fresh private one."""
    cache = tmp_path / "cache"
    assert run_from(hello_egg, cache).returncode == 0
    (extracted,) = cached_files(cache)
    for path in (cache, *cache.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o666)
    proc = run_from(hello_egg, cache, FATPACK_DEBUG="1")
    assert proc.returncode == 0, proc.stderr
    assert f"extracted linux_x86_64/hello._core.abi3.so to {extracted}" in proc.stderr
    assert extracted.stat().st_mode & 0o777 == 0o700


def test_world_writable_cache_is_refused(hello_egg, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o777)
    proc = run_from(hello_egg, cache)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f"ImportError: fatpack: refusing cache directory {cache}: writable by others (mode 777); chmod go-w it or set FATPACK_CACHE_DIR"
    )
    assert cached_files(cache) == []


@pytest.mark.root
@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0, reason="needs root to make a directory owned by another user"
)
def test_cache_owned_by_someone_else_is_refused(hello_egg, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    os.chown(cache, 65534, 65534)
    proc = run_from(hello_egg, cache)
    assert proc.returncode == 1
    assert f"refusing cache directory {cache}: owned by uid 65534, not by you (uid 0)" in proc.stderr
    assert cached_files(cache) == []


@pytest.mark.wine
def test_egg_on_sys_path_under_wine(hello_egg, tmp_path):
    """python.org CPython 3.13 for Windows, the egg on sys.path, the default cache under %LOCALAPPDATA%."""
    python = WindowsPython("3.13", tmp_path / "py")
    code = f"import sys; sys.path.insert(0, {windows_path(hello_egg)!r}); {PROBE}; import hello._fatpack as f; print('|'.join(f._dll_directories))"
    first = python.check("-c", code).splitlines()
    assert first[0] == "42 4 windows"
    assert "\\fatpack\\Cache\\" in first[1] and first[1].endswith("\\hello._core.abi3.pyd")
    assert first[2] == first[1].rpartition("\\")[0]  # the extracted directory was added for DLL lookups
    assert python.check("-c", code).splitlines() == first  # the cached copy serves the second run


@pytest.fixture(scope="module")
def mixed_egg(tmp_path_factory) -> Path:
    """examples/mixed (a bundled library shared by three extensions) as an egg."""
    import shutil

    from conftest import REPO

    from fatpack.pipeline import Options, assemble

    work = tmp_path_factory.mktemp("mixed-egg")
    shutil.copytree(
        REPO / "examples" / "mixed", work / "mixed", ignore=shutil.ignore_patterns("dist", "build")
    )
    return assemble(Options(project_dir=work / "mixed", out_dir=work / "dist", artifact_format="egg"))


MIXED_PROBE = "import mixed.alpha._alpha as a, mixed.gamma._gamma as g; print(a.parallel_sum(1000), g.parallel_sum(2000))"


def test_bundled_libraries_are_extracted_beside_the_payload(mixed_egg, tmp_path):
    cache = tmp_path / "cache"
    proc = run_from(
        mixed_egg,
        cache,
        MIXED_PROBE + "; print([l.split()[-1] for l in open('/proc/self/maps') if 'libextra' in l][0])",
    )
    assert proc.returncode == 0, proc.stderr
    values, mapped = proc.stdout.splitlines()
    assert values == "499500 1999000"
    assert Path(mapped).relative_to(cache).parts[1:] == ("linux_x86_64", "libs", "libextra.so")


@pytest.mark.wine
def test_bundled_libraries_from_an_egg_under_wine(mixed_egg, tmp_path):
    python = WindowsPython("3.13", tmp_path / "py")
    code = f"import sys; sys.path.insert(0, {windows_path(mixed_egg)!r}); {MIXED_PROBE}; import mixed._fatpack as f; print(sorted(f._dll_directories)[-1])"
    values, libs = python.check("-c", code).splitlines()
    assert values == "499500 1999000"
    assert libs.endswith("\\libs") and "\\fatpack\\Cache\\" in libs


@pytest.mark.wine
def test_zipapp_built_from_the_wheel_runs_under_wine(hello_wheel, tmp_path):
    app = zipapp_from_wheel(
        hello_wheel,
        "import hello, hello._core as c\nprint(hello.greet('zipapp'), hello.sizeof_long(), c.__file__)\n",
        tmp_path,
    )
    python = WindowsPython("3.13", tmp_path / "py")
    greeting, size, file = python.check(windows_path(app)).strip().rsplit(" ", 2)
    assert (greeting, size) == ("Hello, zipapp!", "4")
    assert "\\fatpack\\Cache\\" in file and file.endswith("\\hello._core.abi3.pyd")


def test_relative_zip_path_on_sys_path(hello_egg, tmp_path):
    """sys.path.insert(0, 'hello-1.0-py3.egg'), relative to the current directory."""
    code = f"import sys; sys.path.insert(0, {hello_egg.name!r}); {PROBE}"
    environment = {"PATH": "/usr/bin:/bin", "FATPACK_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run(
        [sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        cwd=hello_egg.parent,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "42 4 linux"
