"""A Windows Python SDK made on Linux: headers with a Windows pyconfig.h, import libraries from .def files.

No Windows files are needed. The headers are the host's (they are the same tree on every OS except
pyconfig.h); pyconfig.h is rendered for the target (LLP64 sizes, MS_WIN64, dllimport); import libraries
for python3.dll / pythonXY.dll come from export lists taken once from python.org's DLLs
(tools/gen_windows_exports.py), DATA exports marked; 3.14's and 3.15's are derived from their headers
(tools/derive_windows_exports.py; each .def's header says so). A real Windows Python layout (include/,
libs/) can be given by path instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

from fatpack.errors import ConfigError
from fatpack.runner import Runner, zig_command
from fatpack.sdk import Headers, PythonSdk, abi_defines, check_headers_fit, headers_version, host_headers
from fatpack.targets import PythonAbi, Target

EXPORTS_DIR = Path(__file__).parent / "windows_exports"

_DLLTOOL_MACHINE = {"x86_64": "i386:x86-64", "aarch64": "arm64", "x86": "i386"}


def python_dll(abi: PythonAbi) -> str:
    """The DLL an extension of this ABI links: python3.dll for abi3, python3XY.dll otherwise, and the
    free-threaded build's python3XYt.dll for cpXYt."""
    return "python3" if abi.abi3 else f"python3{abi.minor}{abi.flags}"


def render_pyconfig(target: Target, free_threaded: bool = False) -> str:
    """pyconfig.h for a GCC/clang build of an extension for official (MSVC-built) Windows CPython; for
    the free-threaded build with Py_GIL_DISABLED defined, which python.org's Windows pyconfig.h leaves
    to the build (its installer's free-threaded headers get it from the build; an extension must say it)."""
    pointer = target.pointer_size
    win64 = "#define MS_WIN64\n" if pointer == 8 else ""
    gil = (
        "\n/* the free-threaded build (PEP 703): python3XYt.dll */\n#define Py_GIL_DISABLED 1\n"
        if free_threaded
        else ""
    )
    return f"""\
/* pyconfig.h rendered by fatpack for {target.name}: an extension built by GCC/clang for python.org CPython.
   Windows is LLP64: long is 4 bytes, pointers {pointer}. */
#ifndef Py_CONFIG_H
#define Py_CONFIG_H
{gil}
#define MS_WIN32
{win64}#define MS_WINDOWS
#define NT_THREADS
#define WITH_THREAD
#define PLATFORM "win32"
#ifndef Py_NO_ENABLE_SHARED
#define Py_ENABLE_SHARED 1
#define MS_COREDLL
#endif
#define HAVE_DECLSPEC_DLL

#define SIZEOF_SHORT 2
#define SIZEOF_INT 4
#define SIZEOF_LONG 4
#define ALIGNOF_LONG 4
#define SIZEOF_LONG_LONG 8
#define SIZEOF_DOUBLE 8
#define SIZEOF_FLOAT 4
#define SIZEOF_WCHAR_T 2
#define SIZEOF__BOOL 1
#define SIZEOF_PID_T SIZEOF_INT
#define SIZEOF_VOID_P {pointer}
#define SIZEOF_SIZE_T {pointer}
#define ALIGNOF_SIZE_T {pointer}
#define SIZEOF_TIME_T 8
#define SIZEOF_OFF_T 4
#define SIZEOF_FPOS_T 8
#define SIZEOF_HKEY {pointer}
#define ALIGNOF_MAX_ALIGN_T 8
#define LONG_BIT 32
#define WORD_BIT 32
#define HAVE_LARGEFILE_SUPPORT

#define PY_LONG_LONG long long
#define PY_LLONG_MIN LLONG_MIN
#define PY_LLONG_MAX LLONG_MAX
#define PY_ULLONG_MAX ULLONG_MAX
#define PY_UINT32_T uint32_t
#define PY_UINT64_T uint64_t
#define PY_INT32_T int32_t
#define PY_INT64_T int64_t

#define HAVE_WCHAR_H 1
#define HAVE_STDDEF_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_IO_H
#define HAVE_DYNAMIC_LOADING
#define STDC_HEADERS 1
#define DOUBLE_IS_LITTLE_ENDIAN_IEEE754 1
#define WITH_DOC_STRINGS 1
#define WITH_PYMALLOC 1

#include <io.h>
#include <stdio.h>

#endif /* !Py_CONFIG_H */
"""


