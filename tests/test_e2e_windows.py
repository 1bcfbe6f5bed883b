"""The same fat wheel on python.org CPython for Windows (amd64) under Wine: pip install, import, call."""

import sys

import pytest
from conftest import HOST_ABI
from winepython import WindowsPython

pytestmark = [pytest.mark.compile, pytest.mark.wine]

PROBE = (
    "import sys, hello, hello._core as c, hello._fatpack as f; "
    "print(sys.version.split()[0], hello.add(40, 2), hello.greet('Windows'), hello.median([3, 9, 1]), hello.sizeof_long(), hello.built_for()); "
    "print(c.__file__); print('|'.join(sorted(f._dll_directories)))"
)


def install_and_probe(wheel, version, tmp_path):
    python = WindowsPython(version, tmp_path / f"py{version}")
    python.pip_install(wheel)
    out = python.check("-c", PROBE).splitlines()
    assert len(out) == 3, out
    return out


@pytest.mark.parametrize("version", ["3.8", "3.13"])
def test_abi3_payload_on_official_windows_python(hello_wheel, version, tmp_path):
    values, file, dll_dirs = install_and_probe(hello_wheel, version, tmp_path)
    running, *rest = values.split(" ", 1)
    assert running.startswith(version + ".")
    # sizeof(long) == 4 proves the Windows pyconfig.h (LLP64) was used, not the Linux one.
    assert rest == ["42 Hello, Windows! 3 4 windows"]
    assert file.endswith(r"\Lib\site-packages\hello\_fatpack\win_amd64\hello._core.abi3.pyd")
    # the loader added the payload directory, and only it, to the DLL search path
    assert dll_dirs == file.rpartition("\\")[0]


def test_version_specific_payload_on_matching_windows_python(hello_mixed_wheel, tmp_path):
    version = f"3.{sys.version_info[1]}"
    values, file, _ = install_and_probe(hello_mixed_wheel, version, tmp_path)
    assert values.split(" ", 1)[1] == "42 Hello, Windows! 3 4 windows"
    assert file.endswith(rf"\hello\_fatpack\win_amd64\hello._core.{HOST_ABI}.pyd")
