"""The output directory is changed only by a run that succeeds: artifacts are verified under a staging
name and renamed into place afterwards, so a failed rebuild never costs the previous good wheel."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Optional

import pytest
from fakewheels import make_wheel
from test_verify import INIT, compile_shared

from fatpack.errors import ArtifactError
from fatpack.pipeline import fuse

GOOD = INIT % "0"
BAD = "extern const char *zlibVersion(void);\n" + INIT % "(void *)zlibVersion()"  # libz: not manylinux
FILENAME = "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
MEMBER = "demo/_core.cpython-311-x86_64-linux-gnu.so"


def snapshot(directory: Path) -> dict[str, Optional[bytes]]:
    """Every file's content, and every directory (as None)."""
    return {
        str(p.relative_to(directory)): p.read_bytes() if p.is_file() else None
        for p in sorted(directory.rglob("*"))
    }


def platform_wheel(tmp_path: Path, name: str, source: str) -> Path:
    (tmp_path / name).mkdir()
    binary = compile_shared(
        "gcc", source, tmp_path / name / "x.so", *(["-l:libz.so.1"] if source == BAD else [])
    )
    return make_wheel(tmp_path / name, FILENAME, {"demo/__init__.py": b"", MEMBER: binary})


@pytest.mark.compile
@pytest.mark.parametrize("thin", [False, True])
def test_a_rebuild_that_fails_verification_keeps_the_previous_wheels(tmp_path, thin):
    out = tmp_path / "out"
    written = fuse([platform_wheel(tmp_path, "good", GOOD)], out, thin=thin)
    assert [p.name for p in written] == ["demo-1.0-py3-none-any.whl"] + (
        ["demo-1.0-py3-none-manylinux_2_17_x86_64.whl"] if thin else []
    )
    before = snapshot(out)
    with pytest.raises(ArtifactError, match=r"failed verification, not written: .*libz\.so\.1"):
        fuse([platform_wheel(tmp_path, "bad", BAD)], out, thin=thin)
    assert snapshot(out) == before  # same files, same bytes, no staging directory left behind


@pytest.mark.compile
def test_a_failed_run_removes_the_output_directory_it_created(tmp_path):
    out = tmp_path / "new" / "out"
    with pytest.raises(ArtifactError, match="failed verification"):
        fuse([platform_wheel(tmp_path, "bad", BAD)], out)
    assert not (tmp_path / "new").exists()


@pytest.mark.compile
def test_output_inside_the_package_is_not_packed_into_the_next_build(example_copy):
    from fatpack.pipeline import Options, assemble
    from fatpack.targets import parse_target

    out = example_copy / "src" / "hello" / "dist"  # `-o` inside the package
    options = Options(example_copy, out, targets=(parse_target("linux_x86_64"),))
    first = assemble(options)
    with zipfile.ZipFile(first) as zf:
        names = zf.namelist()
    second = assemble(options)
    with zipfile.ZipFile(second) as zf:
        assert zf.namelist() == names
    assert not [n for n in names if n.endswith(".whl") or "/dist/" in n]


@pytest.mark.compile
@pytest.mark.parametrize("thin", [False, True])
def test_a_project_rebuild_that_fails_verification_keeps_the_previous_wheels(make_project, tmp_path, thin):
    """The same through `fatpack assemble` of a project: its build command copies in a prebuilt binary,
    good the first time, linking a library outside the manylinux policy the second."""
    from fatpack.pipeline import Options, assemble_artifacts

    copy = 'cp "$FATPACK_PROJECT_DIR/prebuilt.so" "$FATPACK_OUT_DIR/$FATPACK_OUTPUT"'
    root = make_project(
        tool=f"targets = [\"linux_x86_64\"]\n[[tool.fatpack.extension]]\nname = \"demo._core\"\ncommand = ['sh', '-c', '{copy}']\n",
        files={"src/demo/__init__.py": ""},
    )
    (tmp_path / "good").mkdir()
    (tmp_path / "bad").mkdir()
    good = compile_shared("gcc", GOOD, tmp_path / "good" / "x.so")
    bad = compile_shared("gcc", BAD, tmp_path / "bad" / "x.so", "-l:libz.so.1")
    out = tmp_path / "out"
    options = Options(root, out, thin=thin, cache_dir=None)
    (root / "prebuilt.so").write_bytes(good)
    assert len(assemble_artifacts(options)) == (2 if thin else 1)
    before = snapshot(out)
    (root / "prebuilt.so").write_bytes(bad)
    with pytest.raises(ArtifactError, match=r"failed verification, not written: .*libz\.so\.1"):
        assemble_artifacts(options)
    assert snapshot(out) == before


