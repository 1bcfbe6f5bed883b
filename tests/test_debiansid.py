"""The Debian sid fixture (tests/debiansid.py): real CPython 3.14 and 3.15 runnable here, pip in a venv."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import debiansid
import pytest

PROBE = (
    "import json, sys, sysconfig, importlib.machinery as m; "
    "print(json.dumps([list(sys.version_info[:2]), sysconfig.get_paths()['include'], m.EXTENSION_SUFFIXES]))"
)


@pytest.mark.network  # apt-get from Debian's archive the first time (cached in FATPACK_TEST_CACHE)
@pytest.mark.parametrize("minor", [14, 15])
def test_sid_python_runs_with_headers_and_pip(minor: int, tmp_path: Path) -> None:
    python = debiansid.skip_unless_reachable(minor)
    version, include, suffixes = json.loads(subprocess.check_output([str(python), "-c", PROBE], text=True))
    assert version == [3, minor]
    assert f".cpython-3{minor}-x86_64-linux-gnu.so" in suffixes
    headers = Path(include)
    assert headers.is_relative_to(python.parents[2]), headers  # the root's headers, not the host's
    assert (headers / "Python.h").is_file()
    # Debian's pyconfig.h includes the multiarch one, found through -idirafter ROOT/usr/include
    assert f"<x86_64-linux-gnu/python3.{minor}/pyconfig.h>" in (headers / "pyconfig.h").read_text()
    assert (python.parents[2] / f"usr/include/x86_64-linux-gnu/python3.{minor}/pyconfig.h").is_file()
    # subprocesses of the interpreter run too (patched loader and rpath, not a wrapper command)
    child = "import subprocess, sys; print(subprocess.check_output([sys.executable, '-c', 'print(6*7)'], text=True))"
    assert subprocess.check_output([str(python), "-c", child], text=True).strip() == "42"
    venv_python = debiansid.sid_venv(minor, tmp_path / "venv")
    pip = subprocess.check_output([str(venv_python), "-m", "pip", "--version"], text=True)
    assert f"(python 3.{minor})" in pip


def _deb(tmp_path: Path, name: str) -> Path:
    """A tiny real .deb holding usr/share/NAME/file."""
    tree = tmp_path / f"{name}-tree"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN/control").write_text(
        f"Package: {name}\nVersion: 1\nArchitecture: amd64\nMaintainer: t <t@example.org>\nDescription: t\n"
    )
    (tree / f"usr/share/{name}").mkdir(parents=True)
    (tree / f"usr/share/{name}/file").write_text(name)
    deb = tmp_path / f"{name}_1_amd64.deb"
    subprocess.run(["dpkg-deb", "--build", str(tree), str(deb)], check=True, capture_output=True)
    return deb


def test_sid_install_replaces_a_root_left_half_extracted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A root without its marker (an interrupted run) is rebuilt, and a complete one is reused as is."""
    monkeypatch.setattr(debiansid, "SID", tmp_path / "sid")
    monkeypatch.setattr(debiansid, "sid_root", lambda: tmp_path / "sid")
    monkeypatch.setattr(debiansid, "closure", lambda packages: ["a", "b"])
    debs = [_deb(tmp_path, "a"), _deb(tmp_path, "b")]
    downloads: list[list[str]] = []
    monkeypatch.setattr(debiansid, "_download", lambda names: downloads.append(list(names)) or debs)
    key_root = debiansid.sid_install(["b", "a"])
    assert (key_root / "usr/share/a/file").read_text() == "a"
    # simulate an interrupted extraction: the marker gone, a file missing
    (key_root / debiansid.MARKER).unlink()
    (key_root / "usr/share/b/file").unlink()
    assert debiansid.sid_install(["a", "b"]) == key_root  # same set, any order: same root
    assert (key_root / "usr/share/b/file").read_text() == "b"
    assert len(downloads) == 2
    assert debiansid.sid_install(["a", "b", "a"]) == key_root
    assert len(downloads) == 2  # complete: reused without downloading
    assert not list(key_root.parent.glob("*.tmp*"))
