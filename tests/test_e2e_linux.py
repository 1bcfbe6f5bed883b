"""The fat wheel, pip-installed into a fresh virtual environment on this Linux host, imported and called."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import HOST_ABI

pytestmark = pytest.mark.compile


def venv_with(wheel: Path, tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-index", str(wheel)], check=True)
    return python


def run(python: Path, code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        cwd="/",
        env={**env, "PATH": "/usr/bin:/bin"},
    )


def test_wheel_holds_elf_and_pe_payloads(hello_wheel):
    with zipfile.ZipFile(hello_wheel) as zf:
        linux = zf.read("hello/_fatpack/linux_x86_64/hello._core.abi3.so")
        windows = zf.read("hello/_fatpack/win_amd64/hello._core.abi3.pyd")
    assert linux[:4] == b"\x7fELF"
    assert windows[:2] == b"MZ"


def test_pip_install_import_and_call(hello_wheel, tmp_path):
    python = venv_with(hello_wheel, tmp_path)
    proc = run(
        python,
        "import hello, hello._core as c; print(hello.add(40, 2), hello.greet('Linux'), hello.median([3, 9, 1]), hello.sizeof_long(), hello.built_for()); print(c.__file__)",
    )
    assert proc.returncode == 0, proc.stderr
    values, file = proc.stdout.splitlines()
    assert values == "42 Hello, Linux! 3 8 linux"
    assert file.endswith("site-packages/hello/_fatpack/linux_x86_64/hello._core.abi3.so")


def test_version_specific_payload_preferred(hello_mixed_wheel, tmp_path):
    python = venv_with(hello_mixed_wheel, tmp_path)
    proc = run(python, "import hello._core as c; print(c.add(1, 2), c.__file__)", FATPACK_DEBUG="1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "3"
    assert proc.stdout.strip().endswith(f"linux_x86_64/hello._core.{HOST_ABI}.so")
    assert f"chose {HOST_ABI}-linux_x86_64" in proc.stderr  # FATPACK_DEBUG explains the choice
    assert f"skip cp38-abi3-linux_x86_64: a better payload fits ({HOST_ABI}-linux_x86_64)" in proc.stderr


def test_no_payload_for_host_is_a_clear_import_error(hello_windows_only_wheel, tmp_path):
    python = venv_with(hello_windows_only_wheel, tmp_path)
    proc = run(python, "import hello")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    loader = (
        python.parent.parent
        / "lib"
        / f"python3.{sys.version_info[1]}"
        / "site-packages"
        / "hello"
        / "_fatpack"
    )
    assert last == (
        f"ImportError: hello._core: no native payload for this interpreter ({HOST_ABI}-linux_x86_64); "
        f"the package carries: cp38-abi3-win_amd64; `{python} {loader / '__init__.py'}` shows every "
        "payload and why it does or does not fit"
    )


def test_top_level_extension_without_package(make_project, tmp_path):
    """An extension with no package around it gets its own loader package, `_fatpack_<project>`."""
    from conftest import MINIMAL_C

    from fatpack.pipeline import Options, assemble
    from fatpack.targets import parse_target

    root = make_project(
        project='[project]\nname = "Top-Level"\nversion = "0.1"\n',
        tool='[[tool.fatpack.extension]]\nname = "_toplevel"\nsources = ["t.c"]\n',
        files={"t.c": MINIMAL_C % {"base": "_toplevel"}},
    )
    wheel = assemble(Options(root, tmp_path / "dist", targets=(parse_target("linux_x86_64"),)))
    with zipfile.ZipFile(wheel) as zf:
        assert "_toplevel.py" in zf.namelist()
        assert "_fatpack_top_level/linux_x86_64/_toplevel.abi3.so" in zf.namelist()
    python = venv_with(wheel, tmp_path)
    proc = run(python, "import _toplevel; print(_toplevel.__name__, _toplevel.__file__)")
    assert proc.returncode == 0, proc.stderr
    name, file = proc.stdout.split()
    assert name == "_toplevel" and file.endswith("_fatpack_top_level/linux_x86_64/_toplevel.abi3.so")


def test_install_into_a_scheme_whose_purelib_and_platlib_differ(hello_wheel, tmp_path):
    """As on Fedora (lib vs lib64): a wheel with binaries is not pure, so pip puts all of it -- package,
    payloads, dist-info -- under platlib, and the package imports from there."""
    from pip._internal.models.scheme import Scheme
    from pip._internal.operations.install.wheel import install_wheel

    dirs = {name: tmp_path / name for name in ("lib", "lib64", "include", "bin", "data")}
    for directory in dirs.values():
        directory.mkdir()
    scheme = Scheme(
        purelib=str(dirs["lib"]),
        platlib=str(dirs["lib64"]),
        headers=str(dirs["include"]),
        scripts=str(dirs["bin"]),
        data=str(dirs["data"]),
    )
    install_wheel("hello", str(hello_wheel), scheme, "hello", pycompile=False)
    assert list(dirs["lib"].iterdir()) == []
    assert (dirs["lib64"] / "hello/_fatpack/linux_x86_64/hello._core.abi3.so").is_file()
    proc = run(
        Path(sys.executable),
        "import hello, hello._core as c; print(hello.add(40, 2)); print(c.__file__)",
        PYTHONPATH=f"{dirs['lib']}:{dirs['lib64']}",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "42",
        str(dirs["lib64"] / "hello/_fatpack/linux_x86_64/hello._core.abi3.so"),
    ]
