"""PEP 639: every `License-File:` in METADATA is shipped under .dist-info/licenses/ -- the project's
declared license files, setuptools' default patterns, an sdist's; a fused wheel keeps its inputs'; and
`fatpack verify` refuses a License-File without its file."""

from __future__ import annotations

import email.parser
import zipfile
from pathlib import Path

import pytest
from conftest import MINIMAL_C
from fakewheels import make_wheel
from test_output import GOOD, MEMBER
from test_verify import compile_shared

from fatpack import backend
from fatpack.assembler import ReproducibleWheelFile
from fatpack.pipeline import Options, assemble, fuse
from fatpack.verify import verify_artifact

EXTENSION = '[[tool.fatpack.extension]]\nname = "demo._x"\nsources = ["src/demo/_x.c"]\n'
TOOL = 'targets = ["linux_x86_64"]\n' + EXTENSION


def project_with(make_project, project: str, files: dict[str, str]) -> Path:
    return make_project(
        tool=TOOL,
        project=project,
        files={"src/demo/__init__.py": "", "src/demo/_x.c": MINIMAL_C % {"base": "_x"}, **files},
    )


def licenses_of(wheel: Path) -> tuple[list[str], dict[str, bytes]]:
    """(METADATA's License-File values, the files under .dist-info/licenses/ by relative name)."""
    with zipfile.ZipFile(wheel) as zf:
        metadata = zf.read("demo-1.0.dist-info/METADATA").decode()
        prefix = "demo-1.0.dist-info/licenses/"
        shipped = {n[len(prefix) :]: zf.read(n) for n in zf.namelist() if n.startswith(prefix)}
    return email.parser.HeaderParser().parsestr(metadata).get_all("License-File") or [], shipped


@pytest.mark.compile
def test_declared_license_files_are_shipped(make_project, tmp_path):
    root = project_with(
        make_project,
        '[project]\nname = "demo"\nversion = "1.0"\nlicense = "MIT AND BSD-3-Clause"\n'
        'license-files = ["LICENSE", "licenses/*.txt"]\n',
        {"LICENSE": "MIT text\n", "licenses/bsd.txt": "BSD text\n", "COPYING": "not declared\n"},
    )
    wheel = assemble(Options(root, tmp_path / "out"))
    assert licenses_of(wheel) == (
        ["LICENSE", "licenses/bsd.txt"],
        {"LICENSE": b"MIT text\n", "licenses/bsd.txt": b"BSD text\n"},
    )
    assert verify_artifact(wheel).problems == []


@pytest.mark.compile
def test_setuptools_default_license_files_with_a_classic_license(make_project, tmp_path, monkeypatch):
    root = project_with(
        make_project,
        '[project]\nname = "demo"\nversion = "1.0"\nlicense = {text = "MIT"}\n',
        {"LICENSE.txt": "MIT text\n", "AUTHORS": "someone\n", "src/demo/LICENSE": "not at the root\n"},
    )
    wheel = assemble(Options(root, tmp_path / "out"))
    assert licenses_of(wheel) == (
        ["AUTHORS", "LICENSE.txt"],
        {"AUTHORS": b"someone\n", "LICENSE.txt": b"MIT text\n"},
    )
    assert verify_artifact(wheel).problems == []
    # the sdist fatpack writes names them in PKG-INFO and carries them; the wheel built from it ships them
    (tmp_path / "sdist").mkdir()
    monkeypatch.chdir(root)
    sdist = tmp_path / "sdist" / backend.build_sdist(str(tmp_path / "sdist"))
    from_sdist = assemble(Options(sdist, tmp_path / "out2"))
    assert licenses_of(from_sdist) == licenses_of(wheel)


@pytest.mark.compile
def test_verify_refuses_a_license_file_that_is_not_shipped(make_project, tmp_path):
    root = project_with(
        make_project,
        '[project]\nname = "demo"\nversion = "1.0"\nlicense = "MIT"\nlicense-files = ["LICENSE"]\n',
        {"LICENSE": "MIT text\n"},
    )
    wheel = assemble(Options(root, tmp_path / "out"))
    broken = tmp_path / "broken" / wheel.name
    broken.parent.mkdir()
    with zipfile.ZipFile(wheel) as src, ReproducibleWheelFile(broken, "w") as out:
        for name in src.namelist():
            if not name.endswith(("/RECORD", "/licenses/LICENSE")):
                out.writestr(name, src.read(name))
    assert [(p.member, p.check, p.message) for p in verify_artifact(broken).problems] == [
        (
            "demo-1.0.dist-info/METADATA",
            "license",
            "License-File: LICENSE, but demo-1.0.dist-info/licenses/LICENSE is not in the wheel (PEP 639)",
        )
    ]


@pytest.mark.compile
def test_a_fused_wheel_keeps_its_inputs_license_files(tmp_path):
    (tmp_path / "x").mkdir()
    binary = compile_shared("gcc", GOOD, tmp_path / "x" / "x.so")
    metadata = (
        b"Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-Expression: MIT\nLicense-File: LICENSE\n"
    )
    wheel = make_wheel(
        tmp_path / "in",
        "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        {"demo/__init__.py": b"", MEMBER: binary, "demo-1.0.dist-info/licenses/LICENSE": b"MIT text\n"},
        metadata,
    )
    (fat,) = fuse([wheel], tmp_path / "out")
    assert licenses_of(fat) == (["LICENSE"], {"LICENSE": b"MIT text\n"})
