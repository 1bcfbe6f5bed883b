"""The Windows compiler wrapper of the cross build (fatpack/cross_compiler.py)."""

import pytest

from fatpack.cross_compiler import WrapperConfig, final_arguments
from fatpack.errors import ConfigError

CONFIG = WrapperConfig(["zig", "cc"], "win_amd64", "/sdk/libpython3.a", "/sdk/libpython311.a")


def test_compile_translates_msvc_options_in_place_and_keeps_paths_and_values():
    args = [
        "-O2",
        "-I",
        "/src",
        "-c",
        "a.cpp",
        "-o",
        "/obj",
        "/std:c++17",
        "/D",
        "X=1",
        "/EHsc",
        "/usr/include",
    ]
    assert final_arguments(args, CONFIG) == [
        "-O2", "-I", "/src", "-c", "a.cpp", "-o", "/obj", "-std=c++17", "-D", "X=1", "/usr/include",
    ]  # fmt: skip


def test_link_translates_libraries_and_adds_the_version_specific_python_library():
    args = ["-shared", "a.o", "-lAdvapi32", "-o", "build/m.cp311-win_amd64.pyd", "/DEBUG", "Shell32.lib"]
    assert final_arguments(args, CONFIG) == [
        "-shared", "a.o", "-ladvapi32", "-o", "build/m.cp311-win_amd64.pyd", "-lshell32", "/sdk/libpython311.a",
    ]  # fmt: skip


def test_limited_api_module_links_python3_dll():
    assert final_arguments(["-shared", "a.o", "-o", "m.pyd"], CONFIG)[-1] == "/sdk/libpython3.a"


def test_compiling_adds_no_library():
    assert final_arguments(["-c", "a.c", "-o", "a.o"], CONFIG) == ["-c", "a.c", "-o", "a.o"]


def test_untranslatable_option_is_named():
    with pytest.raises(ConfigError, match="/openmp"):
        final_arguments(["-c", "a.c", "/openmp"], CONFIG)
