"""fatpack verify catches what each platform's own tool would: binaries compiled here with the host's gcc
and Debian's mingw-w64 gcc, each wrong in one way, wrapped in per-platform wheels and fused."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from fakewheels import make_wheel

from fatpack.errors import ArtifactError
from fatpack.pipeline import fuse
from fatpack.verify import verify_artifact

INIT = '__attribute__((visibility("default"))) void *PyInit__core(void) { return %s; }\n'
WINDOWS_INIT = "__declspec(dllexport) void *PyInit__core(void) { return 0; }\n"


def compile_shared(compiler: str, source: str, out: Path, *flags: str) -> bytes:
    if shutil.which(compiler) is None:
        pytest.fail(f"{compiler} is not installed: run tests/run.sh, which installs it")
    (out.parent / "src.c").write_text(source)
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-O1", "-o", str(out), str(out.parent / "src.c"), *flags], check=True
    )
    return out.read_bytes()


def fused_problems(tmp_path: Path, filename: str, member: str, binary: bytes) -> list[tuple[str, str]]:
    wheel = make_wheel(tmp_path / "in", filename, {"demo/__init__.py": b"", member: binary})
    (fat,) = fuse([wheel], tmp_path / "out", verify=False)
    return [(p.check, p.message) for p in verify_artifact(fat).problems]


@pytest.mark.mingw
def test_msvcrt_is_refused_for_windows(tmp_path):
    pyd = compile_shared("x86_64-w64-mingw32-gcc", WINDOWS_INIT, tmp_path / "x.pyd")  # mingw's default CRT
    problems = fused_problems(tmp_path, "demo-1.0-cp38-abi3-win_amd64.whl", "demo/_core.pyd", pyd)
    assert ("crt", "links msvcrt.dll: the C runtime must be the UCRT only") in problems


@pytest.mark.compile
def test_a_linux_library_outside_the_manylinux_policy(tmp_path):
    # zlib's runtime library is on every Debian system (no -dev package needed for -l:libz.so.1)
    source = "extern const char *zlibVersion(void);\n" + INIT % "(void *)zlibVersion()"
    so = compile_shared("gcc", source, tmp_path / "x.so", "-l:libz.so.1")
    problems = fused_problems(
        tmp_path,
        "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        "demo/_core.cpython-311-x86_64-linux-gnu.so",
        so,
    )
    assert ("needed", "needs libz.so.1, which is neither in the manylinux policy nor bundled") in problems


@pytest.mark.compile
def test_abi3_payload_using_a_private_symbol(tmp_path):
    source = "extern int _PyLong_Sign(void *);\n" + INIT % "(void *)(long)_PyLong_Sign(0)"
    so = compile_shared("gcc", source, tmp_path / "x.so")
    problems = fused_problems(
        tmp_path, "demo-1.0-cp38-abi3-manylinux_2_17_x86_64.whl", "demo/_core.abi3.so", so
    )
    assert problems == [("abi3", "abi3 payload uses _PyLong_Sign, outside the stable ABI")]


@pytest.mark.compile
def test_an_extension_without_its_init_function(tmp_path):
    so = compile_shared("gcc", "int helper(void) { return 1; }\n", tmp_path / "x.so")
    problems = fused_problems(
        tmp_path,
        "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        "demo/_core.cpython-311-x86_64-linux-gnu.so",
        so,
    )
    assert problems == [("init", "does not export PyInit__core: not the extension module it claims")]


@pytest.mark.mingw
def test_fusing_refuses_what_verify_finds_and_writes_nothing(tmp_path):
    pyd = compile_shared("x86_64-w64-mingw32-gcc", WINDOWS_INIT, tmp_path / "x.pyd")
    wheel = make_wheel(
        tmp_path / "in", "demo-1.0-cp38-abi3-win_amd64.whl", {"demo/__init__.py": b"", "demo/_core.pyd": pyd}
    )
    with pytest.raises(
        ArtifactError, match=r"^demo-1.0-py3-none-any.whl failed verification, not written: .*msvcrt.dll"
    ):
        fuse([wheel], tmp_path / "out")
    assert not (tmp_path / "out").exists()  # as it was: the directory made for this run is gone again
