"""fatpack as a PEP 517 backend: pip wheel and python -m build make the fat wheel and an sdist."""

import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest
from conftest import EXAMPLE

from fatpack import backend

BUILD_SYSTEM = '\n[build-system]\nrequires = ["fatpack"]\nbuild-backend = "fatpack.backend"\n'


@pytest.fixture
def hello_with_backend(tmp_path):
    project = tmp_path / "hello"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("dist", "build", "__pycache__"))
    (project / "pyproject.toml").write_text((project / "pyproject.toml").read_text() + BUILD_SYSTEM)
    return project


def test_hooks_need_no_extra_requirements():
    assert backend.get_requires_for_build_wheel() == [] and backend.get_requires_for_build_sdist() == []


def test_prepare_metadata(hello_with_backend, tmp_path, monkeypatch):
    monkeypatch.chdir(hello_with_backend)
    name = backend.prepare_metadata_for_build_wheel(str(tmp_path / "meta"))
    assert name == "hello-1.0.dist-info"
    assert "Name: hello" in (tmp_path / "meta" / name / "METADATA").read_text()
    assert "Tag: py3-none-any" in (tmp_path / "meta" / name / "WHEEL").read_text()


@pytest.mark.compile
def test_pip_wheel(hello_with_backend, tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-build-isolation",
            "--no-deps",
            "-w",
            str(tmp_path / "out"),
            ".",
        ],
        cwd=hello_with_backend,
        check=True,
    )
    (wheel,) = (tmp_path / "out").glob("*.whl")
    assert wheel.name == "hello-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        assert {
            "hello/_fatpack/linux_x86_64/hello._core.abi3.so",
            "hello/_fatpack/win_amd64/hello._core.abi3.pyd",
        } <= set(zf.namelist())


@pytest.mark.compile
def test_python_m_build_makes_sdist_and_wheel_from_it(hello_with_backend, tmp_path):
    (hello_with_backend / "build").mkdir()  # a stale build directory is not packed
    (hello_with_backend / "build" / "junk.o").write_bytes(b"")
    (hello_with_backend / "src" / "hello" / "build").mkdir()  # but a package directory named build is
    (hello_with_backend / "src" / "hello" / "build" / "keep.txt").write_text("data\n")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "-o", str(tmp_path / "out"), "."],
        cwd=hello_with_backend,
        check=True,
        capture_output=True,
    )
    (sdist,) = (tmp_path / "out").glob("*.tar.gz")
    (wheel,) = (tmp_path / "out").glob("*.whl")  # built by `build` from the unpacked sdist
    assert sdist.name == "hello-1.0.tar.gz" and wheel.name == "hello-1.0-py3-none-any.whl"
    with tarfile.open(sdist) as tar:
        names = set(tar.getnames())
    assert {
        "hello-1.0/PKG-INFO",
        "hello-1.0/pyproject.toml",
        "hello-1.0/src/hello/_core.c",
        "hello-1.0/src/hello/__init__.py",
    } <= names
    assert not any(n.startswith("hello-1.0/build/") for n in names)
    assert "hello-1.0/src/hello/build/keep.txt" in names
    with zipfile.ZipFile(wheel) as zf:
        assert "hello/_fatpack/win_amd64/hello._core.abi3.pyd" in zf.namelist()
