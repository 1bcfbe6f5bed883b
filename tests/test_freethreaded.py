"""Free-threaded CPython (PEP 703, issue 22 item 4): `cp313t` payloads, built with Py_GIL_DISABLED, and a
loader that never puts a GIL payload into a free-threaded interpreter or the reverse."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import freethreaded
import pytest
from conftest import install_into
from winepython import WindowsPython

from fatpack.errors import ConfigError
from fatpack.inspection import format_matrix, format_table, inspect_artifact
from fatpack.pipeline import Options, assemble
from fatpack.sdk import windows
from fatpack.targets import TARGETS, PythonAbi, Target
from runtime_loader.loader import Host, no_payload_message, parse_manifest, select_payload

LINUX, WINDOWS = TARGETS["linux_x86_64"], TARGETS["win_amd64"]
CP313, CP313T = PythonAbi(13, abi3=False), PythonAbi(13, abi3=False, free_threaded=True)
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
    assert "cp38-abi3-linux_x86_64 abi3 cannot load on a 't' build of CPython" in message


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


def test_an_abi3_wheel_does_not_serve_cp313t():
    """A project building abi3 on every Python: its abi3 wheel serves cp313 but not cp313t, which
    cannot load it; the run stops naming both instead of shipping a payload the 3.13t refuses."""
    from fatpack.crossbuild import TargetWheel, check_serves, serves

    stable = PythonAbi(9, abi3=True)
    assert serves(stable, CP313) and not serves(stable, CP313T) and serves(CP313T, CP313T)
    wheels = [TargetWheel(LINUX, Path("p-1.0-cp39-abi3-linux_x86_64.whl"), stable, 1.0)]
    with pytest.raises(
        ConfigError, match=r"^linux_x86_64: cp313t was asked for, but the project's own build makes cp39-abi3"
    ):
        check_serves(wheels, [CP313, CP313T])


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


def test_cp314t_without_a_free_threaded_314_is_one_line_saying_what_was_found(tmp_path):
    """No 3.14t is to be had here (Debian's 3.14 is a GIL build): asking for cp314t says so in one line,
    naming the GIL 3.14 it passed over, instead of building cp314t from GIL headers."""
    from fatpack.interpreters import Places, find_interpreter

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3.14").write_text("#!/bin/sh\n")
    (bin_dir / "python3.14").chmod(0o755)
    said = {
        "version": [3, 14],
        "implementation": "cpython",
        "free_threaded": False,
        "include": "/i",
        "headers": True,
    }

    def runner(command, **options):
        return json.dumps(said)

    places = Places("/nowhere/python", (str(bin_dir),), tmp_path / "pyenv", tmp_path / "uv", tmp_path / "sys")
    with pytest.raises(ConfigError) as caught:
        find_interpreter(14, free_threaded=True, runner=runner, places=places)
    message = str(caught.value)
    assert message.startswith("no CPython 3.14t with headers found to build cp314t with (found: ")
    assert f"{bin_dir / 'python3.14'} (PATH) is not free-threaded" in message and "\n" not in message


# --- end to end: cp313 + cp313t x linux_x86_64 + win_amd64, run on pyenv's 3.13 and the built 3.13t -----

PROJECTS = Path(__file__).parent / "projects"
PYENV = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
PROBE = (
    "import sys, ftdemo._ft as m\n"
    "gil = sys._is_gil_enabled() if hasattr(sys, '_is_gil_enabled') else True\n"
    "print(m.built_free_threaded(), m.add(2, 3), gil, m.__file__)\n"
)


def pyenv_313() -> Path:
    found = sorted((PYENV / "versions").glob("3.13.*/bin/python3.13"))
    if not found:
        pytest.skip(f"pyenv's CPython 3.13 is needed (CI has it); looked for {PYENV}/versions/3.13.*")
    return found[-1]


@contextlib.contextmanager
def free_threaded_on_path() -> Iterator[Path]:
    """The built python3.13t first on PATH, where fatpack looks for a free-threaded 3.13 (its bin/ also
    holds a free-threaded `python3.13`, which fatpack probes and passes over for cp313)."""
    python = freethreaded.interpreter()
    saved = os.environ["PATH"]
    os.environ["PATH"] = os.pathsep.join([str(python.parent), saved])
    try:
        yield python
    finally:
        os.environ["PATH"] = saved


def assemble_with(project: Path, out: Path, targets: tuple[Target, ...], abis: tuple[PythonAbi, ...]) -> Path:
    pyenv_313()
    with free_threaded_on_path():
        return assemble(Options(project, out, targets=targets, abis=abis))


@pytest.fixture(scope="module")
def ft_wheel(tmp_path_factory) -> Path:
    """The setuptools fixture cross-built by its own backend for cp313 (pyenv's 3.13) and cp313t (the
    built 3.13t), each for linux_x86_64 and win_amd64."""
    out = tmp_path_factory.mktemp("ft")
    return assemble_with(PROJECTS / "freethreaded", out, (LINUX, WINDOWS), (CP313, CP313T))


@pytest.fixture(scope="module")
def gil_only_wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gil-only")
    return assemble_with(PROJECTS / "freethreaded", out, (LINUX,), (CP313,))


def payload_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return sorted(n for n in archive.namelist() if n.endswith((".so", ".pyd")))


def run_probe(python: Path, site: Path) -> subprocess.CompletedProcess[str]:
    code = f"import sys; sys.path.insert(0, {str(site)!r})\n{PROBE}"
    env = {**os.environ, "FATPACK_DEBUG": "1"}
    return subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True, env=env)


@pytest.mark.compile
@pytest.mark.network
def test_the_wheel_holds_a_gil_and_a_free_threaded_payload_per_target(ft_wheel):
    base = "ftdemo/_fatpack"
    assert payload_names(ft_wheel) == [
        f"{base}/linux_x86_64/cp313/ftdemo/_ft.cpython-313-x86_64-linux-gnu.so",
        f"{base}/linux_x86_64/cp313t/ftdemo/_ft.cpython-313t-x86_64-linux-gnu.so",
        f"{base}/win_amd64/cp313/ftdemo/_ft.cp313-win_amd64.pyd",
        f"{base}/win_amd64/cp313t/ftdemo/_ft.cp313t-win_amd64.pyd",
    ]
    rows = {(r.target, r.abi, r.free_threaded) for r in inspect_artifact(ft_wheel)}
    assert rows == {(t, a, a == "cp313t") for t in ("linux_x86_64", "win_amd64") for a in ("cp313", "cp313t")}
    table = format_table(inspect_artifact(ft_wheel))
    assert "cp313t  3.13t " in table and "cp313   3.13  " in table, table
    assert format_matrix(inspect_artifact(ft_wheel)).splitlines() == [
        "ftdemo._ft      cp313  cp313t",
        "  linux_x86_64  x      x",
        "  win_amd64     x      x",
    ]


@pytest.mark.compile
@pytest.mark.network
def test_win_amd64_cp313t_imports_only_python313t_dll_names_from_its_export_list(ft_wheel):
    """Structure check only: python.org's free-threaded 3.13 for Windows is not here, so this payload is
    not run (its export list is derived, see python313t.def's header)."""
    import pefile

    exports = (windows.EXPORTS_DIR / "python313t.def").read_text(encoding="ascii").split("EXPORTS\n")[1]
    listed = {line.split()[0] for line in exports.splitlines() if line.strip()}
    with zipfile.ZipFile(ft_wheel) as archive:
        pe = pefile.PE(data=archive.read("ftdemo/_fatpack/win_amd64/cp313t/ftdemo/_ft.cp313t-win_amd64.pyd"))
        gil = pefile.PE(data=archive.read("ftdemo/_fatpack/win_amd64/cp313/ftdemo/_ft.cp313-win_amd64.pyd"))
    imports = {entry.dll.decode().lower(): entry for entry in pe.DIRECTORY_ENTRY_IMPORT}
    assert [dll for dll in imports if dll.startswith("python")] == ["python313t.dll"]
    names = {imp.name.decode() for imp in imports["python313t.dll"].imports}
    assert names and names <= listed, names - listed
    assert "PyModuleDef_Init" in names
    assert "PyInit__ft" in {e.name.decode() for e in pe.DIRECTORY_ENTRY_EXPORT.symbols if e.name}
    gil_dlls = [e.dll.decode().lower() for e in gil.DIRECTORY_ENTRY_IMPORT]
    assert [dll for dll in gil_dlls if dll.startswith("python")] == ["python313.dll"]


@pytest.mark.compile
@pytest.mark.network
def test_the_free_threaded_313_takes_cp313t_and_keeps_its_gil_off(ft_wheel, tmp_path):
    site = install_into(ft_wheel, tmp_path / "site")
    proc = run_probe(freethreaded.interpreter(), site)
    assert proc.returncode == 0, proc.stderr
    built_free_threaded, total, gil, path = proc.stdout.split()
    assert (built_free_threaded, total, gil) == ("True", "5", "False"), proc.stdout
    assert path.endswith("/linux_x86_64/cp313t/ftdemo/_ft.cpython-313t-x86_64-linux-gnu.so"), path
    assert "ftdemo._ft on host cp313t-linux_x86_64" in proc.stderr, proc.stderr
    assert "chose cp313t-linux_x86_64 -> " in proc.stderr, proc.stderr
    assert "skip cp313-linux_x86_64: built for CPython with the GIL; this is a free-threaded" in proc.stderr


@pytest.mark.compile
@pytest.mark.network
def test_pyenvs_gil_313_takes_cp313(ft_wheel, tmp_path):
    site = install_into(ft_wheel, tmp_path / "site")
    proc = run_probe(pyenv_313(), site)
    assert proc.returncode == 0, proc.stderr
    built_free_threaded, total, gil, path = proc.stdout.split()
    assert (built_free_threaded, total, gil) == ("False", "5", "True"), proc.stdout
    assert path.endswith("/linux_x86_64/cp313/ftdemo/_ft.cpython-313-x86_64-linux-gnu.so"), path
    assert "chose cp313-linux_x86_64 -> " in proc.stderr, proc.stderr
    assert "skip cp313t-linux_x86_64: built for free-threaded CPython (Py_GIL_DISABLED)" in proc.stderr


@pytest.mark.compile
@pytest.mark.wine
@pytest.mark.network
def test_python_org_313_under_wine_takes_cp313_not_cp313t(ft_wheel, tmp_path, monkeypatch):
    python = WindowsPython("3.13", tmp_path / "py")
    python.pip_install(ft_wheel)
    monkeypatch.setenv("FATPACK_DEBUG", "1")  # Wine hands the environment to the Windows process
    proc = python.run("-c", PROBE)
    assert proc.returncode == 0, proc.stderr
    built_free_threaded, total, gil, path = proc.stdout.split()
    assert (built_free_threaded, total, gil) == ("False", "5", "True"), proc.stdout
    assert path.endswith("\\win_amd64\\cp313\\ftdemo\\_ft.cp313-win_amd64.pyd"), path
    assert "chose cp313-win_amd64 -> " in proc.stderr, proc.stderr
    assert "skip cp313t-win_amd64: built for free-threaded CPython (Py_GIL_DISABLED)" in proc.stderr


@pytest.mark.compile
@pytest.mark.network
def test_a_wheel_with_only_cp313_refuses_on_313t_saying_why(gil_only_wheel, tmp_path):
    assert payload_names(gil_only_wheel) == [
        "ftdemo/_fatpack/linux_x86_64/cp313/ftdemo/_ft.cpython-313-x86_64-linux-gnu.so"
    ]
    site = install_into(gil_only_wheel, tmp_path / "site")
    proc = run_probe(freethreaded.interpreter(), site)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "ImportError: ftdemo._ft: no usable native payload for this interpreter (cp313t-linux_x86_64): "
        "cp313-linux_x86_64 built for CPython with the GIL; this is a free-threaded CPython (3.13t), "
        "which loads only cp313t payloads"
    ), last


FATPACK_PROJECT = """\
[project]
name = "freethreaded-fatpack"
version = "1.0"

[tool.fatpack]
python = ["cp313", "cp313t"]
targets = ["linux_x86_64", "win_amd64"]

[[tool.fatpack.extension]]
name = "ftdemo._ft"
sources = ["src/ftdemo/_ft.c"]
"""


@pytest.fixture(scope="module")
def own_compiles_ft_wheel(tmp_path_factory) -> Path:
    """The fixture's extension declared in [tool.fatpack] (fatpack compiles it with zig) for cp313 and
    cp313t: pyenv's 3.13 headers for one, the built 3.13t's (include/python3.13t) for the other."""
    root = tmp_path_factory.mktemp("own-ft")
    shutil.copytree(PROJECTS / "freethreaded" / "src", root / "project" / "src")
    (root / "project" / "pyproject.toml").write_text(FATPACK_PROJECT)
    pyenv_313()
    with free_threaded_on_path():
        return assemble(Options(root / "project", root / "out", cache_dir=root / "cache"))


@pytest.mark.compile
@pytest.mark.network  # the 3.13t is built from Debian's source the first time
def test_fatpacks_own_compiles_of_cp313t_run_on_313t_and_cp313_on_313(own_compiles_ft_wheel, tmp_path):
    import pefile

    site = install_into(own_compiles_ft_wheel, tmp_path / "site")
    for python, chosen, built in (
        (freethreaded.interpreter(), "cp313t", "True"),
        (pyenv_313(), "cp313", "False"),
    ):
        proc = run_probe(python, site)
        assert proc.returncode == 0, proc.stderr
        built_free_threaded, total, gil, _ = proc.stdout.split()
        assert (built_free_threaded, total, gil) == (built, "5", str(built == "False")), proc.stdout
        assert f"chose {chosen}-linux_x86_64 -> " in proc.stderr, proc.stderr
    with zipfile.ZipFile(own_compiles_ft_wheel) as archive:
        pyd = next(n for n in archive.namelist() if n.endswith(".pyd") and "cp313t" in n)
        pe = pefile.PE(data=archive.read(pyd))
    assert [
        e.dll.decode().lower() for e in pe.DIRECTORY_ENTRY_IMPORT if e.dll.lower().startswith(b"python")
    ] == ["python313t.dll"]
