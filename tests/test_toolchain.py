"""fatpack/toolchain.py: a target's cross toolchain as wrappers, a CMake toolchain file and a meson
cross file."""

from __future__ import annotations

import configparser
import os
import shutil
from pathlib import Path

import pytest

from fatpack.binaries import binary_format
from fatpack.errors import ConfigError
from fatpack.runner import run_command
from fatpack.targets import TARGETS
from fatpack.toolchain import Toolchain, host_triple, toolchain_for


def cmake_settings(toolchain: Toolchain) -> dict[str, str]:
    """The toolchain file's top-level `set(NAME VALUE ...)` lines."""
    settings = {}
    for line in toolchain.cmake_toolchain_file.read_text().splitlines():
        if line.startswith("set("):
            name, value = line[4:].split(" ", 1)
            settings[name] = value.split(" CACHE ")[0].rstrip(")").strip('"')
    return settings


@pytest.mark.parametrize(
    ("target", "system", "processor"),
    [
        ("linux_x86_64", "Linux", "x86_64"),
        ("linux_aarch64", "Linux", "aarch64"),
        ("win_amd64", "Windows", "AMD64"),
        ("win_arm64", "Windows", "ARM64"),
        ("win32", "Windows", "x86"),
        ("macosx_arm64", "Darwin", "arm64"),
    ],
)
def test_cmake_toolchain_file_names_the_target_and_the_wrappers(tmp_path, target, system, processor):
    toolchain = toolchain_for(TARGETS[target], tmp_path)
    settings = cmake_settings(toolchain)
    assert settings["CMAKE_SYSTEM_NAME"] == system
    assert settings["CMAKE_SYSTEM_PROCESSOR"] == processor
    assert settings["CMAKE_C_COMPILER"] == str(toolchain.cc)
    assert settings["CMAKE_CXX_COMPILER"] == str(toolchain.cxx)
    assert settings["CMAKE_AR"] == str(toolchain.ar)
    assert settings["CMAKE_RANLIB"] == str(toolchain.ranlib)
    # host headers and libraries are never found; host programs are (they run here)
    assert settings["CMAKE_FIND_ROOT_PATH_MODE_LIBRARY"] == "ONLY"
    assert settings["CMAKE_FIND_ROOT_PATH_MODE_INCLUDE"] == "ONLY"
    assert settings["CMAKE_FIND_ROOT_PATH_MODE_PACKAGE"] == "ONLY"
    assert settings["CMAKE_FIND_ROOT_PATH_MODE_PROGRAM"] == "NEVER"
    text = toolchain.cmake_toolchain_file.read_text()
    assert "$ENV{FATPACK_PREFIX}" in text and str(toolchain.directory / "empty-root") in text
    assert (toolchain.directory / "empty-root").is_dir()


@pytest.mark.parametrize(
    ("target", "system", "family", "cpu"),
    [
        ("linux_x86_64", "linux", "x86_64", "x86_64"),
        ("musllinux_aarch64", "linux", "aarch64", "aarch64"),
        ("win_amd64", "windows", "x86_64", "x86_64"),
        ("win32", "windows", "x86", "i686"),
        ("macosx_x86_64", "darwin", "x86_64", "x86_64"),
    ],
)
def test_meson_cross_file_names_the_target_and_the_wrappers(tmp_path, target, system, family, cpu):
    toolchain = toolchain_for(TARGETS[target], tmp_path)
    cross = configparser.ConfigParser()
    cross.read(toolchain.meson_cross_file)
    assert dict(cross["host_machine"]) == {
        "system": f"'{system}'",
        "cpu_family": f"'{family}'",
        "cpu": f"'{cpu}'",
        "endian": "'little'",
    }
    assert cross["binaries"]["c"] == f"'{toolchain.cc}'"
    assert cross["binaries"]["cpp"] == f"'{toolchain.cxx}'"
    assert cross["binaries"]["ar"] == f"'{toolchain.ar}'"
    assert cross["binaries"]["strip"] == f"'{toolchain.strip}'"


