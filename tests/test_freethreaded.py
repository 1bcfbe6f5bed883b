"""Free-threaded CPython (PEP 703, issue 22 item 4): `cp313t` payloads, built with Py_GIL_DISABLED, and a
loader that never puts a GIL payload into a free-threaded interpreter or the reverse."""

from __future__ import annotations

import pytest

from fatpack.errors import ConfigError
from fatpack.sdk import windows
from fatpack.targets import TARGETS, PythonAbi
from runtime_loader.loader import Host, no_payload_message, parse_manifest, select_payload

LINUX, WINDOWS = TARGETS["linux_x86_64"], TARGETS["win_amd64"]
HEADER = "module\ttarget\tabi\tpython\trequires\tfile\tsha256\n"
BOTH = parse_manifest(
    HEADER
    + "m\tlinux_x86_64\tcp313\t3.13\tglibc 2.17\tlinux_x86_64/m.cp313.so\ta\n"
    + "m\tlinux_x86_64\tcp313t\t3.13\tglibc 2.17\tlinux_x86_64/m.cp313t.so\tb\n"
    + "m\twin_amd64\tcp313\t3.13\t\twin_amd64/m.cp313.pyd\tc\n"
    + "m\twin_amd64\tcp313t\t3.13\t\twin_amd64/m.cp313t.pyd\td\n"
)
GIL_ONLY = parse_manifest(
    HEADER
    + "m\tlinux_x86_64\tcp313\t3.13\tglibc 2.17\tlinux_x86_64/m.cp313.so\ta\n"
    + "m\tlinux_x86_64\tabi3\t3.8\tglibc 2.17\tlinux_x86_64/m.abi3.so\te\n"
)
FT_ONLY = parse_manifest(HEADER + "m\tlinux_x86_64\tcp313t\t3.13\tglibc 2.17\tlinux_x86_64/m.cp313t.so\tb\n")


def host(target: str, flags: str = "", version: tuple[int, int] = (3, 13)) -> Host:
    floors = {"glibc": (2, 36)} if target.startswith("linux_") else {}
    return Host((target,), version, flags, "cpython", floors)


# --- the ABI in config and on the command line ---------------------------------------------------------


def test_cpxyt_parses_and_is_named_as_cpython_names_it():
    abi = PythonAbi.parse("cp313t")
    assert abi == PythonAbi(13, abi3=False, free_threaded=True)
    assert (abi.tag, abi.label, abi.file_label, str(abi)) == ("cp313t", "cp313t", "cp313t", "cp313t")
    gil = PythonAbi.parse("cp313")
    assert gil != abi and gil.file_label == "cp313" and not gil.free_threaded
    assert PythonAbi.parse("cp314t").tag == "cp314t" and PythonAbi.parse("cp315t").tag == "cp315t"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("cp313t-abi3", "Python ABI 'cp313t-abi3' in python: abi3t is not supported yet; ask for the "
         "free-threaded 'cp313t' instead"),
        ("cp315t-abi3", "abi3t is not supported yet"),
        ("cp312t", "Python ABI 'cp312t' in python: there is no free-threaded CPython before 3.13 "
         "(cp313t is the first)"),
        ("cp38t", "no free-threaded CPython before 3.13"),
        ("cp313tt", "unknown Python ABI 'cp313tt'"),
    ],
)  # fmt: skip
def test_what_cannot_be_free_threaded_is_refused_in_one_line(text, says):
    with pytest.raises(ConfigError) as caught:
        PythonAbi.parse(text)
    assert says in str(caught.value) and "\n" not in str(caught.value)


# --- the loader ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["linux_x86_64", "win_amd64"])
def test_a_free_threaded_interpreter_takes_the_t_payload_and_a_gil_one_the_other(target):
    ft, rejected = select_payload(BOTH, "m", host(target, "t"))
    assert ft is not None and ft.abi == "cp313t" and ft.label == f"cp313t-{target}"
    assert (f"cp313-{target}", "built for CPython with the GIL; this is a free-threaded CPython (3.13t), "
            "which loads only cp313t payloads") in {(e.label, r) for e, r in rejected}  # fmt: skip
    gil, rejected = select_payload(BOTH, "m", host(target))
    assert gil is not None and gil.abi == "cp313" and gil.label == f"cp313-{target}"
    assert (f"cp313t-{target}", "built for free-threaded CPython (Py_GIL_DISABLED); this CPython has "
            "the GIL") in {(e.label, r) for e, r in rejected}  # fmt: skip


def test_a_free_threaded_interpreter_refuses_gil_and_abi3_payloads_saying_why():
    h = host("linux_x86_64", "t")
    best, rejected = select_payload(GIL_ONLY, "m", h)
    assert best is None
    message = no_payload_message("m", h, rejected)
    assert message.startswith("m: no usable native payload for this interpreter (cp313t-linux_x86_64): ")
    assert "cp313-linux_x86_64 built for CPython with the GIL; this is a free-threaded CPython" in message
    assert "cp38-abi3-linux_x86_64 built for CPython with the GIL" in message


