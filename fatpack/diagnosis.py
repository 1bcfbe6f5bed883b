"""A failed compile or link in one line: the construct the compiler stopped at and the way out.

zig (clang and lld) and GCC print pages of diagnostics; a user needs the one that matters, and for code
written for MSVC the reason is usually a construct only MSVC has: MASM `.asm` sources, `__asm { }`
blocks, SEH `__try`/`__except`, `#pragma comment(lib, ...)`, intrinsics MSVC compiles without target
flags, a header the project's own build (or a C library built first) provides. `diagnose()` reads the
compiler's output (and, for a link, the project's files) and names it; `first_error()` is the fallback,
the compiler's first error line. Pure functions over text and paths: any compiler wrapper can call them.
The full output is still shown after the one line (and logged with --verbose).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

# headers of C libraries official wheels build first, or build requirements whose headers a custom
# build_ext adds, by include name (a prefix ending in "/" is a directory): who provides them
KNOWN_HEADERS = {
    "ffi.h": "libffi",
    "yaml.h": "libyaml",
    "zlib.h": "zlib",
    "bzlib.h": "bzip2",
    "lzma.h": "liblzma (xz)",
    "zstd.h": "zstd",
    "lz4.h": "lz4",
    "brotli/": "brotli",
    "openssl/": "OpenSSL",
    "libxml/": "libxml2",
    "libxslt/": "libxslt",
    "crc32c/": "crc32c",
    "jpeglib.h": "libjpeg",
    "png.h": "libpng",
    "sqlite3.h": "SQLite",
    "uv.h": "libuv",
    "gmp.h": "GMP",
    "hdf5.h": "HDF5",
    "pybind11/": "pybind11 (a build requirement; its get_include() is added by the project's build)",
    "cppy/": "cppy (a build requirement; its get_include() is added by the project's build)",
    "numpy/": "numpy (a build requirement; numpy.get_include() is added by the project's build)",
}
# system headers of one OS family: missing on a target of another, they mean a source written for that OS
POSIX_HEADERS = ("unistd.h", "dlfcn.h", "termios.h", "poll.h", "netdb.h", "pwd.h", "grp.h", "syslog.h",
                 "ifaddrs.h", "sys/", "linux/", "asm/", "netinet/", "arpa/", "net/", "mach/", "mach-o/",
                 "libproc.h", "CoreFoundation/", "IOKit/", "kvm.h")  # fmt: skip
WINDOWS_HEADERS = ("windows.h", "winsock2.h", "ws2tcpip.h", "iphlpapi.h", "psapi.h", "shlobj.h",
                   "tlhelp32.h", "winternl.h", "wtsapi32.h", "pdh.h", "io.h", "process.h", "conio.h",
                   "direct.h")  # fmt: skip
_PROJECT_SCAN_LIMIT = 20000  # files looked at when searching a project for a symbol or a header
_SKIPPED_DIRS = frozenset((".git", ".hg", "__pycache__", "node_modules"))
_C_FILES = (".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".inl", ".pyx", ".pxd")

_DIAGNOSTIC = re.compile(
    r"^(?P<where>[^\s:][^:\n]*?):(?P<line>\d+):(?:\d+:)? *(?:fatal )?error: (?P<what>.+)$", re.M
)
_LINKER_ERROR = re.compile(
    r"^(?:lld-link|ld\.lld|ld64\.lld|ld|[\w.-]*ld(?:\.exe)?): error: (?P<what>.+)$", re.M
)
_UNDEFINED = re.compile(
    r"undefined (?:symbol|reference to)[:]? [`']?(?:__declspec\(dllimport\) )?(?P<name>[^\s'`]+)"
)
_PRAGMA_LIB = re.compile(
    rb'^[ \t]*#[ \t]*pragma[ \t]+comment[ \t]*\([ \t]*lib[ \t]*,[ \t]*"(?P<lib>[^"\r\n]+)"', re.M
)


@dataclass(frozen=True)
class Diagnosis:
    """What the compiler stopped at (`cause`) and what to do about it (`way_out`, may be empty)."""

    cause: str
    way_out: str = ""

    def __str__(self) -> str:
        return f"{self.cause}; {self.way_out}" if self.way_out else self.cause


def diagnose(
    output: str, source: Optional[Path] = None, project_dir: Optional[Path] = None, arch: str = ""
) -> Optional[Diagnosis]:
    """The construct a failed compile (`source` given) or link stopped at, with the way out; None
    when the output holds no error fatpack recognises or can quote. `arch` (x86_64, aarch64, x86)
    picks among per-architecture files."""
    if source is not None and source.suffix.lower() == ".asm":
        return masm_source(source)
    found = _construct(output)
    if found is not None:
        return found
    missing = _missing_header_name(output)
    if missing is not None:
        return missing_header(missing, project_dir)
    undefined = [m.group("name") for m in _UNDEFINED.finditer(output)]
    if undefined:
        return undefined_symbols(list(dict.fromkeys(undefined)), project_dir, arch)
    error = first_error(output)
    return Diagnosis(error) if error else None


def known_construct(output: str) -> Optional[Diagnosis]:
    """What the compiler's output alone shows, with its way out: a construct only MSVC has, a clash
    with mingw-w64's headers, a system header of another OS or one of a C library official wheels
    build first. None otherwise (the caller quotes the compiler). For builds fatpack does not drive
    (the project's own build_ext), where advice about the extension's settings would not apply."""
    found = _construct(output)
    if found is not None:
        return found
    missing = _missing_header_name(output)
    if missing is None or (_other_os(missing) is None and _library_of(missing) is None):
        return None
    return missing_header(missing, None)


def _construct(output: str) -> Optional[Diagnosis]:
    for rule in (_inline_asm, _seh, _target_feature, _undeclared_intrinsic, _ms_builtin_type, _mingw_clash):
        found = rule(output)
        if found is not None:
            return found
    return None


def _missing_header_name(output: str) -> Optional[str]:
    missing = re.search(r"(?:fatal )?error: '(?P<name>[^']+)' file not found", output)
    if missing is None:
        missing = re.search(r"fatal error: (?P<name>[^:\s]+): No such file or directory", output)
    return missing.group("name") if missing is not None else None


def first_error(output: str) -> Optional[str]:
    """The compiler's or linker's first error, as `file:line: message`, else None."""
    compiler = _DIAGNOSTIC.search(output)
    linker = _LINKER_ERROR.search(output)
    if compiler and (not linker or compiler.start() < linker.start()):
        return (
            f"{Path(compiler.group('where')).name}:{compiler.group('line')}: {compiler.group('what').strip()}"
        )
    if linker:
        return linker.group("what").strip()
    plain = re.search(r"^(?:[\w.+-]+: )?(?:fatal )?error: (?P<what>.+)$", output, re.M)
    return plain.group("what").strip() if plain else None


def masm_source(source: Path, symbol: Optional[str] = None) -> Diagnosis:
    defines = f"{symbol} is defined only in " if symbol else ""
    prebuilt = [p.name for p in (source.with_suffix(".obj"), source.with_suffix(".o")) if p.is_file()]
    way_out = (
        f"link the prebuilt object {prebuilt[0]} beside it for this target (extra_objects), or"
        if prebuilt
        else "give non-MSVC compilers"
    )
    return Diagnosis(
        f"MASM assembly is MSVC-only: {defines}{source.name}, which ml64 assembles and zig cannot",
        f"{way_out} a GCC-syntax .S version of it (as the project may have for Linux)",
    )


def _line_of(output: str, pattern: str) -> bool:
    return re.search(pattern, output, re.M) is not None


def _inline_asm(output: str) -> Optional[Diagnosis]:
    # clang quotes the offending line under the error; MSVC's asm blocks are `__asm {` or `__asm mov`
    if _line_of(output, r"^\s*\d*\s*\|.*\b_?_asm\s*\{") or _line_of(
        output, r"^\s*\d*\s*\|.*\b__asm\s+[a-z]+\s"
    ):
        return Diagnosis(
            "MSVC inline assembly (__asm { ... }) is not GCC's asm()",
            "add -fasm-blocks to the Windows extra_compile_args (clang compiles MSVC-style asm blocks with "
            "it), or use intrinsics or asm() outside #ifdef _MSC_VER",
        )
    return None


def _seh(output: str) -> Optional[Diagnosis]:
    # clang compiles __try/__except for *-windows-gnu with -fms-extensions, but no handler runs: a fault
    # inside __try ends the process (checked on python.org CPython under Wine); so that is no way out
    if _line_of(output, r"error: use of undeclared identifier '__(try|except|finally|leave)'"):
        return Diagnosis(
            "structured exception handling (__try/__except) is MSVC's; zig's clang does not implement "
            "it for windows-gnu",
            "keep it under #ifdef _MSC_VER and give other compilers code that does not fault (check the "
            "pointer first), or catch the fault with AddVectoredExceptionHandler",
        )
    return None


def _target_feature(output: str) -> Optional[Diagnosis]:
    found = re.search(
        r"error: always_inline function '(?P<fn>\w+)' requires target feature '(?P<feature>[\w.-]+)'", output
    )
    if found is None:
        return None
    feature, function = found.group("feature"), found.group("fn")
    return Diagnosis(
        f"intrinsic {function} needs the CPU feature {feature}: MSVC compiles it without a flag, "
        "clang does not",
        f"add -m{feature} to the Windows extra_compile_args, or mark the function that calls it "
        f'__attribute__((target("{feature}")))',
    )


# functions MSVC's C runtime declares in headers code written for MSVC often leaves out
UCRT_HEADERS = {
    "process.h": ("_getpid", "_beginthread", "_beginthreadex", "_endthreadex", "_execv", "_spawnv", "_cwait"),
    "io.h": ("_open", "_close", "_read", "_write", "_lseek", "_lseeki64", "_access", "_dup", "_dup2",
             "_isatty", "_setmode", "_get_osfhandle", "_open_osfhandle", "_chsize", "_commit"),
    "direct.h": ("_mkdir", "_rmdir", "_getcwd", "_chdir", "_getdrive"),
    "conio.h": ("_getch", "_getche", "_kbhit", "_putch"),
    "malloc.h": ("_alloca", "_aligned_malloc", "_aligned_free", "_msize"),
}  # fmt: skip


def _undeclared_intrinsic(output: str) -> Optional[Diagnosis]:
    found = re.search(
        r"error: (?:call to undeclared (?:library )?function|use of undeclared identifier) '(?P<fn>_\w+)'",
        output,
    )
    if found is None:
        return None
    function = found.group("fn")
    header = re.search(
        rf"note: include the header <(?P<h>[\w./]+)> or explicitly provide a declaration for '{function}'",
        output,
    )
    crt = next((h for h, names in UCRT_HEADERS.items() if function in names), None)
    if crt is not None:
        return Diagnosis(
            f"{function} is called with no declaration in scope (MSVC's C compiler allows that, "
            "clang does not)",
            f"include <{crt}> where it is used",
        )
    way_out = (
        f"include <{header.group('h')}> where it is used"
        if header
        else "include <intrin.h> where it is used (mingw-w64 declares MSVC's intrinsics there), or use "
        "the GCC builtin outside #ifdef _MSC_VER"
    )
    return Diagnosis(f"{function} is an MSVC intrinsic mingw-w64 and clang do not declare here", way_out)


def _ms_builtin_type(output: str) -> Optional[Diagnosis]:
    found = re.search(r"error: unknown type name '(?P<t>__int(?:8|16|32|64)|__wchar_t)'", output)
    if found is None:
        found = re.search(
            r"error: expected ';' after top level declarator\n.*\b(?P<t>__int(?:8|16|32|64))\b", output
        )
    if found is None:
        return None
    return Diagnosis(
        f"{found.group('t')} is an MSVC built-in type",
        "include <windows.h> (mingw-w64 defines it there) or add -fms-extensions to the Windows "
        "extra_compile_args",
    )


_CLASH = re.compile(
    r"^(?P<file>[^\s:][^:\n]*):\d+:\d+: error: (?:redefinition of (?:enumerator )?|typedef redefinition "
    r"with different types \(.*?\) vs |conflicting types for )'?(?P<name>\w+)'?[^\n]*\n(?:[^\n]*\n){0,4}?"
    r"(?P<previous>[^\s:][^:\n]*(?:any-windows-any|mingw)[^:\n]*):\d+:\d+: note: previous",
    re.M,
)


def _mingw_clash(output: str) -> Optional[Diagnosis]:
    """A definition the project makes for MSVC (whose Windows SDK lacks it) that mingw-w64 has."""
    found = _CLASH.search(output)
    if found is None:
        return None
    mine, theirs = Path(found.group("file")).name, Path(found.group("previous")).name
    return Diagnosis(
        f"{found.group('name')} is defined both in {mine} and in mingw-w64's {theirs} (the Windows SDK "
        "MSVC builds with lacks it)",
        f"guard the definition in {mine} with #ifndef __MINGW32__ (or #ifdef _MSC_VER)",
    )


def missing_header(name: str, project_dir: Optional[Path]) -> Diagnosis:
    """A header neither the project's include path nor the target's system headers hold: in the
    project elsewhere (its own build adds the directory), from a known library, or unknown."""
    found = _find_in_project(project_dir, lambda path: path.as_posix().endswith("/" + name))
    if found is not None and project_dir is not None:
        directory = found.relative_to(project_dir).as_posix()[: -len(name) - 1] or "."
        return Diagnosis(
            f"missing header {name}: the project has it in {directory}/, which its own build adds "
            "to the include path",
            f"add {directory} to the extension's include_dirs (the project's build_ext does, "
            "and fatpack does not run it)",
        )
    system = _other_os(name)
    if system is not None:
        return Diagnosis(
            f"{name} is a {system} system header the target does not have: this source is written for "
            f"{system}",
            f"build it only for {system} targets (the project's build chooses other sources for this one; "
            "per-OS sources: the extension's `os` key, or setup.py's platform branch)",
        )
    provider = _library_of(name)
    if provider is not None and "build requirement" in provider:
        return Diagnosis(
            f"missing header {name} (from {provider})",
            "add its include directory to the extension's include_dirs",
        )
    if provider is not None:
        return Diagnosis(
            f"missing header {name} (from {provider})",
            f"build {provider} for this target first (a before-build step) and add its include directory",
        )
    return Diagnosis(
        f"missing header {name}",
        "it is not in the project nor the target's system headers: build the library that provides "
        "it for this target first and add its include directory",
    )


def _library_of(name: str) -> Optional[str]:
    return next((who for key, who in KNOWN_HEADERS.items() if _names_header(key, name)), None)


def _other_os(name: str) -> Optional[str]:
    if any(_names_header(key, name) for key in POSIX_HEADERS):
        return "POSIX"
    if name.lower() in WINDOWS_HEADERS:
        return "Windows"
    return None


def _names_header(key: str, name: str) -> bool:
    return name == key or (key.endswith("/") and name.startswith(key))


def undefined_symbols(names: Sequence[str], project_dir: Optional[Path], arch: str = "") -> Diagnosis:
    first = names[0]
    more = f" (and {len(names) - 1} more)" if len(names) > 1 else ""
    if project_dir is not None:
        files = _project_files(project_dir)
        sources = [p for p in files if p.suffix.lower() == ".asm" and _mentions(p, first)]
        if sources:
            return masm_source(min(sources, key=lambda p: _arch_rank(p, arch)), first)
        pragmas = _pragma_libraries(project_dir)
        if pragmas:
            listed = ", ".join(f'"{lib}"' for lib in pragmas)
            return Diagnosis(
                f"undefined symbol {first}{more}: the sources link {listed} with #pragma comment(lib, ...), "
                "which only MSVC's linker reads",
                f"add {listed} to the extension's libraries for Windows",
            )
    return Diagnosis(
        f"undefined symbol {first}{more}: nothing linked for this target defines it",
        "add the source or library that defines it for this target (sources, libraries)",
    )


ARCH_WORDS = {"x86_64": ("x64", "amd64", "x86_64"), "aarch64": ("arm64", "aarch64"), "x86": ("x86", "i386")}


def _arch_rank(path: Path, arch: str) -> tuple[int, str]:
    """0 for a file named for `arch` (switch_x64_masm.asm for x86_64), 1 otherwise; then by path."""
    name = path.name.lower()
    return (0 if any(word in name for word in ARCH_WORDS.get(arch, ())) else 1, path.as_posix())


def _mentions(path: Path, word: str) -> bool:
    try:
        return re.search(rb"\b" + re.escape(word.encode()) + rb"\b", path.read_bytes()) is not None
    except OSError:
        return False


def _pragma_libraries(project_dir: Path) -> list[str]:
    libraries: dict[str, None] = {}
    for path in _project_files(project_dir):
        if path.suffix.lower() in _C_FILES:
            try:
                text = path.read_bytes()
            except OSError:
                continue
            for lib in pragma_libraries(text):
                if not lib.lower().startswith("python"):  # Python.h's own, for MSVC
                    libraries[lib] = None
    return list(libraries)


def pragma_libraries(text: bytes) -> list[str]:
    """The libraries a source's `#pragma comment(lib, "...")` lines name, as written."""
    return [m.group("lib").decode("utf-8", "surrogateescape").strip() for m in _PRAGMA_LIB.finditer(text)]


def _project_files(project_dir: Path) -> list[Path]:
    found: list[Path] = []
    for parent, dirs, files in os.walk(project_dir):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        found += [Path(parent, f) for f in sorted(files)]
        if len(found) > _PROJECT_SCAN_LIMIT:
            break
    return found


def _find_in_project(project_dir: Optional[Path], wanted: Callable[[Path], bool]) -> Optional[Path]:
    if project_dir is None:
        return None
    return next((p for p in _project_files(project_dir) if wanted(p)), None)
