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


@pytest.mark.parametrize(
    "args",
    [
        ["-c", "a.c", "-I/usr/include/libxml2"],
        ["-c", "a.c", "-I", "/usr/local/include"],
        ["-c", "a.c", "-isystem/usr/include"],
        ["-shared", "a.o", "-L/usr/lib/x86_64-linux-gnu", "-lxml2"],
        ["-shared", "a.o", "/usr/lib/x86_64-linux-gnu/libxml2.so"],
        ["-shared", "a.o", "/usr/lib/x86_64-linux-gnu/libxml2.so.2"],
        ["-shared", "a.o", "-Wl,-L/usr/lib/x86_64-linux-gnu"],
        ["-c", "a.c", "-iquote/usr/include"],
        ["-c", "a.c", "--sysroot=/"],
        ["-c", "a.c", "-I//usr/include/libxml2"],
        ["-c", "a.c", "-I../../../../../../../../../usr/include"],
        ["-shared", "a.o", "-L/usr/local/lib/python3.11/site-packages/numpy.libs"],
    ],
)
@pytest.mark.parametrize("target", ["win_amd64", "linux_aarch64", "linux_x86_64"])
def test_this_machines_system_directories_are_refused_for_every_target(args, target):
    config = WrapperConfig(
        ["zig", "cc"],
        target,
        *(CONFIG.stable_library, CONFIG.specific_library)[: 2 if target == "win_amd64" else 0],
    )
    with pytest.raises(ConfigError, match=rf"^the build asked for .*, this machine's .* for {target} "):
        final_arguments(args, config)


def test_msvc_spelled_host_directories_are_refused_after_translation():
    for args in (
        ["-c", "a.c", "/I", "/usr/include/libxml2"],
        ["-shared", "a.o", "-o", "m.pyd", "/LIBPATH:/usr/lib"],
    ):
        with pytest.raises(ConfigError, match=r"^the build asked for /usr/"):
            final_arguments(args, CONFIG)


def test_python_headers_and_private_directories_pass():
    args = ["-I/usr/include/python3.11", "-I/tmp/sdk/include", "-I/root/.cache/x/include", "-c", "a.c",
            "-I/usr/local/lib/python3.11/site-packages/numpy/_core/include",
            "-I/usr/lib/python3/dist-packages/pybind11/include"]  # fmt: skip
    assert final_arguments(args, WrapperConfig(["zig", "cc"], "linux_aarch64")) == args