def test_a_gil_interpreter_never_loads_a_t_payload():
    h = host("linux_x86_64")
    best, rejected = select_payload(FT_ONLY, "m", h)
    assert best is None
    assert "cp313t-linux_x86_64 built for free-threaded CPython" in no_payload_message("m", h, rejected)


def test_a_t_payload_is_for_its_own_version_only_and_not_for_debug_builds():
    assert select_payload(FT_ONLY, "m", host("linux_x86_64", "t", (3, 14)))[0] is None
    assert select_payload(FT_ONLY, "m", host("linux_x86_64", "td"))[0] is None
    assert select_payload(BOTH, "m", host("linux_x86_64", "d"))[0] is None


# --- the SDK: Windows pyconfig.h and DLL, Linux headers of the right kind --------------------------------


def test_windows_cp313t_links_python313t_dll_with_py_gil_disabled_defined():
    ft, gil = PythonAbi(13, abi3=False, free_threaded=True), PythonAbi(13, abi3=False)
    assert (windows.python_dll(ft), windows.python_dll(gil)) == ("python313t", "python313")
    assert "#define Py_GIL_DISABLED 1" in windows.render_pyconfig(WINDOWS, free_threaded=True)
    assert "Py_GIL_DISABLED" not in windows.render_pyconfig(WINDOWS)
    exports = (windows.EXPORTS_DIR / "python313t.def").read_text(encoding="ascii")
    assert "LIBRARY python313t.dll" in exports and "\n_Py_MergeZeroLocalRefcount\n" in exports


def test_the_t_payload_has_its_own_cache_key_and_needs_free_threaded_headers(tmp_path):
    from test_matrix import fake_headers

    from fatpack.sdk import headers_at, sdk_fingerprint

    ft, gil = PythonAbi(13, abi3=False, free_threaded=True), PythonAbi(13, abi3=False)
    gil_headers = headers_at(fake_headers(tmp_path / "gil", 13, "/* #undef Py_GIL_DISABLED */\n"))
    ft_headers = headers_at(fake_headers(tmp_path / "ft", 13, "#define Py_GIL_DISABLED 1\n"))
    assert sdk_fingerprint(WINDOWS, ft, headers=gil_headers) != sdk_fingerprint(
        WINDOWS, gil, headers=gil_headers
    )
    assert sdk_fingerprint(LINUX, ft, headers=ft_headers) != sdk_fingerprint(LINUX, gil, headers=gil_headers)
    with pytest.raises(ConfigError) as caught:
        sdk_fingerprint(LINUX, ft, headers=gil_headers)
    assert str(caught.value) == (
        f"cp313t for linux_x86_64 needs a free-threaded CPython 3.13's headers, but the pyconfig.h in "
        f"{gil_headers.include_dir} says Py_GIL_DISABLED is off"
    )
    with pytest.raises(ConfigError, match="cp313 for linux_x86_64 needs a GIL"):
        sdk_fingerprint(LINUX, gil, headers=ft_headers)


def test_the_cross_sysconfig_of_a_free_threaded_build_python_names_t_suffixes(tmp_path):
    from fatpack.crossenv import Tools, config_vars
    from fatpack.interpreters import BuildPython
    from fatpack.sdk import PythonSdk

    python = BuildPython("python3.13t", 13, {"Py_GIL_DISABLED": 1, "ABIFLAGS": "t"})
    sdk = PythonSdk((tmp_path,), ())
    linux = config_vars(LINUX, python, sdk, Tools("cc", "c++", "ar"), tmp_path)
    assert (linux["EXT_SUFFIX"], linux["SOABI"]) == (
        ".cpython-313t-x86_64-linux-gnu.so",
        "cpython-313t-x86_64-linux-gnu",
    )
    assert linux["Py_GIL_DISABLED"] == 1
    win = config_vars(WINDOWS, python, sdk, Tools("cc", "c++", "ar"), tmp_path)
    assert (win["EXT_SUFFIX"], win["SOABI"]) == (".cp313t-win_amd64.pyd", "cp313t-win_amd64")


def test_a_free_threaded_313_is_looked_for_as_python3_13t(tmp_path):
    from fatpack.interpreters import PATH as ON_PATH
    from fatpack.interpreters import Places, candidates

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("python3.13t", "python3.13"):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    places = Places("/nowhere/python", (str(bin_dir),), tmp_path / "pyenv", tmp_path / "uv", tmp_path / "sys")
    assert candidates(13, places, free_threaded=True)[:2] == [
        (str(bin_dir / "python3.13t"), ON_PATH),
        (str(bin_dir / "python3.13"), ON_PATH),
    ]
    assert candidates(13, places) == [(str(bin_dir / "python3.13"), ON_PATH)]
