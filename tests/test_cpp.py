"""A C++ extension: exceptions thrown and caught inside, another turned into a Python ValueError, the
standard library used; zig links LLVM's libc++, libc++abi and libunwind statically, so no C++ runtime
DLL or .so ships or is needed."""

import shutil

import pytest
from conftest import REPO, install_into, run_on_path
from winepython import WindowsPython

from fatpack.binaries import inspect_binary

pytestmark = pytest.mark.compile

PROBE = """
import cppdemo._native as n
print(n.sum_skipping_negatives([1, -2, 3, -4, 5]), n.word_histogram("a b a c a"))
try:
    n.strict_sum([1, -7])
except ValueError as e:
    print("ValueError:", e)
print(n.__file__)
"""
EXPECTED = ["(9, 2) {'a': 3, 'b': 1, 'c': 1}", "ValueError: negative value -7"]


@pytest.fixture(scope="module")
def cpp_site(tmp_path_factory):
    from fatpack.pipeline import Options, assemble

    work = tmp_path_factory.mktemp("cpp")
    shutil.copytree(REPO / "tests" / "projects" / "cppdemo", work / "cppdemo")
    wheel = assemble(Options(project_dir=work / "cppdemo", out_dir=work / "dist"))
    site = work / "site"
    install_into(wheel, site)
    return wheel, site


def test_cpp_on_linux(cpp_site):
    _, site = cpp_site
    proc = run_on_path(site, PROBE)
    assert proc.returncode == 0, proc.stderr
    *values, file = proc.stdout.splitlines()
    assert values == EXPECTED and file.endswith("/linux_x86_64/cppdemo._native.abi3.so")


@pytest.mark.wine
def test_cpp_on_windows(cpp_site, tmp_path):
    wheel, _ = cpp_site
    python = WindowsPython("3.11", tmp_path / "py")
    python.pip_install(wheel)
    *values, file = python.check("-c", PROBE).splitlines()
    assert values == EXPECTED and file.endswith("\\win_amd64\\cppdemo._native.abi3.pyd")


def test_no_cpp_runtime_is_needed(cpp_site):
    _, site = cpp_site
    payloads = site / "cppdemo" / "_fatpack"
    linux = inspect_binary(payloads / "linux_x86_64" / "cppdemo._native.abi3.so")
    windows = inspect_binary(payloads / "win_amd64" / "cppdemo._native.abi3.pyd")
    assert set(linux.needed) <= {
        "libc.so.6",
        "libm.so.6",
        "libpthread.so.0",
        "libdl.so.2",
        "ld-linux-x86-64.so.2",
    }
    assert not any("stdc++" in n or "c++" in n or "gcc_s" in n for n in linux.needed)
    imported = {d.lower() for d in windows.needed}
    assert all(
        d == "python3.dll" or d == "kernel32.dll" or d.startswith("api-ms-win-crt-") for d in imported
    ), imported
