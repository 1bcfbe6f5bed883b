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
