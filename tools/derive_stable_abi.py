"""Derive python3.dll's export list (the stable ABI on Windows) for a CPython newer than the newest real
python3.dll here, from its headers and the previous release's list.

Rule: a release's python3.dll exports what the previous release's did, plus every name that is
1. declared by the headers in the limited-API view of that release (an extension's view: Python.h with
   `Py_LIMITED_API=0x03XY0000`, preprocessed for win_amd64 by zig cc with fatpack's pyconfig.h, with and
   without PY_SSIZE_T_CLEAN; `__declspec(dllimport)` declarations), and
2. exported by the same release's pythonXY.dll (its real list, or the derived one, fatpack's
   sdk/windows_exports/pythonXY.def), and
3. not declared in the previous release's limited-API view: a name the previous headers already
   declared under the limited API and its python3.dll did not export is excluded from the stable ABI on
   Windows on purpose (PyOS_AfterFork: stable ABI only where fork exists).
minus the previous names the previous pythonXY.dll exported and this release's no longer does (3.11
dropped five private names such as _PyObject_GC_Malloc with their functions). Names python3.dll forwards
although no pythonXY.dll on x64 exports them (PyOS_CheckStack) stay.

Checked against python.org's DLLs: deriving 3.11 from 3.10, 3.12 from 3.11 and 3.13 from 3.12 (real
python3.dll, pythonXY.dll and pyenv's headers 3.10.13, 3.11.7, 3.12.1, 3.13.0) gives no name the real
python3.dll lacks; 3.12 and 3.13 match exactly, 3.11 lacks 3 names no header declares under the limited
API (PyOS_CheckStack, _Py_NegativeRefcount, _Py_RefTotal: x86 and debug-build names python311.dll does not
export either). Run with --check to repeat that.

    python tools/derive_stable_abi.py \\
        --previous ~/.pyenv/versions/3.13.0/include/python3.13 fatpack/sdk/windows_exports/python3.def \\
                   fatpack/sdk/windows_exports/python313.def \\
        --release ROOT/usr/include/python3.14 fatpack/sdk/windows_exports/python314.def \\
        --release ROOT/usr/include/python3.15 fatpack/sdk/windows_exports/python315.def \\
        --write fatpack/sdk/windows_exports/python3.def --comment HEADER.txt
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from derive_windows_exports import exported_declarations, read_def, write_def

from fatpack.runner import run_command, zig_command
from fatpack.sdk import headers_version
from fatpack.sdk.windows import render_pyconfig
from fatpack.targets import TARGETS

# `__declspec(dllimport)` as pyport.h writes PyAPI_FUNC for an extension, and as mingw-w64 spells it
IMPORT_SPELLINGS = (
    ("__declspec", "(", "dllimport", ")"),
    ("__attribute__", "(", "(", "dllimport", ")", ")"),
)


def limited_api_declarations(include_dir: Path) -> frozenset[str]:
    """Every name Python.h declares for an extension built with Py_LIMITED_API at this release's own
    version, on win_amd64."""
    minor = headers_version(include_dir)[1]
    found: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="fatpack-stable-abi-") as tmp:
        copy = Path(tmp) / "include"
        shutil.copytree(include_dir, copy, symlinks=False)
        (copy / "pyconfig.h").write_text(render_pyconfig(TARGETS["win_amd64"]), encoding="ascii")
        unit = Path(tmp) / "limited.c"
        unit.write_text('#include "Python.h"\n', encoding="ascii")
        for extra in ((), ("-DPY_SSIZE_T_CLEAN",)):
            command = [*zig_command("cc"), "-target", "x86_64-windows-gnu", "-E"]
            command += [f"-DPy_LIMITED_API=0x03{minor:02X}0000", *extra, "-I", str(copy), "-Wno-everything"]
            text = run_command([*command, str(unit)], capture=True)
            found.update(exported_declarations(text, str(copy), IMPORT_SPELLINGS))
    return frozenset(found)


def next_stable_abi(
    previous: dict[str, bool],
    previous_declared: frozenset[str],
    previous_versioned: dict[str, bool],
    declared: frozenset[str],
    versioned: dict[str, bool],
) -> dict[str, bool]:
    """The next release's python3.dll exports (name -> data) by the rule in the module docstring."""
    added = {
        n: versioned[n]
        for n in declared
        if n in versioned and n not in previous and n not in previous_declared
    }
    kept = {n: d for n, d in previous.items() if n in versioned or n not in previous_versioned}
    return {**kept, **added}


def dll_exports(path: Path) -> dict[str, bool]:
    """{name: False} for a real DLL's named exports (for --check; data-ness is not compared)."""
    import pefile

    pe = pefile.PE(str(path), fast_load=True)
    pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_EXPORT"]])
    return {s.name.decode(): False for s in pe.DIRECTORY_ENTRY_EXPORT.symbols if s.name}


def check(pairs: list[tuple[Path, Path, Path]]) -> int:
    """Derive each release's python3.dll from the one before (include dir, python3.dll, pythonXY.dll of
    consecutive releases) and print how the derived list differs from the real one."""
    bad = 0
    for (old_inc, old_p3, old_versioned), (inc, p3, versioned) in zip(pairs, pairs[1:]):
        derived = next_stable_abi(
            dll_exports(old_p3),
            limited_api_declarations(old_inc),
            dll_exports(old_versioned),
            limited_api_declarations(inc),
            dll_exports(versioned),
        )
        real = dll_exports(p3)
        extra, lacking = sorted(set(derived) - set(real)), sorted(set(real) - set(derived))
        bad += len(extra)
        print(
            f"{inc.name}: derived {len(derived)}, real {len(real)}; derived only {extra}; real only {lacking}"
        )
    return 1 if bad else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--previous", nargs=3, type=Path, metavar=("INCLUDE", "PYTHON3_DEF", "PYTHONXY_DEF"),
        help="the newest release with a real python3.dll: its headers, python3.def and pythonXY.def",
    )  # fmt: skip
    parser.add_argument(
        "--release", nargs=2, type=Path, action="append", default=[], metavar=("INCLUDE", "DEF")
    )
    parser.add_argument("--write", type=Path)
    parser.add_argument("--comment", type=Path, help="a text file whose lines head the written .def")
    parser.add_argument(
        "--check", nargs=3, type=Path, action="append", metavar=("INCLUDE", "PYTHON3_DLL", "PYTHONXY_DLL"),
        help="consecutive releases' headers and real DLLs, oldest first (repeat)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.check:
        return check(args.check)
    if args.previous is None or not args.release:
        parser.error("--previous and at least one --release are needed (or --check)")
    stable, previous_declared = read_def(args.previous[1]), limited_api_declarations(args.previous[0])
    previous_versioned = read_def(args.previous[2])
    for include_dir, versioned_def in args.release:
        declared, versioned = limited_api_declarations(include_dir), read_def(versioned_def)
        grown = next_stable_abi(stable, previous_declared, previous_versioned, declared, versioned)
        print(
            f"{include_dir.name}: {len(grown) - len(stable)} names added: {sorted(set(grown) - set(stable))}"
        )
        stable, previous_declared, previous_versioned = grown, declared, versioned
    if args.write:
        comment = args.comment.read_text(encoding="utf-8").splitlines() if args.comment else []
        write_def(args.write, stable, comment)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
