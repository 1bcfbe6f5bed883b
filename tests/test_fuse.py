"""Fusing prebuilt per-platform wheels: the layout and checks on tiny wheels, then real PyPI wheels
(ujson: a top-level module and a DLL in .data/platlib; pyzmq: a subpackage module and an auditwheel
.libs directory) imported on this Linux CPython and on python.org CPython 3.11 under Wine."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import install_into, run_on_path
from fakewheels import demo_wheels, make_wheel, tiny_elf
from winepython import CACHE, WindowsPython

from fatpack.errors import ArtifactError
from fatpack.pipeline import fuse
from runtime_loader.loader import parse_manifest


def names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def read(wheel: Path, member: str) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(member)


def test_platform_files_keep_their_relative_layout_below_target_and_abi(tmp_path):
    (wheel,) = fuse(demo_wheels(tmp_path / "in"), tmp_path / "out", verify=False)
    assert wheel.name == "demo-1.0-py3-none-any.whl"
    members = names(wheel)
    assert {
        "demo/_fatpack/linux_x86_64/cp311/demo/_speed.cpython-311-x86_64-linux-gnu.so",
        "demo/_fatpack/linux_x86_64/cp311/demo.libs/libfoo-1a2b3c4d.so.1.0",  # $ORIGIN/../demo.libs
        "demo/_fatpack/win_amd64/cp311/demo/_speed.cp311-win_amd64.pyd",
        "demo/_fatpack/win_amd64/cp311/foo-5e6f.dll",  # .data/platlib/ is the install root
        "demo/_speed.py",
        "demo/_fatpack/__init__.py",
        "demo-1.0.dist-info/RECORD",
    } <= members
    assert not any(".data/" in m or m.startswith("demo.libs/") or "DELVEWHEEL" in m for m in members)
    rows = {
        (e.module, e.target, e.abi, e.python)
        for e in parse_manifest(read(wheel, "demo/_fatpack/manifest.tsv").decode())
    }
    assert rows == {
        ("demo._speed", "linux_x86_64", "cp311", (3, 11)),
        ("demo._speed", "win_amd64", "cp311", (3, 11)),
        ("lib:libfoo-1a2b3c4d.so.1.0", "linux_x86_64", "library", (3, 0)),
        ("lib:foo-5e6f.dll", "win_amd64", "library", (3, 0)),
    }


def test_an_unversioned_library_beside_an_extension_is_a_library_not_a_module(tmp_path):
    """`demo/libbar.so` (a library recorded without SONAME, bundled beside the extension that links it)
    is named like an extension module `demo.libbar`, but exports no PyInit_libbar: a library row."""
    paths = demo_wheels(tmp_path / "in")
    linux = next(p for p in paths if "linux" in p.name)
    with zipfile.ZipFile(linux, "a") as archive:
        archive.writestr("demo/libbar.so", tiny_elf())
    (wheel,) = fuse(paths, tmp_path / "out", verify=False)
    rows = {(e.module, e.abi) for e in parse_manifest(read(wheel, "demo/_fatpack/manifest.tsv").decode())}
    assert ("lib:libbar.so", "library") in rows and not any(m == "demo.libbar" for m, _ in rows)
    assert "demo/_fatpack/linux_x86_64/cp311/demo/libbar.so" in names(wheel)


def test_delvewheel_patches_are_dropped_and_line_endings_do_not_count(tmp_path):
    (wheel,) = fuse(demo_wheels(tmp_path / "in"), tmp_path / "out", verify=False)
    assert read(wheel, "demo/__init__.py") == b'"""Demo."""\nfrom demo._speed import add\n'
    assert "demo-stubs/__init__.py" not in names(wheel)  # delvewheel made it only to hold its patch


def test_typing_stub_generated_unless_the_wheels_ship_one(tmp_path):
    (wheel,) = fuse(demo_wheels(tmp_path / "in"), tmp_path / "out", verify=False)
    assert read(wheel, "demo/_speed.pyi").endswith(b"def __getattr__(name: str) -> Any: ...\n")
    own = b"def add(a: int, b: int) -> int: ...\n"
    inputs = []
    for path in demo_wheels(tmp_path / "in2"):
        with zipfile.ZipFile(path) as archive:
            files = {n: archive.read(n) for n in archive.namelist() if ".dist-info/" not in n}
        inputs.append(make_wheel(tmp_path / "typed", path.name, {**files, "demo/_speed.pyi": own}))
    (typed,) = fuse(inputs, tmp_path / "out2", verify=False)
    assert read(typed, "demo/_speed.pyi") == own


def test_a_differing_pure_file_is_named(tmp_path):
    linux, _ = demo_wheels(tmp_path / "in")
    other = make_wheel(
        tmp_path / "in2",
        "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
        {
            "demo/__init__.py": b"different\n",
            "demo/util.py": b"X = 1\n",
            "demo/_speed.cpython-312-x86_64-linux-gnu.so": tiny_elf(),
        },
    )
    with pytest.raises(
        ArtifactError, match=r"^demo/__init__.py differs between demo-1.0-cp311-cp311-manylinux"
    ):
        fuse([linux, other], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_wheel_fatpack_made_is_named_as_such_not_as_holding_no_extension(tmp_path):
    # `fatpack assemble dist/*.whl` after an assemble: its fat wheel carries its binaries under the
    # loader package, so it was refused as "the wheels hold no extension module"
    fat = make_wheel(
        tmp_path / "in",
        "demo-1.0-py3-none-any.whl",
        {
            "demo/__init__.py": b"",
            "demo/_speed.py": b"from demo._fatpack import load_extension\nload_extension(__name__)\n",
            "demo/_fatpack/__init__.py": b"",
            "demo/_fatpack/manifest.tsv": b"module\ttarget\tabi\tpython\trequires\tfile\tsha256\n",
            "demo/_fatpack/linux_x86_64/demo._speed.abi3.so": tiny_elf(),
        },
    )
    with pytest.raises(ArtifactError) as raised:
        fuse([fat], tmp_path / "out")
    assert str(raised.value) == (
        "demo-1.0-py3-none-any.whl was made by fatpack (it carries demo/_fatpack/manifest.tsv): "
        "fuse the per-platform wheels it came from, or use it as it is"
    )
    assert not (tmp_path / "out").exists()


def test_tags_platforms_and_thin_wheels(tmp_path):
    out = tmp_path / "out"
    fat, *thin = fuse(demo_wheels(tmp_path / "in"), out, tags="platforms", thin=True, verify=False)
    assert fat.name == "demo-1.0-py3-none-manylinux_2_17_x86_64.win_amd64.whl"
    assert sorted(p.name for p in thin) == [
        "demo-1.0-py3-none-manylinux_2_17_x86_64.whl",
        "demo-1.0-py3-none-win_amd64.whl",
    ]
    wheel_file = read(fat, "demo-1.0.dist-info/WHEEL").decode()
    assert "Tag: py3-none-manylinux_2_17_x86_64\nTag: py3-none-win_amd64\n" in wheel_file
    linux_only = next(p for p in thin if "manylinux" in p.name)
    assert not any("win_amd64" in m for m in names(linux_only))


# --- real wheels from PyPI -------------------------------------------------------------------------

REAL = {
    # requirement: code that imports and calls it, printing one line
    "ujson==6.1.0": "import ujson; print(ujson.dumps({'a': [1, 2]}), ujson.loads('[3]'), ujson.__file__)",
    "pyzmq==26.4.0": (
        "import zmq; c = zmq.Context(); a = c.socket(zmq.PAIR); a.bind('inproc://x'); "
        "b = c.socket(zmq.PAIR); b.connect('inproc://x'); a.send(b'hi'); "
        "print(zmq.zmq_version(), b.recv(), zmq.backend.cython._zmq.__file__)"
    ),
}


def download(requirement: str, platform: str) -> Path:
    """pip download --only-binary :all: --platform P --python-version 3.11 (cached in the test cache)."""
    dest = CACHE / "fuse" / requirement / platform
    found = sorted(dest.glob("*.whl"))
    if not found:
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:"]
        command += ["--platform", platform, "--python-version", "3.11", requirement, "-d", str(dest)]
        subprocess.run(command, check=True)
        found = sorted(dest.glob("*.whl"))
    return found[0]


@pytest.fixture(scope="module", params=sorted(REAL))
def real_fused(request, tmp_path_factory) -> tuple[str, Path]:
    requirement = request.param
    wheels = [download(requirement, "manylinux_2_17_x86_64"), download(requirement, "win_amd64")]
    (fused,) = fuse(wheels, tmp_path_factory.mktemp("fused"))
    return requirement, fused


@pytest.mark.network  # fuses wheels downloaded from PyPI; compiles nothing
@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="the downloaded Linux wheels are cp311")
def test_real_fused_wheel_imports_on_linux(real_fused, tmp_path):
    requirement, wheel = real_fused
    site = install_into(wheel, tmp_path / "site")
    proc = run_on_path(site, REAL[requirement])
    assert proc.returncode == 0, proc.stderr
    assert "/_fatpack" in proc.stdout and "/linux_x86_64/cp311/" in proc.stdout
    assert ('{"a":[1,2]} [3]' if requirement.startswith("ujson") else "4.3.5 b'hi'") in proc.stdout


@pytest.mark.network  # fuses wheels downloaded from PyPI; compiles nothing
@pytest.mark.wine
def test_real_fused_wheel_imports_on_windows_python_311(real_fused, tmp_path):
    requirement, wheel = real_fused
    python = WindowsPython("3.11", tmp_path / "py311")
    python.pip_install(wheel)
    out = python.check("-c", REAL[requirement])
    assert "\\win_amd64\\cp311\\" in out
    assert ('{"a":[1,2]} [3]' if requirement.startswith("ujson") else "b'hi'") in out


def test_two_abi3_floors_of_one_platform_each_keep_their_binary(tmp_path):
    """cp38-abi3 and cp311-abi3 wheels for one platform hold two different binaries of one name: each
    floor gets its own directory, row and sha256."""
    pure = {"demo/__init__.py": b""}
    wheels = [
        make_wheel(
            tmp_path / "in",
            f"demo-1.0-cp3{minor}-abi3-manylinux_2_17_x86_64.whl",
            {**pure, "demo/_speed.abi3.so": tiny_elf() + bytes([minor])},
        )
        for minor in (8, 11)
    ]
    (wheel,) = fuse(wheels, tmp_path / "out", verify=False)
    rows = parse_manifest(read(wheel, "demo/_fatpack/manifest.tsv").decode())
    assert sorted((e.python, e.file) for e in rows) == [
        ((3, 8), "linux_x86_64/abi3/demo/_speed.abi3.so"),
        ((3, 11), "linux_x86_64/cp311-abi3/demo/_speed.abi3.so"),
    ]
    assert read(wheel, "demo/_fatpack/linux_x86_64/cp311-abi3/demo/_speed.abi3.so")[-1] == 11
    assert len({e.sha256 for e in rows}) == 2


@pytest.mark.network  # fuses wheels downloaded from PyPI; compiles nothing
@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="the downloaded Linux wheels are cp311")
def test_real_fused_wheel_imports_from_a_zip(real_fused, tmp_path):
    """The fat wheel itself on sys.path: pyzmq's RUNPATH $ORIGIN/../../../pyzmq.libs must still resolve
    in the extraction cache."""
    requirement, wheel = real_fused
    code = f"import sys; sys.path.insert(0, {str(wheel)!r}); {REAL[requirement]}"
    env = {"PATH": "/usr/bin:/bin", "FATPACK_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert str(tmp_path / "cache") in proc.stdout and "/linux_x86_64/cp311/" in proc.stdout
    assert ('{"a":[1,2]} [3]' if requirement.startswith("ujson") else "4.3.5 b'hi'") in proc.stdout