def test_fatpack_build_that_cannot_write_every_payload_writes_none(demo_project, runner, tmp_path):
    """`fatpack build` for two targets whose second cannot be written (a file where its directory
    goes): the first target's payload from the earlier build must not have been replaced."""
    from fatpack.pipeline import Options, build
    from fatpack.targets import TARGETS

    out = tmp_path / "out"
    linux = [TARGETS["linux_x86_64"]]
    build(Options(demo_project, out, targets=linux, cache_dir=None), runner)
    (out / "win_amd64").write_text("in the way\n")
    before = snapshot(out)
    source = demo_project / "src/demo/_speed.c"
    source.write_text(source.read_text() + "/* changed */\n")

    def changed_runner(command, **kwargs):  # a binary that differs from the first build's
        runner(command, **kwargs)
        if "-shared" in command:
            output = Path(command[command.index("-o") + 1])
            output.write_bytes(output.read_bytes() + b" (second build)")

    with pytest.raises(ArtifactError, match="win_amd64"):
        build(
            Options(demo_project, out, targets=[*linux, TARGETS["win_amd64"]], cache_dir=None), changed_runner
        )
    assert snapshot(out) == before


def test_fatpack_build_interrupted_while_writing_leaves_no_trace(demo_project, runner, tmp_path, monkeypatch):
    """Ctrl-C while the payloads are copied into OUT_DIR: no temporary file, no new directory."""
    from fatpack import pipeline
    from fatpack.pipeline import Options, build

    copies = []
    copyfile = pipeline.shutil.copyfile
    out = tmp_path / "out"

    def interrupted_copy(source, destination, **kwargs):
        if Path(destination).is_relative_to(out):
            copies.append(destination)
            if len(copies) == 2:
                raise KeyboardInterrupt
        return copyfile(source, destination, **kwargs)

    monkeypatch.setattr(pipeline.shutil, "copyfile", interrupted_copy)
    out.mkdir()
    with pytest.raises(KeyboardInterrupt):
        build(Options(demo_project, out, cache_dir=None), runner)
    assert snapshot(out) == {}


@pytest.mark.compile
@pytest.mark.parametrize("blocked", ["directory", "rename"])
def test_a_thin_wheel_that_cannot_be_renamed_into_place_leaves_the_fat_one_as_it_was(
    tmp_path, monkeypatch, blocked
):
    """--thin writes two files: the fat wheel was already replaced when the thin one's rename failed
    (a directory of its name, or any failing rename), so a failed run changed OUT_DIR."""
    out = tmp_path / "out"
    fuse([platform_wheel(tmp_path, "good", GOOD)], out, thin=True)
    thin = out / "demo-1.0-py3-none-manylinux_2_17_x86_64.whl"
    if blocked == "directory":
        thin.unlink()
        thin.mkdir()
    before = snapshot(out)
    changed = INIT % "(void *)1"  # a different binary, so a different fat wheel
    if blocked == "rename":
        from fatpack import output

        replace = os.replace

        def failing_second_rename(source, destination):
            if Path(destination) == thin:
                raise OSError(28, "No space left on device")
            return replace(source, destination)

        monkeypatch.setattr(output.os, "replace", failing_second_rename)
    with pytest.raises(ArtifactError, match=r"cannot write .*manylinux_2_17_x86_64.whl"):
        fuse([platform_wheel(tmp_path, "changed", changed)], out, thin=True)
    monkeypatch.undo()
    assert snapshot(out) == before
