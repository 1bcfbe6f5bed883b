"""Windows headers spelled in another case than mingw-w64's (`<Windows.h>`): the include overlay."""

import shutil
from pathlib import Path

import pytest
from winepython import WindowsPython

from fatpack.build import build_payloads
from fatpack.config import load_project
from fatpack.plan import make_plan
from fatpack.sdk.windows_headers import (
    included_names,
    misspelled_headers,
    windows_header_overlay,
    zig_windows_include_dirs,
)
from fatpack.targets import TARGETS

PROJECT = Path(__file__).parent / "projects" / "winheaders"


def mingw_like(tmp_path: Path) -> Path:
    include = tmp_path / "mingw"
    for name in ("windows.h", "winsock2.h", "shlwapi.h", "sys/stat.h", "GL/gl.h"):
        (include / name).parent.mkdir(parents=True, exist_ok=True)
        (include / name).write_text(f"/* {name} */\n")
    return include


def test_included_names_reads_include_lines_and_cython_externs():
    text = b'#include <Windows.h>\n  #  include "Shlwapi.h"\n#include_next <sys/Stat.h>\ncdef extern from "WinSock2.h":\n'
    assert sorted(included_names(text)) == ["Shlwapi.h", "WinSock2.h", "Windows.h", "sys/Stat.h"]
    assert included_names(b"// #include <Windows.h> in a comment\nint x;\n") == []


def test_only_names_missing_as_spelled_but_present_lowercased_are_linked(tmp_path):
    include = mingw_like(tmp_path)
    names = ["Windows.h", "windows.h", "WinSock2.h", "sys/Stat.h", "GL/gl.h", "Python.h", "../Windows.h"]
    links = misspelled_headers(names, [include])
    assert links == {
        "Windows.h": include / "windows.h",
        "WinSock2.h": include / "winsock2.h",
        "sys/Stat.h": include / "sys/stat.h",
    }


def test_overlay_is_written_from_the_sources_and_added_last(tmp_path):
    include = mingw_like(tmp_path)
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    (project / "src" / "notes.txt").write_text("#include <Shlwapi.h> is not a C file\n")
    args = windows_header_overlay([project], tmp_path / "overlay", [include])
    assert args == ["-idirafter", str(tmp_path / "overlay")]
    overlay = tmp_path / "overlay"
    assert sorted(p.name for p in overlay.iterdir()) == ["Shlwapi.h", "WinSock2.h", "Windows.h"]
    assert (overlay / "Windows.h").resolve() == include / "windows.h"
    # a second build of the same job finds the overlay made already
    assert windows_header_overlay([project], overlay, [include]) == args


def test_no_overlay_when_every_name_is_spelled_as_shipped(tmp_path):
    include = mingw_like(tmp_path)
    (tmp_path / "a.c").write_text("#include <windows.h>\n")
    assert windows_header_overlay([tmp_path / "a.c"], tmp_path / "overlay", [include]) == []
    assert not (tmp_path / "overlay").exists()


def test_zig_ships_the_headers_the_fixture_names_in_lowercase_only():
    directories = zig_windows_include_dirs()
    assert directories, "ziglang is a dependency of fatpack"
    links = misspelled_headers(
        ["Windows.h", "WinSock2.h", "WS2tcpip.h", "Shlwapi.h", "BaseTsd.h"], directories
    )
    assert sorted(links) == ["BaseTsd.h", "Shlwapi.h", "WS2tcpip.h", "WinSock2.h", "Windows.h"]
    assert links["Windows.h"].name == "windows.h"


def test_zig_builder_adds_the_overlay_for_windows_targets_only(runner, tmp_path):
    config = load_project(PROJECT)
    build_payloads(make_plan(config), runner, tmp_path / "work", tmp_path / "out")
    compiles = [c for c in runner.commands if "-c" in c]
    by_triple = {c[c.index("-target") + 1]: c for c in compiles}
    windows, linux = by_triple["x86_64-windows-gnu"], by_triple["x86_64-linux-gnu.2.17"]
    overlay = Path(windows[windows.index("-idirafter") + 1])
    assert (overlay / "Windows.h").is_symlink() and (overlay / "BaseTsd.h").is_symlink()
    assert "-idirafter" not in linux
    # the #pragma comment(lib) of a library mingw-w64 has is linked; one it does not have is not
    links = {c[c.index("-target") + 1]: c for c in runner.commands if "-shared" in c}
    assert "-liphlpapi" in links["x86_64-windows-gnu"] and "-liphlpapi" not in links["x86_64-linux-gnu.2.17"]
    assert not [a for a in links["x86_64-windows-gnu"] if "notalibrary" in a.lower()]


@pytest.mark.compile
def test_mixed_case_windows_headers_compile_and_are_cached(tmp_path):
    from fatpack.cache import PayloadCache

    config = load_project(PROJECT)
    plan = make_plan(config, targets=[TARGETS["win_amd64"]], cache=PayloadCache(tmp_path / "cache"))
    from fatpack.runner import run_command

    first = build_payloads(plan, run_command, tmp_path / "w1", tmp_path / "o1")
    depfile = next((tmp_path / "w1").rglob("deps/*.d")).read_text()
    assert "windows-headers/Windows.h" in depfile  # read through the overlay's link
    reports = []
    build_payloads(plan, run_command, tmp_path / "w2", tmp_path / "o2", reports.append)
    assert reports[0].cached == 1
    assert first[0].path.read_bytes()[:2] == b"MZ"


@pytest.mark.compile
@pytest.mark.wine
def test_mixed_case_windows_headers_run_on_windows_python(tmp_path):
    from fatpack.pipeline import Options, assemble

    wheel = assemble(Options(PROJECT, tmp_path / "dist", targets=[TARGETS["win_amd64"]], cache_dir=None))
    python = WindowsPython("3.11", tmp_path / "py")
    python.pip_install(wheel)
    out = python.check(
        "-c",
        "import os, winheaders as w; print(w.process_id() == w.crt_process_id() == os.getpid(), w.pointer_bits(), w.interface_count() >= 0)",
    )
    assert out.split() == ["True", "64", "True"]
