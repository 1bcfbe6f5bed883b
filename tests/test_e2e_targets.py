"""One wheel for every target. Run where something here can run it: linux_x86_64 (this host),
linux_aarch64 (Debian's arm64 CPython under qemu-user), win_amd64 (python.org CPython under Wine).
musllinux, win_arm64, win32 and macOS cannot be run here: their payloads are checked for structure only
(format, architecture, exports, what they link, recorded floor). Those checks are not runs."""

from pathlib import Path

import pytest
from conftest import ALL_TARGETS, install_into, run_on_path
from qemupython import Arm64Python
from winepython import WindowsPython

from fatpack.binaries import inspect_binary
from runtime_loader.loader import parse_manifest

pytestmark = pytest.mark.compile

PROBE = "import hello, hello._core as c; print(hello.add(40, 2), hello.median([5, 1, 4]), hello.sizeof_long(), hello.built_for()); print(c.__file__)"
UCRT_AND_SYSTEM = ("api-ms-win-crt-", "kernel32.dll")


@pytest.fixture(scope="module")
def unpacked(hello_all_targets_wheel, tmp_path_factory) -> Path:
    """The wheel installed (pip install --target) into a directory any interpreter can put on sys.path."""
    target = tmp_path_factory.mktemp("all-targets-site")
    install_into(hello_all_targets_wheel, target)
    return target


@pytest.fixture(scope="module")
def manifest(unpacked):
    return {e.target: e for e in parse_manifest((unpacked / "hello/_fatpack/manifest.tsv").read_text())}


def payload(unpacked, manifest, target) -> Path:
    return unpacked / "hello" / "_fatpack" / manifest[target].file


def test_one_wheel_carries_every_target(manifest):
    assert sorted(manifest) == sorted(ALL_TARGETS)


def test_linux_x86_64_runs_here(unpacked):
    proc = run_on_path(unpacked, PROBE)
    assert proc.returncode == 0, proc.stderr
    values, file = proc.stdout.splitlines()
    assert values == "42 4 8 linux" and file.endswith("/linux_x86_64/hello._core.abi3.so")


@pytest.mark.qemu
def test_linux_aarch64_runs_under_qemu(unpacked, manifest):
    proc = Arm64Python().run(
        PROBE + "; import platform; print(platform.machine(), sys.version.split()[0])", unpacked
    )
    assert proc.returncode == 0, proc.stderr
    values, file, machine = proc.stdout.splitlines()
    assert values == "42 4 8 linux"
    assert file.endswith("/linux_aarch64/hello._core.abi3.so")
    assert machine.startswith("aarch64 3.")
    assert manifest["linux_aarch64"].requires == ("glibc", (2, 17))


@pytest.mark.wine
def test_win_amd64_runs_under_wine_from_the_same_wheel(hello_all_targets_wheel, tmp_path):
    python = WindowsPython("3.13", tmp_path / "py")
    python.pip_install(hello_all_targets_wheel)
    values, file = python.check("-c", PROBE).splitlines()
    assert values == "42 4 4 windows"
    assert file.endswith(r"\hello\_fatpack\win_amd64\hello._core.abi3.pyd")


@pytest.mark.parametrize(("target", "arch"), [("linux_x86_64", "x86_64"), ("linux_aarch64", "aarch64")])
def test_structure_manylinux(unpacked, manifest, target, arch):
    info = inspect_binary(payload(unpacked, manifest, target))
    assert (info.format, info.archs) == ("ELF", (arch,))
    assert "PyInit__core" in info.exports
    assert set(info.needed) <= {"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2"}
    assert info.glibc is not None and info.glibc <= (2, 17)
    assert manifest[target].requires == ("glibc", info.glibc)


@pytest.mark.parametrize(
    ("target", "arch"), [("musllinux_x86_64", "x86_64"), ("musllinux_aarch64", "aarch64")]
)
def test_structure_musllinux_not_run(unpacked, manifest, target, arch):
    info = inspect_binary(payload(unpacked, manifest, target))
    assert (info.format, info.archs) == ("ELF", (arch,))
    assert "PyInit__core" in info.exports
    assert info.needed == ("libc.so",) and info.glibc is None  # musl's libc, no glibc symbol versions


@pytest.mark.parametrize(
    ("target", "arch"), [("win_amd64", "x86_64"), ("win_arm64", "aarch64"), ("win32", "x86")]
)
def test_structure_windows(unpacked, manifest, target, arch):
    info = inspect_binary(payload(unpacked, manifest, target))
    assert (info.format, info.archs) == ("PE", (arch,))
    assert info.exports == ("PyInit__core",)
    imported = {d.lower() for d in info.needed}
    assert "python3.dll" in imported and "msvcrt.dll" not in imported
    assert all(d == "python3.dll" or d.startswith(UCRT_AND_SYSTEM) for d in imported), imported


@pytest.mark.parametrize(
    ("target", "archs", "macos"),
    [
        ("macosx_x86_64", ("x86_64",), (10, 9)),
        ("macosx_arm64", ("aarch64",), (11, 0)),
        ("macosx_universal2", ("x86_64", "aarch64"), (11, 0)),
    ],
)
def test_structure_macos_not_run(unpacked, manifest, target, archs, macos):
    info = inspect_binary(payload(unpacked, manifest, target))
    assert (info.format, info.archs, info.macos) == ("Mach-O", archs, macos)
    assert "PyInit__core" in info.exports
    assert info.needed == (
        "/usr/lib/libSystem.B.dylib",
    )  # Python's API is looked up at load time, not linked
    assert manifest[target].requires == ("macos", macos)
