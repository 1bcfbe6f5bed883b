"""Derive pythonXY.dll's export list from a CPython header tree, for versions with no Windows DLL here.

The argument is a CPython include directory (Python.h, cpython/, internal/) of any OS: the headers are
the same tree everywhere except pyconfig.h, which is replaced by the one fatpack renders for win_amd64.

Method: a real preprocessor, not regexes over the headers. One translation unit includes Python.h, every
top-level header and every internal/ header, and is run through `zig cc -E -target x86_64-windows-gnu
-DPy_BUILD_CORE`: the view of the headers the DLL's own sources have. With Py_BUILD_CORE and
Py_ENABLE_SHARED, pyport.h expands PyAPI_FUNC(T) to `__declspec(dllexport) T` and PyAPI_DATA(T) to
`extern __declspec(dllexport) T`, and MSVC exports every definition whose declaration says dllexport. So
the derived list is every declaration carrying `__declspec(dllexport)` after preprocessing, from a file of
the header tree; a declarator that is not a function marks DATA. Every preprocessor condition is the
compiler's: MS_WINDOWS branches in, `#ifndef MS_WINDOWS` ones out, Py_LIMITED_API undefined (the full
DLL), Py_GIL_DISABLED off -- or on with `--free-threaded`, for the free-threaded build's python3XYt.dll
(3.13+): the rendered pyconfig.h then defines it, as the DLL's own build does, and the Linux view is the
free-threaded interpreter's own headers (include/python3.13t, whose pyconfig.h defines it) judged by its
libpython3.13t.so.

Also preprocessed with PY_SSIZE_T_CLEAN (before 3.13 it declares the `_PyArg_ParseTuple_SizeT` family).

What the headers cannot say, each handled by a rule from evidence, never by a list of names:
- stable ABI kept without a declaration (PyEval_AcquireLock, the _SizeT family since 3.13): every
  python3.dll export an older real pythonXY.dll had is carried over, unless the version's Linux
  libpython no longer defines a name its older one did (3.10 removed the old parser's functions);
- declarations without a definition (stale ones, 3.13's tier-2 optimizer, off in release builds): a
  name declared exported in the Linux view of the headers too (no MS_WINDOWS condition) which the same
  version's Linux libpython3.X.so does not define is dropped; Windows-only names are never judged so.
  Sound from 3.9: CPython builds on Linux with -fvisibility=hidden since then, so its libpython exports
  a function exactly when its definition sees a PyAPI declaration, as MSVC's dllexport does (3.8's
  exports every non-static function and cannot judge: the 3.8 check does not match, see below);
- definitions the Windows build leaves out (Py_FrozenMain: PCbuild does not compile frozenmain.c):
  names an older version's headers declared (and its Linux library defined) that its real DLL lacked
  are dropped (`--older`).
A derived list may lack a name no installed header declares (Py_CompileStringFlags is a macro; _io's
_PyWindowsConsoleIO_Type); it must never hold one the DLL lacks. The check of this against python.org's
DLLs 3.8-3.13 is in the header of python314.def.

    python tools/derive_windows_exports.py /usr/include/python3.14 \\
        --stable-abi fatpack/sdk/windows_exports/python3.def \\
        --stable-abi-dll fatpack/sdk/windows_exports/python313.def \\
        --linux-library .../libpython3.14.so.1.0 \\
        --older ~/.pyenv/versions/3.13.0/include/python3.13 fatpack/sdk/windows_exports/python313.def \\
                ~/.pyenv/versions/3.13.0/lib/libpython3.13.so.1.0 \\
        --write fatpack/sdk/windows_exports/python314.def --comment HEADER.txt
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

from fatpack.errors import BuildError
from fatpack.runner import run_command, zig_command
from fatpack.sdk.windows import render_pyconfig
from fatpack.targets import TARGETS

# headers of extension modules outside the DLL, which include third-party headers (py_curses.h: the
# _curses module's C API, <curses.h>); they declare no PyAPI_FUNC
NOT_DLL_HEADERS = ("py_curses.h",)
_LINE_MARKER = re.compile(r'^# (\d+) "((?:[^"\\]|\\.)*)"')
_TOKEN = re.compile(r"[A-Za-z_]\w*|\S")
# `__declspec(dllexport)` as pyport.h writes it, and as mingw-w64's headers redefine __declspec for clang
_EXPORT_SPELLINGS = (
    ("__declspec", "(", "dllexport", ")"),
    ("__attribute__", "(", "(", "dllexport", ")", ")"),
    # the Linux view's Py_EXPORTED_SYMBOL (3.9+)
    ("__attribute__", "(", "(", "visibility", "(", '"', "default", '"', ")", ")", ")"),
)


@dataclass(frozen=True)
class Export:
    name: str
    data: bool
    header: str  # relative to the header tree, e.g. "internal/pycore_long.h"


def _unit_text(include_dir: Path) -> str:
    """#include lines for Python.h, every other top-level header and every internal/ header, except
    NOT_DLL_HEADERS and fragments that refuse direct inclusion (3.14's
    internal/pycore_crossinterp_data_registry.h: `#error "this header must not be included directly"`),
    which their including header brings in. cpython/ headers come through their top-level ones."""
    candidates = sorted(p for p in include_dir.glob("*.h") if p.name not in ("Python.h", *NOT_DLL_HEADERS))
    candidates += sorted((include_dir / "internal").glob("*.h"))
    names = ["Python.h"]
    names += [p.relative_to(include_dir).as_posix() for p in candidates if not _is_fragment(p)]
    return "".join(f'#include "{name}"\n' for name in names)


def _is_fragment(header: Path) -> bool:
    head = header.read_text(encoding="utf-8", errors="replace")[:2000]
    return re.search(r"#\s*error\s+\"[^\"]*must not be included directly", head) is not None


def preprocess(
    include_dir: Path, work_dir: Path, defines: tuple[str, ...] = (), free_threaded: bool = False
) -> str:
    """The header tree as the DLL's sources see it on win_amd64 (zig cc -E, Py_BUILD_CORE)."""
    copy = work_dir / "include"
    if not copy.is_dir():
        shutil.copytree(include_dir, copy, symlinks=False)
        pyconfig = render_pyconfig(TARGETS["win_amd64"], free_threaded)
        (copy / "pyconfig.h").write_text(pyconfig, encoding="ascii")
    unit = work_dir / "all_headers.c"
    unit.write_text(_unit_text(copy), encoding="ascii")
    command = [*zig_command("cc"), "-target", "x86_64-windows-gnu", "-E", "-DPy_BUILD_CORE"]
    command += [f"-D{d}" for d in defines]
    return run_command([*command, "-I", str(copy), "-Wno-everything", str(unit)], capture=True)


