"""`fatpack inspect`: the payloads an artifact carries, as a table or JSON; bad input is one line."""

import json
import subprocess
import sys
import zipfile

import pytest
from conftest import ALL_TARGETS

from fatpack.inspection import PayloadRow, format_matrix


def fatpack(*args):
    return subprocess.run([sys.executable, "-m", "fatpack", *map(str, args)], capture_output=True, text=True)


@pytest.mark.compile
def test_table_and_json(hello_all_targets_wheel):
    table = fatpack("inspect", hello_all_targets_wheel)
    assert table.returncode == 0, table.stderr
    matrix, payloads = table.stdout.split("\n\n")
    assert matrix.splitlines()[0].split() == ["hello._core", "abi3>=3.8"]
    assert sorted(line.split()[0] for line in matrix.splitlines()[1:]) == sorted(ALL_TARGETS)
    assert all(line.split()[1] == "x" for line in matrix.splitlines()[1:])
    lines = payloads.splitlines()
    assert lines[0].split() == ["module", "target", "abi", "python", "floor", "size"]
    assert len(lines) == 1 + 10
    rows = json.loads(fatpack("inspect", hello_all_targets_wheel, "--json").stdout)
    by_target = {r["target"]: r for r in rows}
    assert sorted(by_target) == sorted(ALL_TARGETS)
    assert (
        by_target["linux_aarch64"]["floor"] == "glibc 2.17"
        and by_target["macosx_arm64"]["floor"] == "macos 11.0"
    )
    assert all(
        r["module"] == "hello._core" and r["abi"] == "abi3" and r["python"] == "3.8" and r["size"] > 0
        for r in rows
    )
    with zipfile.ZipFile(hello_all_targets_wheel) as zf:
        assert by_target["win32"]["size"] == zf.getinfo(by_target["win32"]["member"]).file_size


def test_not_a_zip(tmp_path):
    (tmp_path / "x.whl").write_text("not a zip")
    proc = fatpack("inspect", tmp_path / "x.whl")
    assert proc.returncode == 1 and proc.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'x.whl'}: cannot be read as a wheel or egg: File is not a zip file"
    ]


def test_a_wheel_fatpack_did_not_make(tmp_path):
    with zipfile.ZipFile(tmp_path / "plain-1.0-py3-none-any.whl", "w") as zf:
        zf.writestr("plain/__init__.py", "")
    proc = fatpack("inspect", tmp_path / "plain-1.0-py3-none-any.whl")
    assert proc.returncode == 1
    assert (
        proc.stderr.strip()
        == "error: plain-1.0-py3-none-any.whl holds no fatpack manifest: not an artifact fatpack made"
    )


def row(module, target, abi, python):
    return PayloadRow(module, target, abi, python, "", 1, f"{module}/{target}/{abi}")


def test_matrix_targets_by_pythons():
    rows = [
        row("m._a", "win_amd64", "cp312", "3.12"),
        row("m._a", "linux_x86_64", "abi3", "3.9"),
        row("m._a", "linux_x86_64", "cp312", "3.12"),
        row("m._a", "linux_x86_64", "cp310", "3.10"),
        row("lib:z", "linux_x86_64", "library", ""),
        row("m._b", "linux_x86_64", "cp313t", "3.13"),
        row("m._b", "linux_x86_64", "pp311", "3.11"),
        row("m._b", "linux_x86_64", "cp313", "3.13"),
        row("m._b", "linux_x86_64", "cp312", "3.12"),
    ]
    assert format_matrix(rows).splitlines() == [
        "m._a            cp310  cp312  abi3>=3.9",
        "  linux_x86_64  x      x      x",
        "  win_amd64     -      x      -",
        "",
        "m._b            cp312  cp313  cp313t  pp311",
        "  linux_x86_64  x      x      x       x",
    ]
