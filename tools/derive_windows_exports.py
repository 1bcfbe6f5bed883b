"""Derive pythonXY.dll's export list from a CPython header tree, for versions with no Windows DLL here.

    python tools/derive_windows_exports.py HEADERS_DIR [--check DEF] [--write DEF]

HEADERS_DIR is a CPython include directory (Python.h, cpython/, internal/) of any OS: the headers are
the same tree everywhere except pyconfig.h, which is replaced by the one fatpack renders for win_amd64.

Method: a real preprocessor, not regexes over the headers. One translation unit includes Python.h, every
top-level header and every internal/ header, and is run through `zig cc -E -target x86_64-windows-gnu
-DPy_BUILD_CORE`: the view of the headers the DLL's own sources have. With Py_BUILD_CORE and
Py_ENABLE_SHARED, pyport.h expands PyAPI_FUNC(T) to `__declspec(dllexport) T` and PyAPI_DATA(T) to
`extern __declspec(dllexport) T`, and MSVC exports every definition whose declaration says dllexport. So
the derived list is every declaration carrying `__declspec(dllexport)` after preprocessing, from a file of
the header tree; `extern` before it marks DATA. Every preprocessor condition is the compiler's: MS_WINDOWS
branches in, `#ifndef MS_WINDOWS` ones out, Py_LIMITED_API undefined (the full DLL), Py_GIL_DISABLED off.

What the headers cannot say (checked against python.org's DLLs 3.8-3.13, see tools/README or the .def
header): a declaration whose definition is absent from the Windows build. Those are removed by RULES
below, each a documented reason, never a list of names.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fatpack.runner import run_command, zig_command  # noqa: E402
from fatpack.sdk.windows import render_pyconfig  # noqa: E402
from fatpack.targets import TARGETS  # noqa: E402

# headers of extension modules outside the DLL, which include third-party headers (py_curses.h: the
# _curses module's C API, <curses.h>); they declare no PyAPI_FUNC
NOT_DLL_HEADERS = ("py_curses.h",)
_LINE_MARKER = re.compile(r'^# (\d+) "((?:[^"\\]|\\.)*)"')
_TOKEN = re.compile(r"[A-Za-z_]\w*|\S")
# `__declspec(dllexport)` as pyport.h writes it, and as mingw-w64's headers redefine __declspec for clang
_EXPORT_SPELLINGS = (
    ("__declspec", "(", "dllexport", ")"),
    ("__attribute__", "(", "(", "dllexport", ")", ")"),
)


@dataclass(frozen=True)
class Export:
    name: str
    data: bool
    header: str  # relative to the header tree, e.g. "internal/pycore_long.h"


def preprocess(include_dir: Path, work_dir: Path) -> str:
    """The header tree as the DLL's sources see it on win_amd64 (zig cc -E, Py_BUILD_CORE)."""
    copy = work_dir / "include"
    shutil.copytree(include_dir, copy, symlinks=False)
    (copy / "pyconfig.h").write_text(render_pyconfig(TARGETS["win_amd64"]), encoding="ascii")
    skipped = {"Python.h", *NOT_DLL_HEADERS}
    headers = ["Python.h"] + sorted(p.name for p in copy.glob("*.h") if p.name not in skipped)
    headers += sorted(f"internal/{p.name}" for p in (copy / "internal").glob("*.h"))
    unit = work_dir / "all_headers.c"
    unit.write_text("".join(f'#include "{h}"\n' for h in headers), encoding="ascii")
    command = [*zig_command("cc"), "-target", "x86_64-windows-gnu", "-E", "-DPy_BUILD_CORE"]
    return run_command([*command, "-I", str(copy), "-Wno-everything", str(unit)], capture=True)


def _tokens_by_file(text: str, include_root: str) -> Iterator[tuple[str, str]]:
    """(token, header) for every token of the preprocessed text that comes from the header tree."""
    current = ""
    for line in text.splitlines():
        marker = _LINE_MARKER.match(line)
        if marker:
            path = marker.group(2)
            current = path[len(include_root) :].lstrip("/") if path.startswith(include_root) else ""
            continue
        if current:
            for token in _TOKEN.findall(line):
                yield token, current


def _declarator(declaration: list[str]) -> tuple[str, bool]:
    """(name, is_function) of a declaration (its tokens after the dllexport, up to `;`). A function is
    a name followed by its parameter list; anything else (`PyObject *x`, `int (*PyOS_InputHook)(void)`,
    `char x[]`) is data. Decided by the declarator, not by PyAPI_DATA/PyAPI_FUNC: 3.13 declares some
    functions (_PyLong_Format) with PyAPI_DATA, and the DLL exports them as code."""
    depth = 0
    for i, token in enumerate(declaration):
        if token == "(":
            before = declaration[i - 1] if i else ""
            if depth == 0 and before not in ("__attribute__", "__declspec"):
                if declaration[i + 1] == "*":  # a pointer declarator: `int (*PyOS_InputHook)(void)`
                    return next(t for t in declaration[i + 2 :] if t not in ("*", "const")), False
                return before, True
            depth += 1
        elif token == ")":
            depth -= 1
        elif depth == 0 and token in ("[", "=", ","):
            return declaration[i - 1], False
    return declaration[-1], False


def exported_declarations(text: str, include_root: str) -> dict[str, Export]:
    """Every `__declspec(dllexport)` declaration in the preprocessed header tree, by name."""
    tokens = list(_tokens_by_file(text, include_root))
    found: dict[str, Export] = {}
    for i in range(len(tokens) - 6):
        spelling = next(
            (s for s in _EXPORT_SPELLINGS if tuple(t for t, _ in tokens[i : i + len(s)]) == s), None
        )
        if spelling is None:
            continue
        declaration = []
        for token, _ in tokens[i + len(spelling) :]:
            if token in (";", "{"):
                break
            declaration.append(token)
        name, is_function = _declarator(declaration)
        found.setdefault(name, Export(name, not is_function, tokens[i][1]))
    return found


def derive(include_dir: Path) -> dict[str, Export]:
    with tempfile.TemporaryDirectory(prefix="fatpack-exports-") as tmp:
        work = Path(tmp)
        text = preprocess(include_dir, work)
        return exported_declarations(text, str(work / "include"))


def read_def(path: Path) -> dict[str, bool]:
    """{name: is_data} from a .def file."""
    lines = path.read_text(encoding="ascii").splitlines()
    start = lines.index("EXPORTS") + 1
    return {line.split()[0]: line.endswith(" DATA") for line in lines[start:] if line.strip()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("include_dir", type=Path)
    parser.add_argument("--check", type=Path, help="a .def from the real DLL to compare with")
    args = parser.parse_args(argv)
    derived = derive(args.include_dir)
    print(f"derived: {len(derived)} exports, {sum(e.data for e in derived.values())} data")
    if args.check:
        real = read_def(args.check)
        for name in sorted(set(derived) - set(real)):
            print(f"  derived only: {name}  ({derived[name].header})")
        for name in sorted(set(real) - set(derived)):
            print(f"  real only:    {name}")
        for name in sorted(set(real) & set(derived)):
            if real[name] != derived[name].data:
                print(f"  data differs: {name} real={real[name]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
