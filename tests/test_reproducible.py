"""Two builds of one input are byte-identical, wherever they run and whatever the umask, file times and
owners: every zip member (RECORD too) and every sdist member gets one fixed timestamp, and fatpack
reads every sdist it writes."""

from __future__ import annotations

import os
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import EXAMPLE

from fatpack import backend
from fatpack.errors import ConfigError
from fatpack.pipeline import Options, assemble
from fatpack.reproducible import ZIP_EARLIEST, ZIP_LATEST, source_date_epoch
from fatpack.targets import parse_target

README = "# hello\n\nshared with the repository root through a symlink\n"


def write_project(dest: Path, umask: int, mtime: int) -> Path:
    """examples/hello written afresh (modes from `umask`, times `mtime`), its README a symlink."""
    old = os.umask(umask)
    try:
        for source in sorted(EXAMPLE.rglob("*")):
            if source.is_file() and "__pycache__" not in source.parts and "dist" not in source.parts:
                target = dest / source.relative_to(EXAMPLE)
                target.parent.mkdir(parents=True, exist_ok=True)
                text = source.read_text()
                if source.name == "pyproject.toml":
                    text = text.replace("requires-python", 'readme = "README.md"\nrequires-python')
                target.write_text(text)
        (dest.parent / "README.md").write_text(README)
        (dest / "README.md").symlink_to(dest.parent / "README.md")
    finally:
        os.umask(old)
    for path in dest.rglob("*"):
        os.utime(path, (mtime, mtime), follow_symlinks=False)
    return dest


def build_both(project: Path, out: Path, monkeypatch) -> tuple[Path, Path]:
    monkeypatch.chdir(project)
    out.mkdir()  # PEP 517: the frontend makes the directory
    sdist = out / backend.build_sdist(str(out))
    wheel = assemble(Options(project, out, targets=(parse_target("linux_x86_64"),), cache_dir=None))
    return sdist, wheel


@pytest.mark.compile
def test_two_builds_in_different_places_are_byte_identical(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    one = write_project(tmp_path / "a" / "hello", 0o022, 1_600_000_000)
    two = write_project(tmp_path / "elsewhere" / "b" / "hello", 0o077, 1_700_000_000)
    sdist_one, wheel_one = build_both(one, tmp_path / "out1", monkeypatch)
    sdist_two, wheel_two = build_both(two, tmp_path / "out2", monkeypatch)
    assert sdist_one.read_bytes() == sdist_two.read_bytes()
    assert wheel_one.read_bytes() == wheel_two.read_bytes()
    with zipfile.ZipFile(wheel_one) as zf:
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}  # RECORD too
    with tarfile.open(sdist_one) as tar:
        readme = tar.getmember("hello-1.0/README.md")
        assert readme.isfile() and tar.extractfile(readme).read().decode() == README
        assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in tar} == {(ZIP_EARLIEST, 0, 0, "", "")}
        assert {m.mode for m in tar} == {0o644}
    # fatpack reads the sdist it wrote, and the wheel from it is the same wheel
    from_sdist = assemble(
        Options(sdist_one, tmp_path / "out3", targets=(parse_target("linux_x86_64"),), cache_dir=None)
    )
    assert from_sdist.read_bytes() == wheel_one.read_bytes()


@pytest.mark.compile
def test_source_date_epoch_is_honoured_in_every_member(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    project = write_project(tmp_path / "hello", 0o022, 1_600_000_000)
    sdist, wheel = build_both(project, tmp_path / "out", monkeypatch)
    with zipfile.ZipFile(wheel) as zf:
        assert {info.date_time for info in zf.infolist()} == {(2023, 11, 14, 22, 13, 20)}
    with tarfile.open(sdist) as tar:
        assert {m.mtime for m in tar} == {1700000000}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ZIP_EARLIEST),
        ("0", ZIP_EARLIEST),
        ("-0", ZIP_EARLIEST),
        ("99999999999", ZIP_LATEST),
        ("253402300799", ZIP_LATEST),
        (" 1700000000 ", 1700000000),
        pytest.param("0" * 5000 + "1700000000", 1700000000, id="5000-leading-zeros"),
    ],
)
def test_source_date_epoch_is_clamped_to_zips_range(monkeypatch, value, expected):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert source_date_epoch() == expected


@pytest.mark.parametrize(
    "value",
    [
        "-5",
        "253402300800",
        pytest.param("9" * 5000, id="5000-nines"),  # more digits than int() converts: no traceback
        pytest.param("-" + "9" * 5000, id="minus-5000-nines"),
    ],
)
def test_source_date_epoch_the_compilers_refuse(monkeypatch, value):
    """gcc and zig cc fail on these ('must be a non-negative decimal integer <= 253402300799'): one
    error from fatpack before anything compiles, not a clamp followed by a failed compile."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    with pytest.raises(ConfigError, match=r"^SOURCE_DATE_EPOCH '.*' is out of range: compilers take 0 to"):
        source_date_epoch()


@pytest.mark.parametrize(
    "value", ["abc", "1.5", "1e9", "0x10", "1_700_000_000", "\u0661\u0667\u0660\u0660", "--1"]
)
def test_source_date_epoch_not_a_whole_number(monkeypatch, value):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    with pytest.raises(
        ConfigError,
        match=r"^SOURCE_DATE_EPOCH '.*' is not a whole number of seconds since 1970$",
    ):
        source_date_epoch()


def sdist_names(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as tar:
        return tar.getnames()


def test_an_sdist_never_holds_the_previous_sdist(example_copy, monkeypatch):
    """`python -m build --sdist -o out` inside the project: the second sdist packed the first (and the
    third both), growing with every build, and two builds of one input differed."""
    monkeypatch.chdir(example_copy)
    out = example_copy / "out"
    out.mkdir()
    first = (out / backend.build_sdist(str(out))).read_bytes()
    second = out / backend.build_sdist(str(out))
    assert not [n for n in sdist_names(second) if n.startswith("hello-1.0/out/")]
    assert second.read_bytes() == first


def test_an_sdist_holds_a_symlinked_subpackage(example_copy, monkeypatch, tmp_path):
    """The wheel follows a symbolic link to a directory (as setuptools does); the sdist left it out,
    so the wheel built from the sdist lacked the subpackage."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "__init__.py").write_text("X = 1\n")
    (example_copy / "src/hello/sub").symlink_to(shared)
    monkeypatch.chdir(example_copy)
    (tmp_path / "out").mkdir()
    sdist = tmp_path / "out" / backend.build_sdist(str(tmp_path / "out"))
    assert "hello-1.0/src/hello/sub/__init__.py" in sdist_names(sdist)


def test_an_sdist_of_a_project_with_a_symbolic_link_loop_is_an_error_naming_it(example_copy, monkeypatch):
    (example_copy / "src/hello/loop").symlink_to("..")
    monkeypatch.chdir(example_copy)
    (example_copy / "dist").mkdir()
    with pytest.raises(ConfigError, match=r"src/hello/loop is a symbolic link to a directory it is inside"):
        backend.build_sdist(str(example_copy / "dist"))
