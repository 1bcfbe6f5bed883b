"""The output directory is changed only by a run that succeeds: artifacts are verified under a staging
name and renamed into place afterwards, so a failed rebuild never costs the previous good wheel."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from fakewheels import make_wheel
from test_verify import INIT, compile_shared

from fatpack.errors import ArtifactError
from fatpack.pipeline import fuse

GOOD = INIT % "0"
BAD = "extern const char *zlibVersion(void);\n" + INIT % "(void *)zlibVersion()"  # libz: not manylinux
FILENAME = "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
MEMBER = "demo/_core.cpython-311-x86_64-linux-gnu.so"


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))}


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
