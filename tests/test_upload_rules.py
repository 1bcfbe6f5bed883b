"""`fatpack verify` refuses what PyPI refuses on upload, naming the rule, and checks every native binary
in an artifact (sniffed by content), not only the manifest's payloads."""

from __future__ import annotations

import io
import random
import warnings
import zipfile
from pathlib import Path
from typing import Optional

import pytest

from fatpack.assembler import ReproducibleWheelFile
from fatpack.upload_rules import platform_allowed
from fatpack.verify import verify_artifact

LINUX_PAYLOAD = "hello/_fatpack/linux_x86_64/hello._core.abi3.so"


def members_of(wheel: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(wheel) as zf:
        return [(info, zf.read(info)) for info in zf.infolist()]


def problems(path: Path) -> set[tuple[str, str]]:
    return {(p.member, p.check) for p in verify_artifact(path).problems}


def rewritten(wheel: Path, dest: Path, extra: Optional[dict[str, bytes]] = None) -> Path:
    """The wheel's members plus `extra`, RECORD written afresh (so RECORD itself is right)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with ReproducibleWheelFile(dest, "w") as out:
        for info, data in members_of(wheel):
            if not info.filename.endswith("/RECORD"):
                out.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            out.writestr(name, data)
    return dest


def test_the_wheel_fatpack_writes_passes(hello_wheel):
    assert problems(hello_wheel) == set()


def test_duplicate_member_names(hello_wheel, tmp_path):
    dest = tmp_path / hello_wheel.name
    dest.write_bytes(hello_wheel.read_bytes())
    init = dict((i.filename, d) for i, d in members_of(hello_wheel))["hello/__init__.py"]
    with warnings.catch_warnings(), zipfile.ZipFile(dest, "a") as zf:
        warnings.simplefilter("ignore")  # zipfile's own "Duplicate name" warning
        zf.writestr("hello/__init__.py", init)
    assert ("hello/__init__.py", "zip-duplicate") in problems(dest)


class Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes every member with a data descriptor."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        return self.buffer.write(data)


def test_data_descriptors(hello_wheel, tmp_path):
    stream = Unseekable()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members_of(hello_wheel):
            zf.writestr(info.filename, data)
    dest = tmp_path / hello_wheel.name
    dest.write_bytes(stream.buffer.getvalue())
    found = problems(dest)
    assert {rule for _, rule in found} == {"zip-data-descriptor"}
    assert (LINUX_PAYLOAD, "zip-data-descriptor") in found


def test_compression_other_than_stored_or_deflate(hello_wheel, tmp_path):
    dest = tmp_path / hello_wheel.name
    with zipfile.ZipFile(dest, "w") as zf:
        for info, data in members_of(hello_wheel):
            zf.writestr(info.filename, data, zipfile.ZIP_BZIP2 if info.filename == LINUX_PAYLOAD else None)
    assert problems(dest) == {(LINUX_PAYLOAD, "zip-compression")}


def test_local_header_disagreeing_with_the_central_directory(hello_wheel, tmp_path):
    data = bytearray(hello_wheel.read_bytes())
    with zipfile.ZipFile(hello_wheel) as zf:
        offset = zf.getinfo("hello/__init__.py").header_offset
    data[offset + 14] ^= 0xFF  # the local header's copy of the CRC (zipfile itself reads the central one)
    dest = tmp_path / hello_wheel.name
    dest.write_bytes(bytes(data))
    assert problems(dest) == {("hello/__init__.py", "zip-local-header")}


def test_trailing_data(hello_wheel, tmp_path):
    dest = tmp_path / hello_wheel.name
    dest.write_bytes(hello_wheel.read_bytes() + b"appended by something")
    assert problems(dest) == {("(zip)", "zip-trailing-data")}


def test_compression_ratio(hello_wheel, tmp_path):
    bomb = rewritten(hello_wheel, tmp_path / hello_wheel.name, {"hello/zeros.bin": bytes(65 * 1024 * 1024)})
    assert problems(bomb) == {("(zip)", "zip-ratio")}


def test_compression_ratio_is_the_whole_archives(hello_wheel, tmp_path):
    """PyPI sums every member's size and divides by the archive's: 65 members of 1 MiB of zeros are
    refused although none is over 64 MiB; one 65 MiB member of zeros beside 2 MiB that does not
    compress (the archive inflates about 32 times) is accepted."""
    zeros = {f"hello/data/{n}.bin": bytes(1024 * 1024) for n in range(65)}
    many = rewritten(hello_wheel, tmp_path / "many" / hello_wheel.name, zeros)
    assert problems(many) == {("(zip)", "zip-ratio")}
    mixed = {
        "hello/zeros.bin": bytes(65 * 1024 * 1024),
        "hello/noise.bin": random.Random(1).randbytes(2 << 20),
    }
    assert problems(rewritten(hello_wheel, tmp_path / "mixed" / hello_wheel.name, mixed)) == set()


@pytest.mark.parametrize("name", ["hello/tab\tname.txt", "hello/ctl\x01.txt", "hello/del\x7f.txt"])
def test_a_control_character_in_a_member_name(hello_wheel, tmp_path, name):
    dest = rewritten(hello_wheel, tmp_path / hello_wheel.name, {name: b"x"})
    assert problems(dest) == {(name, "zip-name-character")}


@pytest.mark.compile
def test_a_project_file_with_a_tab_in_its_name_is_not_shipped_to_be_refused(example_copy, tmp_path):
    """fatpack ships every file under a package: assembling must fail verification, naming the member,
    rather than write a wheel PyPI refuses ("Invalid character in filename")."""
    from fatpack.errors import ArtifactError
    from fatpack.pipeline import Options, assemble
    from fatpack.targets import TARGETS

    (example_copy / "src/hello/a\tb.txt").write_text("x")
    options = Options(example_copy, tmp_path / "dist", targets=[TARGETS["linux_x86_64"]], cache_dir=None)
    with pytest.raises(ArtifactError, match=r"hello/a\tb.txt.*control character"):
        assemble(options)
    assert not (tmp_path / "dist").exists()


def test_a_member_comment(hello_wheel, tmp_path):
    dest = tmp_path / hello_wheel.name
    with ReproducibleWheelFile(dest, "w") as out:
        for info, data in members_of(hello_wheel):
            if info.filename.endswith("/__init__.py") and info.filename.count("/") == 1:
                info.comment = b"hello"
            if not info.filename.endswith("/RECORD"):
                out.writestr(info, data)
    assert problems(dest) == {("hello/__init__.py", "zip-comment")}


def test_a_platform_tag_pypi_refuses(hello_wheel, tmp_path):
    dest = tmp_path / "hello-1.0-py3-none-linux_x86_64.whl"
    dest.write_bytes(hello_wheel.read_bytes())
    assert problems(dest) == {("(file name)", "platform-tag")}


@pytest.mark.parametrize(
    ("platform", "allowed"),
    [
        ("any", True),
        ("win_amd64", True),
        ("manylinux_2_17_x86_64", True),
        ("musllinux_1_2_aarch64", True),
        ("macosx_11_0_arm64", True),
        ("macosx_10_9_universal2", True),
        ("linux_x86_64", False),
        ("musllinux_1_2_ppc64", False),
        ("macosx_11_0_sparc", False),
        ("win_sparc", False),
    ],
)
def test_platform_tags_pypi_accepts(platform, allowed):
    assert platform_allowed(platform) is allowed


def test_a_wheel_without_record(hello_wheel, tmp_path):
    dest = tmp_path / hello_wheel.name
    with zipfile.ZipFile(dest, "w") as zf:
        for info, data in members_of(hello_wheel):
            if not info.filename.endswith("/RECORD"):
                zf.writestr(info, data)
    assert problems(dest) == {("RECORD", "record")}


def test_an_extension_module_beside_its_stub_shadows_it(hello_wheel, tmp_path):
    payload = dict((i.filename, d) for i, d in members_of(hello_wheel))[LINUX_PAYLOAD]
    shadow = "hello/_core.cpython-311-x86_64-linux-gnu.so"
    dest = rewritten(hello_wheel, tmp_path / hello_wheel.name, {shadow: payload})
    (problem,) = verify_artifact(dest).problems
    assert (problem.member, problem.check) == (shadow, "shadow")
    assert "beside the stub hello/_core.py" in problem.message


def test_every_native_binary_is_found_by_content(hello_wheel, tmp_path):
    by_name = dict((i.filename, d) for i, d in members_of(hello_wheel))
    extra = {
        "hello/bin/tool": by_name[LINUX_PAYLOAD],  # an ELF with no telling name
        "hello/helper.dat": by_name["hello/_fatpack/win_amd64/hello._core.abi3.pyd"],  # a PE
        "hello/notes.txt": b"MZ is how this note starts; it is no binary",
    }
    dest = rewritten(hello_wheel, tmp_path / hello_wheel.name, extra)
    assert problems(dest) == {("hello/bin/tool", "unlisted"), ("hello/helper.dat", "unlisted")}


@pytest.mark.compile
def test_a_package_listed_with_its_subpackage_gives_an_uploadable_wheel(make_project, tmp_path):
    from conftest import MINIMAL_C

    from fatpack.pipeline import Options, assemble

    root = make_project(
        tool='targets = ["linux_x86_64"]\npackages = ["pkg", "pkg.sub"]\npackage-dir = "."\n'
        '[[tool.fatpack.extension]]\nname = "pkg._x"\nsources = ["pkg/_x.c"]\n',
        files={"pkg/__init__.py": "", "pkg/sub/__init__.py": "", "pkg/_x.c": MINIMAL_C % {"base": "_x"}},
    )
    wheel = assemble(Options(root, tmp_path / "out"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert len(names) == len(set(names)) and "pkg/sub/__init__.py" in names
    assert problems(wheel) == set()


def test_a_tag_line_that_is_no_tag_is_a_problem_not_a_crash(hello_wheel, tmp_path):
    wheel_file = "hello-1.0.dist-info/WHEEL"
    by_name = dict((i.filename, d) for i, d in members_of(hello_wheel))
    dest = tmp_path / "in" / hello_wheel.name
    dest.parent.mkdir()
    with ReproducibleWheelFile(dest, "w") as out:
        for name, data in by_name.items():
            if not name.endswith("/RECORD"):
                out.writestr(
                    name, b"Wheel-Version: 1.0\nTag: a-b-c-d\nTag: garbage\n" if name == wheel_file else data
                )
    found = [p for p in verify_artifact(dest).problems]
    assert [(p.member, p.check, p.message) for p in found] == [
        (wheel_file, "wheel", "'Tag: a-b-c-d' is not a wheel tag"),
        (wheel_file, "wheel", "'Tag: garbage' is not a wheel tag"),
    ]


def test_a_wheel_with_binaries_that_says_it_is_pure(hello_wheel, tmp_path):
    by_name = dict((i.filename, d) for i, d in members_of(hello_wheel))
    wheel_file = "hello-1.0.dist-info/WHEEL"
    assert b"Root-Is-Purelib: false" in by_name[wheel_file]
    dest = tmp_path / "in" / hello_wheel.name
    dest.parent.mkdir()
    with ReproducibleWheelFile(dest, "w") as out:
        for name, data in by_name.items():
            if not name.endswith("/RECORD"):
                out.writestr(name, data.replace(b"Root-Is-Purelib: false", b"Root-Is-Purelib: true"))
    assert problems(dest) == {(wheel_file, "purelib")}
