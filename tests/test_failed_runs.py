"""Every failing run -- whatever raises, at any step -- leaves OUT_DIR exactly as it was (issue 24):
each step of assemble and fuse is made to raise, before and after doing its work, and the output
directory is compared byte for byte with what it held before."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from projectwheel import backend_project, own_wheel_files
from test_output import GOOD, platform_wheel

from fatpack import output, pipeline
from fatpack.pipeline import Options, assemble_artifacts, fuse
from fatpack.targets import parse_target

pytestmark = pytest.mark.compile  # every test here builds real binaries

LINUX = (parse_target("linux_x86_64"),)


class Injected(Exception):
    """Not a FatpackError: an unforeseen failure must be cleaned up as well as a foreseen one."""


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()
    }


def previous_output(out: Path, *names: str) -> dict[str, bytes]:
    """OUT_DIR as an earlier run left it: artifacts of the names this run writes, and another file."""
    out.mkdir(parents=True)
    for name in names:
        (out / name).write_bytes(b"previous " + name.encode())
    (out / "notes.txt").write_text("the user's own file\n")
    return snapshot(out)


def failing(step: Callable[..., Any], when: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if when == "after":
            step(*args, **kwargs)
        raise Injected(f"{step.__name__} failed")

    return wrapper


# every step assemble_artifacts runs, by its name in fatpack.pipeline; the own-build project runs
# them all but find_package_files, the [tool.fatpack] project all but the reference's
ASSEMBLE_STEPS = {
    "own-build": [
        "project_env",
        "plan_for",
        "reference_wheel",
        "build_payloads",
        "assemble_wheel",
        "write_wheels",
        "check_complete",
        "verify_artifact",
        "verified",
    ],
    "fatpack": ["plan_for", "find_package_files", "build_payloads", "assemble_wheel", "verify_artifact"],
}
FUSE_STEPS = ["fuse_prebuilt", "write_fused_wheel", "write_wheels", "verify_artifact", "verified"]
THIN = ("demo-1.0-py3-none-any.whl", "demo-1.0-py3-none-linux_x86_64.whl")


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("projects")
    return {
        "own-build": backend_project(work / "own", own_wheel_files()),
        "fatpack": fatpack_project(work / "fatpack"),
    }


def fatpack_project(root: Path) -> Path:
    from conftest import MINIMAL_C

    (root / "src" / "demo").mkdir(parents=True)
    (root / "src" / "demo" / "__init__.py").write_text("")
    (root / "src" / "demo" / "_core.c").write_text(MINIMAL_C % {"base": "_core"})
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1.0"\n[[tool.fatpack.extension]]\n'
        'name = "demo._core"\nsources = ["src/demo/_core.c"]\n'
    )
    return root


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize(
    ("kind", "step"), [(kind, step) for kind, steps in ASSEMBLE_STEPS.items() for step in steps]
)
def test_assemble_that_fails_at_any_step_leaves_out_dir_as_it_was(
    projects, kind, step, when, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    before = previous_output(out, *THIN)
    monkeypatch.setattr(pipeline, step, failing(getattr(pipeline, step), when))
    options = Options(projects[kind], out, targets=LINUX, thin=True)
    with pytest.raises(Injected):
        assemble_artifacts(options)
    assert snapshot(out) == before


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", FUSE_STEPS)
def test_fuse_that_fails_at_any_step_leaves_out_dir_as_it_was(step, when, tmp_path, monkeypatch):
    wheel = platform_wheel(tmp_path, "good", GOOD)
    out = tmp_path / "out"
    before = previous_output(out, *THIN)
    monkeypatch.setattr(pipeline, step, failing(getattr(pipeline, step), when))
    with pytest.raises(Injected):
        fuse([wheel], out, thin=True)
    assert snapshot(out) == before


@pytest.mark.parametrize("failing_rename", [1, 2])
def test_a_rename_that_fails_half_way_puts_the_previous_artifacts_back(failing_rename, tmp_path, monkeypatch):
    """Two artifacts (--thin): the second rename into OUT_DIR fails after the first one was done."""
    wheel = platform_wheel(tmp_path, "good", GOOD)
    out = tmp_path / "out"
    before = previous_output(out, *THIN)
    real_replace = os.replace
    calls = []

    def replace(source: Any, destination: Any) -> None:
        if Path(destination).parent == out:  # a rename into place (moving a previous one away is not)
            calls.append(destination)
            if len(calls) == failing_rename:
                raise OSError(28, "No space left on device")
        real_replace(source, destination)

    monkeypatch.setattr(output.os, "replace", replace)
    with pytest.raises(Exception, match="No space left on device"):
        fuse([wheel], out, thin=True)
    assert snapshot(out) == before