def preprocess_linux(include_dir: Path) -> str:
    """The header tree as a Linux build of the core sees it: its own pyconfig.h (Debian's wrapper finds
    the real one under the parent directory), Py_ENABLE_SHARED so PyAPI_FUNC is marked exported."""
    unit_text = _unit_text(include_dir)
    with tempfile.TemporaryDirectory(prefix="fatpack-exports-") as tmp:
        unit = Path(tmp) / "all_headers.c"
        unit.write_text(unit_text, encoding="ascii")
        # empty stand-ins for headers the Linux view includes but cannot find, none declaring Python API:
        # <crypt.h> (3.8's Python.h; zig's glibc headers lack it), "pydtrace_probes.h" (generated when
        # built --with-dtrace, as Debian's 3.14/3.15 are; not installed)
        for stand_in in ("crypt.h", "pydtrace_probes.h"):
            (Path(tmp) / stand_in).write_text("", encoding="ascii")
        target = ["-target", "x86_64-linux-gnu", "-E", "-DPy_BUILD_CORE", "-DPy_ENABLE_SHARED=1"]
        paths = ["-I", str(include_dir), "-idirafter", str(include_dir.parent), "-idirafter", tmp]
        command = [*zig_command("cc"), *target, *paths, "-Wno-everything", str(unit)]
        return run_command(command, capture=True)


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


def _declarators(declaration: list[str]) -> Iterator[tuple[str, bool]]:
    """(name, is_function) for each declarator of a declaration (its tokens after the dllexport, up
    to `;`). A function is a name followed by its parameter list; anything else (`PyObject *x`,
    `int (*PyOS_InputHook)(void)`, `char x[]`) is data. Decided by the declarator, not by
    PyAPI_DATA/PyAPI_FUNC: 3.13 declares some functions (_PyLong_Format) with PyAPI_DATA, and the DLL
    exports them as code. `PyAPI_DATA(T) _Py_FalseStruct, _Py_TrueStruct;` declares two."""
    depth, done = 0, False
    for i, token in enumerate(declaration):
        before = declaration[i - 1] if i else ""
        if token == "(":
            if depth == 0 and not done and before not in ("__attribute__", "__declspec"):
                done = True
                if declaration[i + 1] == "*":  # a pointer declarator: `int (*PyOS_InputHook)(void)`
                    yield next(t for t in declaration[i + 2 :] if t not in ("*", "const")), False
                else:
                    yield before, True
            depth += 1
        elif token == ")":
            depth -= 1
        elif depth == 0 and token in ("[", "="):
            if not done:
                yield before, False
            done = True
        elif depth == 0 and token == ",":
            if not done:
                yield before, False
            done = False
    if not done and declaration:
        yield declaration[-1], False