def prepare(
    target: Target,
    abi: PythonAbi,
    work_dir: Path,
    runner: Runner,
    sdk_path: Optional[Path] = None,
    headers: Optional[Headers] = None,
) -> PythonSdk:
    """`headers` (default this interpreter's) with the Windows pyconfig.h, and the import library of
    the DLL the ABI links (python3.dll or python3XY.dll: an export list per version)."""
    if sdk_path is not None:
        return _from_windows_layout(target, abi, sdk_path)
    # other headers than this interpreter's get a directory of their own (one work_dir, several versions)
    sdk_dir = work_dir / (
        f"sdk-{target.name}" if headers is None else f"sdk-{target.name}-py3{headers.version[1]}"
    )
    sdk_dir = sdk_dir.with_name(sdk_dir.name + abi.flags)  # the t build's pyconfig.h differs
    headers = headers or host_headers()
    check_headers_fit(abi, headers, target)
    include_dir = _windows_include_dir(target, headers, sdk_dir, abi.free_threaded)
    import_lib = make_import_library(python_dll(abi), target, sdk_dir, runner)
    return PythonSdk(include_dirs=(include_dir,), defines=abi_defines(abi), link_inputs=(import_lib,))


def _windows_include_dir(
    target: Target, headers: Headers, sdk_dir: Path, free_threaded: bool = False
) -> Path:
    """A copy of the host headers whose pyconfig.h is the Windows one.

    Python.h includes "pyconfig.h" with quotes, so the replacement must sit in the copy itself: an
    earlier -I directory would lose to the file beside Python.h.
    """
    include_dir = sdk_dir / "include"
    if not include_dir.is_dir():
        shutil.copytree(headers.include_dir, include_dir)
        (include_dir / "pyconfig.h").write_text(render_pyconfig(target, free_threaded), encoding="ascii")
    return include_dir


def make_import_library(dll: str, target: Target, out_dir: Path, runner: Runner) -> Path:
    """lib<dll>.a for the GNU linker, made by `zig dlltool` from the committed export list."""
    def_file = EXPORTS_DIR / f"{dll}.def"
    if not def_file.is_file():
        known = sorted(p.stem for p in EXPORTS_DIR.glob("*.def"))
        raise ConfigError(f"no export list for {dll}.dll (fatpack knows {', '.join(known)})")
    out_dir.mkdir(parents=True, exist_ok=True)
    library = out_dir / f"lib{dll}.a"
    if not library.is_file():
        machine = _DLLTOOL_MACHINE[target.arch]
        runner([*zig_command("dlltool"), "-m", machine, "-d", str(def_file), "-l", str(library)])
    return library


def _from_windows_layout(target: Target, abi: PythonAbi, root: Path) -> PythonSdk:
    """Use a Windows Python installation's own include/ and libs/ (pythonXY.lib, python3.lib)."""
    include_dir, libs_dir = root / "include", root / "libs"
    if not (include_dir / "Python.h").is_file():
        raise ConfigError(f"tool.fatpack.sdk.{target.name}: {include_dir} has no Python.h")
    headers = Headers(include_dir, headers_version(include_dir))
    check_headers_fit(abi, headers, target)
    library = libs_dir / f"{python_dll(abi)}.lib"
    if not library.is_file():
        raise ConfigError(f"tool.fatpack.sdk.{target.name}: {library} not found")
    # The official pyconfig.h defines MS_WIN64 only for MSVC before 3.12: a clang build must say it.
    defines = abi_defines(abi) + ((("MS_WIN64", None),) if target.pointer_size == 8 else ())
    return PythonSdk(include_dirs=(include_dir,), defines=defines, link_inputs=(library,))


def import_library_for_dll(dll: Path, target: Target, out_dir: Path, runner: Runner) -> Path:
    """An import library for a prebuilt DLL: its export table (read with pefile) as a .def, then dlltool."""
    import pefile

    try:
        pe = pefile.PE(str(dll), fast_load=True)
        pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_EXPORT"]])
        names = [s.name.decode() for s in pe.DIRECTORY_ENTRY_EXPORT.symbols if s.name]
    except (pefile.PEFormatError, AttributeError) as exc:
        raise ConfigError(
            f"{dll.name} for {target.name} is not a DLL with exports, so no import library can be made: {exc}"
        ) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    def_file = out_dir / f"{dll.stem}.def"
    def_file.write_text(f"LIBRARY {dll.name}\nEXPORTS\n" + "".join(f"{n}\n" for n in names), encoding="ascii")
    library = out_dir / f"lib{dll.stem}.dll.a"
    runner(
        [
            *zig_command("dlltool"),
            "-m",
            _DLLTOOL_MACHINE[target.arch],
            "-d",
            str(def_file),
            "-l",
            str(library),
        ]
    )
    return library
