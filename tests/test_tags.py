"""Wheel tags both ways, and a project's fat wheel with honest platform tags plus thin per-target wheels."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import pytest
from conftest import EXAMPLE, install_into, run_on_path
from packaging.tags import Tag

from fatpack.errors import ArtifactError
from fatpack.pipeline import Options, assemble_artifacts
from fatpack.tags import platform_tag, target_and_abi, target_for_platform
from fatpack.targets import TARGETS, PythonAbi


@pytest.mark.parametrize(
    ("platform", "target"),
    [
        ("manylinux_2_17_x86_64", "linux_x86_64"),
        ("manylinux2014_aarch64", "linux_aarch64"),
        ("linux_x86_64", "linux_x86_64"),
        ("musllinux_1_1_x86_64", "musllinux_x86_64"),
        ("win_amd64", "win_amd64"),
        ("win32", "win32"),
        ("macosx_10_9_x86_64", "macosx_x86_64"),
        ("macosx_11_0_arm64", "macosx_arm64"),
        ("macosx_10_9_universal2", "macosx_universal2"),
        ("manylinux_2_17_i686", None),
        ("manylinux_2_17_ppc64le", None),
    ],
)
def test_target_for_platform(platform, target):
    found = target_for_platform(platform)
    assert (found.name if found else None) == target


def test_target_and_abi_from_tags():
    tags = {Tag("cp311", "cp311", "manylinux_2_17_x86_64"), Tag("cp311", "cp311", "manylinux2014_x86_64")}
    assert target_and_abi(tags, "w.whl") == (TARGETS["linux_x86_64"], PythonAbi(11, False))
    assert target_and_abi({Tag("cp38", "abi3", "win_amd64")}, "w.whl") == (
        TARGETS["win_amd64"],
        PythonAbi(8, True),
    )
    assert target_and_abi({Tag("py3", "none", "any")}, "w.whl") == (None, None)
    assert target_and_abi({Tag("cp313", "cp313t", "win_amd64")}, "w.whl") == (
        TARGETS["win_amd64"],
        PythonAbi(13, False, free_threaded=True),
    )
    with pytest.raises(ArtifactError, match=r"^w.whl: Python tag cp312-cp312t is not supported"):
        target_and_abi({Tag("cp312", "cp312t", "win_amd64")}, "w.whl")
    with pytest.raises(ArtifactError, match=r"^w.whl: Python tag cp313-cp313d is not supported"):
        target_and_abi({Tag("cp313", "cp313d", "win_amd64")}, "w.whl")
    with pytest.raises(
        ArtifactError, match=r"^w.whl: platform manylinux_2_17_i686 is not one fatpack target"
    ):
        target_and_abi({Tag("cp311", "cp311", "manylinux_2_17_i686")}, "w.whl")


def test_platform_tags_follow_the_payload_floors():
    assert platform_tag(TARGETS["linux_x86_64"], glibc=(2, 14)) == "manylinux_2_17_x86_64"
    assert platform_tag(TARGETS["linux_aarch64"], glibc=(2, 28)) == "manylinux_2_28_aarch64"
    assert platform_tag(TARGETS["musllinux_x86_64"]) == "musllinux_1_2_x86_64"
    assert platform_tag(TARGETS["macosx_arm64"], macos=(11, 0)) == "macosx_11_0_arm64"
    assert platform_tag(TARGETS["macosx_universal2"], macos=(10, 9)) == "macosx_10_9_universal2"
    assert platform_tag(TARGETS["win_arm64"]) == "win_arm64"


@pytest.mark.compile
def test_project_with_platform_tags_and_thin_wheels(tmp_path):
    project = tmp_path / "hello"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("dist", "build", "__pycache__"))
    fat, *thin = assemble_artifacts(Options(project, tmp_path / "dist", tags="platforms", thin=True))
    assert fat.name == "hello-1.0-py3-none-manylinux_2_17_x86_64.win_amd64.whl"
    assert sorted(p.name for p in thin) == [
        "hello-1.0-py3-none-manylinux_2_17_x86_64.whl",
        "hello-1.0-py3-none-win_amd64.whl",
    ]
    with zipfile.ZipFile(fat) as archive:
        wheel = archive.read("hello-1.0.dist-info/WHEEL").decode()
    assert "Tag: py3-none-manylinux_2_17_x86_64\nTag: py3-none-win_amd64\n" in wheel
    for wheel_path in (
        fat,
        next(p for p in thin if "manylinux" in p.name),
    ):  # pip takes both here, and they import
        site = install_into(wheel_path, tmp_path / wheel_path.stem)
        proc = run_on_path(site, "import hello; print(hello.add(40, 2))")
        assert proc.stdout.strip() == "42", proc.stderr
    windows_only = next(p for p in thin if p.name.endswith("win_amd64.whl"))
    with zipfile.ZipFile(windows_only) as archive:
        assert not any("linux_x86_64" in n for n in archive.namelist())
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--target",
            str(tmp_path / "w"),
            str(windows_only),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0 and "is not a supported wheel on this platform" in proc.stderr