def exported_declarations(
    text: str, include_root: str, spellings: tuple[tuple[str, ...], ...] = _EXPORT_SPELLINGS
) -> dict[str, Export]:
    """Every declaration marked by one of `spellings` (`__declspec(dllexport)`) in the preprocessed
    header tree, by name."""
    tokens = list(_tokens_by_file(text, include_root))
    found: dict[str, Export] = {}
    for i in range(len(tokens) - 11):
        spelling = next((s for s in spellings if tuple(t for t, _ in tokens[i : i + len(s)]) == s), None)
        if spelling is None:
            continue
        declaration = []
        for token, _ in tokens[i + len(spelling) :]:
            if token in (";", "{"):
                break
            declaration.append(token)
        for name, is_function in _declarators(declaration):
            found.setdefault(name, Export(name, not is_function, tokens[i][1]))
    return found


def declared_exports(include_dir: Path, free_threaded: bool = False) -> dict[str, Export]:
    """What the header tree declares dllexport, preprocessed twice: without and with PY_SSIZE_T_CLEAN.
    Before 3.13 the headers declare the `_PyArg_ParseTuple_SizeT` family only when PY_SSIZE_T_CLEAN is
    defined (and then rename the plain names to them by macro), and getargs.c/modsupport.c define
    both families; an extension references whichever its own PY_SSIZE_T_CLEAN selects."""
    with tempfile.TemporaryDirectory(prefix="fatpack-exports-") as tmp:
        work = Path(tmp)
        root = str(work / "include")
        found = exported_declarations(preprocess(include_dir, work, (), free_threaded), root)
        for name, export in exported_declarations(
            preprocess(include_dir, work, ("PY_SSIZE_T_CLEAN",), free_threaded), root
        ).items():
            found.setdefault(name, export)
        return found


def stale_declarations(include_dir: Path, linux_library: Path) -> frozenset[str]:
    """Names the headers declare exported on Linux too (no MS_WINDOWS condition) which the same
    version's Linux libpython does not define: declarations without a definition (removed functions
    whose declaration stayed, features the release build leaves out such as 3.13's tier-2 optimizer).
    Names declared only for Windows are never judged by the Linux library."""
    linux = exported_declarations(preprocess_linux(include_dir), str(include_dir))
    return frozenset(linux) - defined_symbols(linux_library)


def defined_symbols(shared_library: Path) -> frozenset[str]:
    """The dynamic symbols a Linux libpython3.X.so of the same version defines."""
    from elftools.elf.elffile import ELFFile

    with shared_library.open("rb") as f:
        table = ELFFile(f).get_section_by_name(".dynsym")
        return frozenset(s.name for s in table.iter_symbols() if s.name and s.entry.st_shndx != "SHN_UNDEF")


@dataclass(frozen=True)
class Evidence:
    """What the derivation of one version's list may use besides its headers."""

    # python3.dll's exports that a real pythonXY.dll (of a version <= this one) exported: name -> data
    stable_abi: dict[str, bool]
    linux_library: Path | None = None  # the same version's libpython3.X.so (Debian's, pyenv's)
    older_linux_library: Path | None = None  # libpython3.X.so of the release stable_abi comes from
    known_absent: frozenset[str] = frozenset()  # see known_absences()


def derive(include_dir: Path, evidence: Evidence, free_threaded: bool = False) -> dict[str, bool]:
    """pythonXY.dll's (or with `free_threaded` pythonXYt.dll's) exports (name -> data) by the rules in
    the module docstring."""
    declared = declared_exports(include_dir, free_threaded)
    if evidence.linux_library is not None:
        stale = stale_declarations(include_dir, evidence.linux_library)
        declared = {n: e for n, e in declared.items() if n not in stale}
    exports = {n: e.data for n, e in declared.items() if n not in evidence.known_absent}
    removed: frozenset[str] = frozenset()
    if evidence.linux_library is not None and evidence.older_linux_library is not None:
        removed = defined_symbols(evidence.older_linux_library) - defined_symbols(evidence.linux_library)
    for name, data in evidence.stable_abi.items():
        if name not in removed:
            exports.setdefault(name, data)
    return exports


