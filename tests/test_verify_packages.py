"""`fatpack verify` flags a stub whose package is missing (issue 24): no `__init__.py` and no Python
file of the project's own below it, as zope.interface's wheel once was. Regular packages and PEP 420
namespace portions holding the project's own modules pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakewheels import make_wheel
from test_verify import INIT, compile_shared

from fatpack.cli import main
from fatpack.pipeline import fuse
from fatpack.verify import verify_artifact

pytestmark = pytest.mark.compile  # every test here builds real binaries

FILENAME = "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
SUFFIX = ".cpython-311-x86_64-linux-gnu.so"


def fused(tmp_path: Path, files: dict[str, bytes], extension: str) -> Path:
    binary = compile_shared("gcc", INIT % "0", tmp_path / "x.so")
    wheel = make_wheel(tmp_path / "in", FILENAME, {**files, extension + SUFFIX: binary})
    return fuse([wheel], tmp_path / "out", verify=False)[0]


def package_problems(artifact: Path) -> list[str]:
    return [p.message for p in verify_artifact(artifact).problems if p.check == "package"]


def test_a_stub_without_its_package_is_flagged(tmp_path, capsys):
    """zope.interface as assembled before: the `zope` namespace, `zope/interface/` with the stub only
    (and a C source as package data, which is no Python module)."""
    artifact = fused(tmp_path, {"zope/interface/_core.c": b"/* C */\n"}, "zope/interface/_core")
    (problem,) = package_problems(artifact)
    assert "package zope.interface holds only the stub(s) of zope.interface._core" in problem
    assert main(["verify", str(artifact)]) == 1
    assert "zope/interface/__init__.py" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("files", "extension"),
    [
        ({"demo/__init__.py": b""}, "demo/_core"),  # a regular package
        ({"ns/demo/util.py": b""}, "ns/demo/_core"),  # a namespace portion with a module of its own
        ({"ns/sub/__init__.py": b""}, "ns/_core"),  # an extension in a namespace beside a subpackage
        ({"other/__init__.py": b""}, "_core"),  # a top-level extension: no package to have
    ],
)
def test_packages_and_namespace_portions_with_their_modules_pass(tmp_path, files, extension):
    assert package_problems(fused(tmp_path, files, extension)) == []


def test_a_src_layout_namespace_project_ships_its_packages(make_project):
    """`src/ns/a/__init__.py` with no `src/ns/__init__.py` (a PEP 420 namespace, as setuptools'
    src-layout discovery finds it): fatpack found no package at all and shipped the stub alone, which
    the check above now refuses."""
    from fatpack.config import load_project
    from fatpack.packages import find_package_files

    root = make_project(
        tool='[[tool.fatpack.extension]]\nname = "ns.a._core"\nsources = ["src/ns/a/_core.c"]\n',
        files={"src/ns/a/__init__.py": "", "src/ns/a/util.py": "", "src/ns/a/_core.c": "", "tests/t.py": ""},
    )
    names = [f.archive_name for f in find_package_files(load_project(root))]
    assert names == ["ns/a/__init__.py", "ns/a/util.py"]