def test_wrappers_run_zig_for_the_target_only(tmp_path):
    toolchain = toolchain_for(TARGETS["win_amd64"], tmp_path)
    cc = toolchain.cc.read_text()
    assert cc.startswith("#!/bin/sh\n")
    assert '-m ziglang cc -target x86_64-windows-gnu "$@"' in cc
    assert "-m ziglang c++ -target x86_64-windows-gnu" in toolchain.cxx.read_text()
    assert '-m ziglang ar "$@"' in toolchain.ar.read_text()
    assert toolchain.dlltool is not None and "-m ziglang dlltool" in toolchain.dlltool.read_text()
    for wrapper in (toolchain.cc, toolchain.cxx, toolchain.ar, toolchain.ranlib, toolchain.strip):
        assert wrapper.stat().st_mode & 0o111 == 0o111, wrapper
    assert toolchain_for(TARGETS["linux_x86_64"], tmp_path).dlltool is None


@pytest.mark.parametrize(
    ("target", "triple"),
    [
        ("linux_x86_64", "x86_64-linux-gnu"),
        ("linux_aarch64", "aarch64-linux-gnu"),
        ("musllinux_x86_64", "x86_64-linux-musl"),
        ("win_amd64", "x86_64-w64-mingw32"),
        ("win_arm64", "aarch64-w64-mingw32"),
        ("win32", "i686-w64-mingw32"),
        ("macosx_arm64", "aarch64-apple-darwin"),
    ],
)
def test_host_triple_is_the_gnu_name_autoconf_takes(target, triple):
    assert host_triple(TARGETS[target]) == triple


def test_env_gives_a_build_script_the_toolchain_and_the_prefix(tmp_path):
    toolchain = toolchain_for(TARGETS["linux_aarch64"], tmp_path / "tc")
    prefix = tmp_path / "prefix"
    env = toolchain.env(prefix)
    assert env["CC"] == str(toolchain.cc) and env["CXX"] == str(toolchain.cxx)
    assert env["AR"] == str(toolchain.ar) and env["RANLIB"] == str(toolchain.ranlib)
    assert env["FATPACK_TARGET"] == "linux_aarch64"
    assert env["FATPACK_HOST_TRIPLE"] == "aarch64-linux-gnu"
    assert env["FATPACK_PREFIX"] == str(prefix)
    assert env["CMAKE_TOOLCHAIN_FILE"] == str(toolchain.cmake_toolchain_file)
    assert env["FATPACK_MESON_CROSS_FILE"] == str(toolchain.meson_cross_file)
    assert env["CFLAGS"] == "-O2 -fPIC"  # static libraries get linked into extension modules
    assert env["CPPFLAGS"] == f"-I{prefix / 'include'}"
    assert env["LDFLAGS"] == f"-L{prefix / 'lib'}"
    assert env["PKG_CONFIG_LIBDIR"].split(":")[0] == str(prefix / "lib" / "pkgconfig")
    assert "-fPIC" not in toolchain_for(TARGETS["win_amd64"], tmp_path / "tc").env()["CFLAGS"]
    assert "FATPACK_PREFIX" not in toolchain.env()


def test_toolchain_directory_is_reused_and_written_whole(tmp_path):
    first = toolchain_for(TARGETS["win_amd64"], tmp_path)
    again = toolchain_for(TARGETS["win_amd64"], tmp_path)
    assert first == again
    other = toolchain_for(TARGETS["linux_x86_64"], tmp_path)
    assert other.directory != first.directory
    assert first.directory.name.startswith("win_amd64-zig")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.directory.name, other.directory.name])


def test_a_relative_root_still_gives_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    toolchain = toolchain_for(TARGETS["linux_x86_64"], Path("tc"))
    assert toolchain.cc.is_absolute()
    assert str(toolchain.cc) in toolchain.cmake_toolchain_file.read_text()


