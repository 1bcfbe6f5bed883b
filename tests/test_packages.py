import os
import zipfile
from pathlib import Path

import pytest

from fatpack.config import load_project
from fatpack.errors import ConfigError
from fatpack.packages import find_package_files


def names(root):
    return [f.archive_name for f in find_package_files(load_project(root))]


def test_src_layout_ships_package_and_data_not_sources_or_tests(demo_project):
    (demo_project / "src/demo/__pycache__").mkdir()
    (demo_project / "src/demo/__pycache__/x.cpython-311.pyc").write_bytes(b"")
    (demo_project / "src/demo/_speed.abi3.so").write_bytes(b"")  # a stale in-place build
    assert names(demo_project) == ["demo/__init__.py", "demo/data.txt"]


def test_flat_layout(make_project):
    root = make_project(
        files={"flat/__init__.py": "", "flat/sub/__init__.py": "", "tests/__init__.py": "", "setup.py": ""}
    )
    assert names(root) == ["flat/__init__.py", "flat/sub/__init__.py"]


def test_explicit_packages_and_package_dir(make_project):
    root = make_project(
        tool='packages = ["one"]\npackage-dir = "lib"\n',
        files={"lib/one/__init__.py": "", "lib/two/__init__.py": ""},
    )
    assert names(root) == ["one/__init__.py"]


def test_missing_explicit_package(make_project):
    root = make_project(tool='packages = ["nope"]\n')
    with pytest.raises(ConfigError, match=r"package 'nope' not found"):
        names(root)


def test_a_package_and_its_subpackage_listed_both_give_each_file_once(make_project):
    # the usual setuptools spelling; the package's tree already holds the subpackage
    root = make_project(
        tool='packages = ["pkg", "pkg.sub"]\npackage-dir = "."\n',
        files={"pkg/__init__.py": "", "pkg/sub/__init__.py": "", "pkg/sub/data.txt": "x"},
    )
    assert names(root) == ["pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/data.txt"]


def test_fatpack_outputs_in_a_package_are_never_packed(make_project, tmp_path):
    root = make_project(files={"src/demo/__init__.py": "", "src/demo/wheels/other.whl": "not a zip"})
    out = root / "src/demo/dist"  # `-o` inside the package
    out.mkdir()
    (out / "notes.txt").write_text("anything in the output directory is fatpack's")
    staging = root / "src/demo/.fatpack-abc123"  # a staging directory left by a killed run
    staging.mkdir()
    (staging / "demo-1.0-py3-none-any.whl").write_bytes(b"partial")
    with zipfile.ZipFile(root / "src/demo/copied.whl", "w") as zf:  # an artifact fatpack wrote, moved
        zf.writestr("demo/_fatpack/manifest.tsv", "module\ttarget\n")
    files = find_package_files(load_project(root), exclude=(out,))
    # a wheel that is package data (not one fatpack made) still ships
    assert [f.archive_name for f in files] == ["demo/__init__.py", "demo/wheels/other.whl"]


def test_a_project_below_a_directory_named_like_a_staging_directory(make_project, tmp_path):
    """Only staging directories inside the packages are skipped, not a parent the user chose."""
    (tmp_path / ".fatpack-work").mkdir()
    root = make_project(files={"src/demo/__init__.py": ""}, name=".fatpack-work/proj")
    assert names(root) == ["demo/__init__.py"]


def test_a_symlinked_subpackage_ships(make_project):
    """setuptools follows a symbolic link to a directory; fatpack shipped the package without it."""
    root = make_project(
        files={"src/demo/__init__.py": "", "shared/__init__.py": "", "shared/x.py": "X = 1\n"}
    )
    (root / "src/demo/sub").symlink_to("../../shared")
    assert names(root) == ["demo/__init__.py", "demo/sub/__init__.py", "demo/sub/x.py"]


@pytest.mark.parametrize("setuptools_rules", [False, True])
def test_a_symbolic_link_loop_in_a_package_is_an_error_naming_it(make_project, setuptools_rules):
    """A link back to its own directory: not silently skipped, nor (setuptools' globbing) 40 nested
    copies of the package in the wheel."""
    files = {"src/demo/__init__.py": ""}
    if setuptools_rules:
        files["src/demo/_c.c"] = ""
        files["setup.py"] = (
            "from setuptools import Extension, setup\n"
            "setup(name='demo', version='1.0', package_dir={'': 'src'}, packages=['demo'],\n"
            "      include_package_data=True, ext_modules=[Extension('demo._c', ['src/demo/_c.c'])])\n"
        )
    root = make_project(files=files, project="" if setuptools_rules else None)
    (root / "src/demo/loop").symlink_to(".")
    with pytest.raises(ConfigError, match=r"demo/loop is a symbolic link to .*a loop"):
        names(root)
    (root / "src/demo/loop").unlink()
    (root / "src/demo/loop").symlink_to("/")  # not walked through the whole file system first
    with pytest.raises(ConfigError, match=r"demo/loop is a symbolic link to .*a loop"):
        names(root)


def test_a_package_file_whose_name_is_not_utf8_is_an_error_naming_it(make_project):
    """A wheel stores UTF-8 names: assembling ended in a UnicodeEncodeError traceback."""
    root = make_project(files={"src/demo/__init__.py": ""})
    (Path(os.fsdecode(os.fsencode(root / "src/demo") + b"/bad\xff.txt"))).write_text("x")
    with pytest.raises(
        ConfigError, match=r"src/demo/bad\\xff.txt: a file name that is not UTF-8 cannot be stored"
    ):
        names(root)