def known_absences(include_dir: Path, real_def: Path, linux_library: Path | None) -> frozenset[str]:
    """The names an older version's headers declare (and its Linux library defines) that its real DLL
    does not export: declarations whose definition the Windows build leaves out."""
    declared = declared_exports(include_dir)
    if linux_library is not None:
        stale = stale_declarations(include_dir, linux_library)
        declared = {n: e for n, e in declared.items() if n not in stale}
    return frozenset(declared) - frozenset(read_def(real_def))


def stable_abi(python3_def: Path, versioned_def: Path) -> dict[str, bool]:
    """The stable ABI as a real release implements it: python3.dll's names that the same release's
    pythonXY.dll exports (python3.dll also forwards names pythonXY.dll lacks on x64, such as
    PyOS_CheckStack, a 32-bit MSVC feature, and the Py_REF_DEBUG-only _Py_RefTotal). The stable ABI
    never loses a symbol, so a newer pythonXY.dll exports these too, declared in a header or not
    (PyEval_AcquireLock, the _SizeT family after 3.13 removed their declarations)."""
    versioned = read_def(versioned_def)
    return {n: d for n, d in read_def(python3_def).items() if n in versioned}


def write_def(path: Path, exports: dict[str, bool], comment: list[str]) -> None:
    """A .def for `zig dlltool` (`;` starts a comment line), names sorted, data marked DATA."""
    lines = [f"; {line}".rstrip() for line in comment]
    lines += [f"LIBRARY {path.stem}.dll", "EXPORTS"]
    lines += [f"{name} DATA" if data else name for name, data in sorted(exports.items())]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


def read_def(path: Path) -> dict[str, bool]:
    """{name: is_data} from a .def file."""
    lines = path.read_text(encoding="ascii").splitlines()
    start = lines.index("EXPORTS") + 1
    return {line.split()[0]: line.endswith(" DATA") for line in lines[start:] if line.strip()}


def compare(derived: dict[str, bool], real: dict[str, bool]) -> list[str]:
    """One line per difference between a derived list and a real DLL's."""
    lines = [f"derived only: {n}" for n in sorted(set(derived) - set(real))]
    lines += [f"real only:    {n}" for n in sorted(set(real) - set(derived))]
    lines += [f"data differs: {n}" for n in sorted(set(real) & set(derived)) if real[n] != derived[n]]
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("include_dir", type=Path)
    parser.add_argument("--stable-abi", type=Path, required=True, help="python3.def from a real python3.dll")
    parser.add_argument(
        "--stable-abi-dll", type=Path, required=True, help="the real pythonXY.def of the same release"
    )
    parser.add_argument("--linux-library", type=Path, help="libpython3.X.so of the same version")
    parser.add_argument(
        "--older", nargs=3, metavar=("INCLUDE_DIR", "REAL_DEF", "LINUX_LIBRARY"), type=Path,
        help="an older version with a real DLL: its declared-but-absent names are dropped",
    )  # fmt: skip
    parser.add_argument("--check", type=Path, help="a .def from the real DLL to compare with")
    parser.add_argument(
        "--free-threaded", action="store_true",
        help="derive the free-threaded pythonXYt.dll's list (Py_GIL_DISABLED); give the free-threaded "
        "interpreter's include directory and libpython3.XYt.so",
    )  # fmt: skip
    parser.add_argument("--write", type=Path, help="write the derived list as a .def")
    parser.add_argument("--comment", type=Path, help="a text file whose lines head the written .def")
    args = parser.parse_args(argv)
    absent = known_absences(*args.older) if args.older else frozenset()
    older_library = args.older[2] if args.older else None
    evidence = Evidence(
        stable_abi(args.stable_abi, args.stable_abi_dll), args.linux_library, older_library, absent
    )
    derived = derive(args.include_dir, evidence, args.free_threaded)
    print(f"derived: {len(derived)} exports, {sum(derived.values())} data")
    if args.check:
        print("\n".join(compare(derived, read_def(args.check))))
    if args.write:
        comment = args.comment.read_text(encoding="utf-8").splitlines() if args.comment else []
        write_def(args.write, derived, comment)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BuildError as exc:
        sys.exit(f"{exc}\n{exc.output[-3000:]}")
