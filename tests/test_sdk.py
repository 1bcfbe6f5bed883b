import sys
from pathlib import Path

import pytest

from fatpack.errors import ConfigError
from fatpack.sdk import check_headers_fit, host_headers, prepare_sdk
from fatpack.sdk.windows import EXPORTS_DIR, python_dll, render_pyconfig
from fatpack.targets import TARGETS, PythonAbi

WIN = TARGETS["win_amd64"]
LINUX = TARGETS["linux_x86_64"]


def test_windows_pyconfig_is_llp64_and_win64():
    text = render_pyconfig(WIN)
    for line in (
        "#define SIZEOF_LONG 4",
        "#define SIZEOF_VOID_P 8",
        "#define SIZEOF_SIZE_T 8",
        "#define SIZEOF_WCHAR_T 2",
        "#define MS_WIN64",
        "#define MS_WINDOWS",
        "#define HAVE_DECLSPEC_DLL",
        "#define Py_ENABLE_SHARED 1",
    ):
        assert line in text


def test_export_lists_mark_data():
    stable = (EXPORTS_DIR / "python3.def").read_text().splitlines()
    assert stable[:2] == ["LIBRARY python3.dll", "EXPORTS"]
    assert "PyExc_TypeError DATA" in stable and "_Py_NoneStruct DATA" in stable
    assert "PyLong_FromLong" in stable
    assert len(stable) - 2 == 902 and sum(line.endswith(" DATA") for line in stable) == 142
    for minor in range(8, 14):
        lines = (EXPORTS_DIR / f"python3{minor}.def").read_text().splitlines()
        assert lines[0] == f"LIBRARY python3{minor}.dll"
        assert "PyExc_ValueError DATA" in lines and "PyTuple_New" in lines


def test_python_dll_per_abi():
    assert python_dll(PythonAbi(8, True)) == "python3"
    assert python_dll(PythonAbi(11, False)) == "python311"


def test_windows_sdk_copies_headers_with_its_own_pyconfig(tmp_path, runner):
    sdk = prepare_sdk(WIN, PythonAbi(8, True), tmp_path, runner)
    (include,) = sdk.include_dirs
    assert (include / "Python.h").is_file()
    assert "SIZEOF_LONG 4" in (include / "pyconfig.h").read_text()
    assert sdk.defines == (("Py_LIMITED_API", "0x03080000"),)
    assert [p.name for p in sdk.link_inputs] == ["libpython3.a"]
    # the host's own headers are untouched
    assert "SIZEOF_LONG 8" in (host_headers().include_dir / "pyconfig.h").read_text()


def test_headers_must_fit_abi():
    headers = host_headers()
    newer = PythonAbi(sys.version_info[1] + 1, abi3=False)
    with pytest.raises(
        ConfigError, match=rf"cp3{newer.minor} for linux_x86_64 needs Python 3.{newer.minor} headers"
    ):
        check_headers_fit(newer, headers, LINUX)
    with pytest.raises(ConfigError, match=rf"needs Python headers >= 3.{sys.version_info[1] + 1}"):
        check_headers_fit(PythonAbi(sys.version_info[1] + 1, abi3=True), headers, LINUX)
    check_headers_fit(PythonAbi(8, True), headers, LINUX)


def test_windows_layout_by_path(tmp_path, runner):
    """A real Windows Python layout (include/, libs/) given by path is used as it is."""
    layout = tmp_path / "Python311"
    (layout / "include").mkdir(parents=True)
    (layout / "include" / "Python.h").write_text("")
    (layout / "include" / "patchlevel.h").write_text(
        "#define PY_MAJOR_VERSION 3\n#define PY_MINOR_VERSION 11\n"
    )
    (layout / "libs").mkdir()
    (layout / "libs" / "python311.lib").write_bytes(b"")
    sdk = prepare_sdk(WIN, PythonAbi(11, False), tmp_path / "w", runner, sdk_path=layout)
    assert sdk.include_dirs == (layout / "include",)
    assert sdk.link_inputs == (layout / "libs" / "python311.lib",)
    assert ("MS_WIN64", None) in sdk.defines
    with pytest.raises(ConfigError, match=r"python3.lib not found"):
        prepare_sdk(WIN, PythonAbi(8, True), tmp_path / "w", runner, sdk_path=layout)
    assert runner.commands == []


def test_sdk_path_only_for_windows(tmp_path, runner):
    with pytest.raises(ConfigError, match="only for Windows targets"):
        prepare_sdk(LINUX, PythonAbi(8, True), tmp_path, runner, sdk_path=Path("/x"))


def test_the_import_library_of_a_windows_layout_is_in_the_fingerprint(tmp_path):
    """sdk = { win_amd64 = "Python311" }: pythonXY.lib is linked, read by no compiler, so no dependency
    file names it; another one under the same path must change the payload cache key."""
    from fatpack.sdk import sdk_fingerprint

    layout = tmp_path / "Python311"
    (layout / "include").mkdir(parents=True)
    (layout / "include" / "patchlevel.h").write_text(
        "#define PY_MAJOR_VERSION 3\n#define PY_MINOR_VERSION 11\n"
    )
    (layout / "libs").mkdir()
    library = layout / "libs" / "python311.lib"
    library.write_bytes(b"one")
    first = sdk_fingerprint(WIN, PythonAbi(11, False), layout)
    library.write_bytes(b"another")
    assert sdk_fingerprint(WIN, PythonAbi(11, False), layout) != first
