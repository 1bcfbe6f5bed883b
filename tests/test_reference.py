"""The project's own wheel is the reference: the fat wheel holds every non-binary member of it and
nothing less (issue 24); a difference is an error and nothing is written."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from conftest import install_into, run_on_path
from fakewheels import make_wheel
from projectwheel import EXT_SUFFIX, assert_same_non_binary_members, backend_project, own_wheel_files

from fatpack.errors import ArtifactError
from fatpack.pipeline import Options, assemble
from fatpack.reference import check_complete, read_host_wheel
from fatpack.targets import parse_target

LINUX = (parse_target("linux_x86_64"),)


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()
    }


def own_wheel(root: Path) -> Path:
    """The wheel the project's backend writes, as the backend wrote it (rebuilt independently of fatpack)."""
    import build

    return Path(build.ProjectBuilder(root).build("wheel", root.parent / "own"))


@pytest.mark.compile
def test_fat_wheel_holds_everything_its_own_wheel_does(tmp_path):
    root = backend_project(tmp_path / "demo", own_wheel_files())
    before = snapshot(root)
    fat = assemble(Options(root, tmp_path / "dist", targets=LINUX, cache_dir=None))
    assert snapshot(root) == before  # the backend ran on a copy: no build/ or *.egg-info in the project
    assert fat.name == "demo-1.0-py3-none-any.whl"
    assert_same_non_binary_members(fat, own_wheel(root))
    with zipfile.ZipFile(fat) as archive:
        names = set(archive.namelist())
        # taken as they are: a .pth folded out of purelib, scripts/headers/data kept under .data/
        assert {"demo-paths.pth", "demo-1.0.data/scripts/demo-tool", "demo-1.0.data/headers/demo.h"} <= names
        assert (
            archive.read("demo-1.0.dist-info/entry_points.txt")
            == b"[console_scripts]\ndemo = demo.util:main\n"
        )
        assert archive.read("demo/_core.pyi") == b"def f() -> int: ...\n"  # the project's .pyi wins
        assert not [n for n in names if n.endswith(EXT_SUFFIX)]  # the host binary is replaced by payloads
    site = install_into(fat, tmp_path / "site")
    proc = run_on_path(site, "import demo._core as c; print(c.__file__)")
    assert proc.returncode == 0 and "/demo/_fatpack/linux_x86_64/" in proc.stdout, proc.stderr


@pytest.mark.compile
def test_an_extension_fatpack_does_not_build_is_an_error_and_nothing_is_written(tmp_path):
    """The project's wheel carries an extension its ext-modules do not declare (as a cffi module built
    by setup.py): the fat wheel would lack it."""
    files = own_wheel_files(extensions=("demo._core", "demo._cffi_backend"))
    root = backend_project(tmp_path / "demo", files)
    out = tmp_path / "dist"
    out.mkdir()
    (out / "previous.whl").write_bytes(b"kept")
    before = snapshot(out)
    with pytest.raises(ArtifactError, match=r"no stub for the extension module\(s\) demo\._cffi_backend"):
        assemble(Options(root, out, targets=LINUX, cache_dir=None))
    assert snapshot(out) == before and sorted(p.name for p in out.iterdir()) == ["previous.whl"]


def test_the_self_check_names_missing_and_extra_files(tmp_path):
    host = make_wheel(
        tmp_path / "own",
        "demo-1.0-cp311-cp311-linux_x86_64.whl",
        {"demo/__init__.py": b"", "demo/py.typed": b"", "demo/a.py": b"", "demo/_x" + EXT_SUFFIX: b"\x7fELF"},
    )
    reference = read_host_wheel(host, tmp_path / "files")
    assert reference.extensions == {"demo._x"}
    fat = make_wheel(
        tmp_path / "fat",
        "demo-1.0-py3-none-any.whl",
        {"demo/__init__.py": b"", "demo/a.py": b"", "demo/b.py": b"", "demo/_x.py": b"stub"},
    )
    with pytest.raises(ArtifactError) as info:
        check_complete(fat, reference)
    message = str(info.value)
    assert "lacks demo/py.typed" in message and "holds demo/b.py" in message
    assert "no stub" not in message  # demo/_x.py is there


def test_a_failing_backend_is_one_error_naming_the_hook_and_nothing_is_written(tmp_path, capsys):
    from fatpack.cli import main

    root = backend_project(tmp_path / "demo", own_wheel_files())
    backend = root / "_backend" / "inline_backend.py"
    backend.write_text(
        backend.read_text().replace("spec = _spec()", "raise RuntimeError('compiler not found')")
    )
    assert main(["assemble", str(root), "--target", "linux_x86_64", "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the project's build backend failed in build_wheel")
    assert "RuntimeError: compiler not found" in err.splitlines()[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.compile
def test_an_egg_cannot_carry_the_data_files_of_the_projects_wheel(tmp_path):
    from fatpack.errors import ConfigError

    root = backend_project(tmp_path / "demo", own_wheel_files())
    with pytest.raises(ConfigError, match=r"installs data files \(\.data/\); an egg cannot carry them"):
        assemble(Options(root, tmp_path / "out", targets=LINUX, artifact_format="egg"))
    assert not (tmp_path / "out").exists()


@pytest.mark.compile
@pytest.mark.network  # installs setuptools from the package index into the build environment
def test_setup_py_data_files_and_scripts_come_from_its_own_wheel(tmp_path):
    """fatpack refused both ("not supported"); the project's own wheel carries them under .data/."""
    from conftest import MINIMAL_C

    root = tmp_path / "spam"
    (root / "spam").mkdir(parents=True)
    (root / "spam" / "__init__.py").write_text("")
    (root / "spam" / "_core.c").write_text(MINIMAL_C % {"base": "_core"})
    (root / "etc").mkdir()
    (root / "etc" / "spam.conf").write_text("answer = 42\n")
    (root / "spam-tool").write_text("#!/usr/bin/env python\nprint('spam')\n")
    (root / "setup.py").write_text(
        "from setuptools import setup, Extension\n"
        "setup(name='spam', version='1.0', packages=['spam'], ext_modules=[Extension('spam._core', ['spam/_core.c'])],\n"
        "      data_files=[('etc/spam', ['etc/spam.conf'])], scripts=['spam-tool'])\n"
    )
    fat = assemble(Options(root, tmp_path / "dist", targets=LINUX))
    with zipfile.ZipFile(fat) as archive:
        assert archive.read("spam-1.0.data/data/etc/spam/spam.conf") == b"answer = 42\n"
        assert "spam-1.0.data/scripts/spam-tool" in archive.namelist()
    assert_same_non_binary_members(fat, own_wheel(root))