def test_a_merged_target_has_no_toolchain(tmp_path):
    with pytest.raises(ConfigError, match="macosx_universal2 has no toolchain of its own"):
        toolchain_for(TARGETS["macosx_universal2"], tmp_path)


@pytest.mark.compile
@pytest.mark.parametrize(("target", "fmt"), [("linux_x86_64", "ELF"), ("win_amd64", "PE")])
def test_cmake_builds_for_the_target_with_the_toolchain_file(tmp_path, target, fmt):
    """A CMake project configured with the toolchain file alone builds a shared library for the target,
    and find_library does not find the host's zlib."""
    if shutil.which("cmake") is None:
        pytest.skip("cmake is not installed")
    toolchain = toolchain_for(TARGETS[target], tmp_path / "tc")
    source = tmp_path / "src"
    source.mkdir()
    (source / "tiny.c").write_text("int tiny(int x) { return x + 1; }\n")
    (source / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.13)\nproject(tiny C)\nadd_library(tiny SHARED tiny.c)\n"
        'find_library(HOST_ZLIB z)\nfile(WRITE "${CMAKE_BINARY_DIR}/zlib.txt" "${HOST_ZLIB}")\n'
        "install(TARGETS tiny)\n"
    )
    build, prefix = tmp_path / "build", tmp_path / "prefix"
    run_command(
        ["cmake", "-S", str(source), "-B", str(build), f"-DCMAKE_TOOLCHAIN_FILE={toolchain.cmake_toolchain_file}",
         f"-DCMAKE_INSTALL_PREFIX={prefix}", "-DCMAKE_BUILD_TYPE=Release"]
    )  # fmt: skip
    run_command(["cmake", "--build", str(build)])
    run_command(["cmake", "--install", str(build)])
    assert (build / "zlib.txt").read_text() == "HOST_ZLIB-NOTFOUND"
    built = prefix / ("bin/libtiny.dll" if fmt == "PE" else "lib/libtiny.so")
    assert binary_format(built.read_bytes()[:4096]) == fmt


def meson_command() -> list[str]:
    """meson from the test extras (`pip install -e .[test]`), else one on PATH."""
    import importlib.util
    import sys

    if importlib.util.find_spec("mesonbuild") is not None:
        return [sys.executable, "-m", "mesonbuild.mesonmain"]
    found = shutil.which("meson")
    if found is None:
        pytest.skip("meson is not installed: pip install -e .[test]")
    return [found]


@pytest.mark.compile
@pytest.mark.parametrize(
    ("target", "fmt", "built"),
    [("linux_x86_64", "ELF", "lib/libtiny.so"), ("win_amd64", "PE", "bin/libtiny.dll")],
)
def test_meson_builds_for_the_target_with_the_cross_file(tmp_path, target, fmt, built):
    """A meson project set up with the cross file alone builds for the target; the host's zlib is not
    found (the environment a before-build gets confines pkg-config to the prefix)."""
    meson = meson_command()
    if shutil.which("ninja") is None:
        pytest.skip("ninja is not installed (Debian's ninja-build)")
    toolchain = toolchain_for(TARGETS[target], tmp_path / "tc")
    source = tmp_path / "src"
    source.mkdir()
    (source / "tiny.c").write_text("int tiny(int x) { return x + 1; }\n")
    (source / "meson.build").write_text(
        "project('tiny', 'c')\n"
        "assert(not dependency('zlib', required: false).found(), 'found the host zlib')\n"
        "shared_library('tiny', 'tiny.c', install: true)\n"
    )
    build, prefix = tmp_path / "build", tmp_path / "prefix"
    env = {**os.environ, **toolchain.env()}
    cross = ["--cross-file", str(toolchain.meson_cross_file), "--prefix", str(prefix), "--libdir", "lib"]
    run_command([*meson, "setup", *cross, str(build), str(source)], env=env)
    run_command([*meson, "install", "-C", str(build)], env=env)
    assert binary_format((prefix / built).read_bytes()[:4096]) == fmt
