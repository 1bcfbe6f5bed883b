"""The mingw builder (Debian's mingw-w64 GCC, relinked to the UCRT): the same Windows payloads the zig
builder makes pass the same tests on python.org CPython under Wine."""

import os
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE, REPO
from winepython import WindowsPython

from fatpack.binaries import inspect_binary
from fatpack.builders import mingw
from fatpack.builders.mingw import MingwBuilder
from fatpack.errors import ConfigError, FatpackError, ToolchainError
from fatpack.targets import TARGETS


def test_mingw_builds_windows_targets_only(runner):
    with pytest.raises(ConfigError, match=r"the mingw builder builds win_amd64 and win32, not linux_x86_64"):
        MingwBuilder(runner).check(TARGETS["linux_x86_64"])


def test_missing_mingw_says_how_to_install(runner, monkeypatch):
    monkeypatch.setattr(mingw.shutil, "which", lambda name: None)
    with pytest.raises(
        ToolchainError,
        match=r"needs x86_64-w64-mingw32-gcc: install it \(Debian: apt-get install gcc-mingw-w64-x86-64",
    ):
        MingwBuilder(runner).check(TARGETS["win_amd64"])


def test_identity_is_the_targets_own_compiler(runner):
    """win32 payloads are compiled by i686-w64-mingw32-gcc: its banner keys their cache, not x86_64's."""
    builder = MingwBuilder(runner)
    builder.identity(TARGETS["win32"])
    builder.identity(TARGETS["win_amd64"])
    assert runner.commands == [["i686-w64-mingw32-gcc", "--version"], ["x86_64-w64-mingw32-gcc", "--version"]]


@pytest.mark.compile
@pytest.mark.mingw
def test_broken_mingw_is_a_toolchain_error_not_a_traceback(demo_project, tmp_path, monkeypatch):
    """A mingw gcc that fails every command (here a script on PATH) ends in one FatpackError through
    the real runner: neither `--version` nor `-dumpspecs` may leak a CalledProcessError."""
    from fatpack.build import build_payloads
    from fatpack.cache import PayloadCache
    from fatpack.config import load_project
    from fatpack.plan import make_plan
    from fatpack.runner import run_command

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gcc = bin_dir / "x86_64-w64-mingw32-gcc"
    gcc.write_text("#!/bin/sh\necho 'gcc: fatal error: broken install' >&2\nexit 1\n")
    gcc.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    for cache in (PayloadCache(tmp_path / "cache"), PayloadCache(None)):  # with and without the identity
        plan = make_plan(
            load_project(demo_project), [TARGETS["win_amd64"]], builder_overrides={"*": "mingw"}, cache=cache
        )
        with pytest.raises(
            FatpackError, match=r"x86_64-w64-mingw32-gcc .*(exited with code 1|broken install)"
        ):
            build_payloads(plan, run_command, tmp_path / "work", tmp_path / "out")


def build_with_mingw(project, work):
    from fatpack.pipeline import Options, assemble

    shutil.copytree(project, work / project.name, ignore=shutil.ignore_patterns("dist", "build"))
    options = Options(
        project_dir=work / project.name,
        out_dir=work / "dist",
        targets=(TARGETS["win_amd64"],),
        builders={"*": "mingw"},
    )
    return assemble(options)


def windows_binaries(python, package):
    root = python.root / "Lib" / "site-packages" / package / "_fatpack" / "win_amd64"
    return {
        p.name: {d.lower() for d in inspect_binary(p).needed}
        for p in root.rglob("*")
        if p.suffix in (".pyd", ".dll")
    }


@pytest.mark.compile  # zig dlltool makes the import library
@pytest.mark.mingw
@pytest.mark.wine
def test_hello_built_by_mingw_on_windows(tmp_path):
    wheel = build_with_mingw(EXAMPLE, tmp_path)
    python = WindowsPython("3.13", tmp_path / "py")
    python.pip_install(wheel)
    out = python.check(
        "-c",
        "import hello; print(hello.add(40, 2), hello.median([3, 9, 1]), hello.sizeof_long(), hello.built_for())",
    )
    assert out.strip() == "42 3 4 windows"
    for imported in windows_binaries(python, "hello").values():
        assert "msvcrt.dll" not in imported and not any(d.startswith("libgcc") for d in imported)
        assert all(
            d in ("python3.dll", "kernel32.dll") or d.startswith("api-ms-win-crt-") for d in imported
        ), imported


@pytest.mark.compile  # zig dlltool makes the import library
@pytest.mark.mingw
@pytest.mark.wine
def test_bundled_library_built_by_mingw_on_windows(tmp_path):
    wheel = build_with_mingw(REPO / "examples" / "mixed", tmp_path)
    python = WindowsPython("3.13", tmp_path / "py")
    python.pip_install(wheel)
    out = python.check(
        "-c",
        "import mixed.alpha._alpha as a, mixed.beta._beta as b; print(a.parallel_sum(1000), a.info()[:2], b.to_network(1))",
    )
    assert out.strip() == "499500 ('windows', 16777216) 16777216"
    binaries = windows_binaries(python, "mixed")
    assert {"winmm.dll", "ws2_32.dll", "ntdll.dll"} <= binaries["extra.dll"]
    assert all("msvcrt.dll" not in imported for imported in binaries.values())


@pytest.mark.compile  # zig dlltool makes the import library
@pytest.mark.mingw
@pytest.mark.wine
def test_msvc_style_headers_and_pragmas_built_by_mingw(tmp_path):
    """<Windows.h>, <WinSock2.h>, #pragma comment(lib, "IPHLPAPI.lib") with Debian's mingw-w64 too."""
    wheel = build_with_mingw(Path(__file__).parent / "projects" / "winheaders", tmp_path)
    python = WindowsPython("3.11", tmp_path / "py")
    python.pip_install(wheel)
    probe = "import os, winheaders as w; print(w.process_id() == w.crt_process_id() == os.getpid(), w.pointer_bits(), w.interface_count() >= 0)"
    assert python.check("-c", probe).split() == ["True", "64", "True"]
