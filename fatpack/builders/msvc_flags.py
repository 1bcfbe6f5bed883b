"""MSVC's compiler and linker flags in a setup.py's Windows branch, for GCC-style drivers (zig cc, mingw).

A setup.py that builds on Windows with MSVC adds `/O2`, `/EHsc`, `/W3`, `/wd4996`, `/std:c++17`,
`/utf-8`, `/DNAME`, `/MT`, `advapi32.lib`... to `extra_compile_args`/`extra_link_args` under
`if sys.platform == "win32"`. zig and GCC read those as file names and fail. Each one is translated
to its GCC/clang spelling, dropped with a logged note where it changes nothing a GCC-style build needs
(warning levels, the MSVC runtime choice, debug-information and linker-optimisation switches), or
refused in one line naming it when the build would not be the same without it (OpenMP, C++/CLI,
delay-loaded DLLs). `msvc_to_gcc(args, target, link=...)` is a pure function: a compiler wrapper can
call it as fatpack's own builders do.

Only `/`-prefixed MSVC options are translated (and a `NAME.lib` in link arguments): `-O2`, `-MD` and
other dash forms mean something else to GCC and pass through unchanged, as do paths (`/usr/include`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Callable, Optional, Union

from fatpack.errors import ConfigError
from fatpack.targets import Target

log = logging.getLogger("fatpack")

# the argument a separated option (`/D NAME`, `/I dir`) takes is the next one
SEPARATED_OPTIONS = {"D": "-D", "U": "-U", "I": "-I", "FI": "-include"}
# an exact option -> what it becomes (a tuple of GCC flags; () drops it, with `why` logged)
_COMPILE_EXACT: dict[str, tuple[tuple[str, ...], str]] = {
    "O1": (("-Os",), ""),
    "O2": (("-O2",), ""),
    "Ox": (("-O2",), ""),
    "Os": (("-Os",), ""),
    "Od": ((), "no optimisation: fatpack builds release binaries (-O0 would add UBSan with zig)"),
    "GR": (("-frtti",), ""),
    "GR-": (("-fno-rtti",), ""),
    "J": (("-funsigned-char",), ""),
    "TP": (("-x", "c++"), ""),
    "TC": (("-x", "c"), ""),
    "fp:fast": (("-ffast-math",), ""),
    "openmp-": ((), "OpenMP off is the default"),
    "bigobj": ((), "clang writes big COFF objects when needed"),
    "permissive-": ((), "standard conformance is clang's default"),
    "utf-8": ((), "clang reads and writes UTF-8 already"),
    "source-charset:utf-8": ((), "clang reads UTF-8 already"),
    "execution-charset:utf-8": ((), "clang writes UTF-8 already"),
    "nologo": ((), "MSVC's banner"),
    "MT": ((), "MSVC's static runtime: zig links the UCRT, as python.org CPython does"),
    "MTd": ((), "MSVC's static debug runtime: zig links the UCRT"),
    "MD": ((), "MSVC's DLL runtime: zig links the UCRT, as python.org CPython does"),
    "MDd": ((), "MSVC's debug runtime: zig links the UCRT"),
    "LD": ((), "building a DLL is what the link does already"),
    "sdl": ((), "MSVC's extra security checks"),
    "GT": (
        (),
        "fiber-safe TLS: a cached TLS address differs only for a fiber resumed on another thread",
    ),
    "Zi": ((), "debug information: release payloads are stripped"),
    "Z7": ((), "debug information: release payloads are stripped"),
    "ZI": ((), "debug information: release payloads are stripped"),
    "FS": ((), "MSVC's PDB server"),
    "WX": ((), "warnings as errors: clang's warnings differ from MSVC's"),
    "Wall": ((), "warning level"),
    "analyze": ((), "MSVC's static analysis"),
}
# option prefixes dropped with the reason given (warnings, MSVC code generation and tuning switches)
_COMPILE_DROPPED_PREFIXES = (
    ("W", "warning level"),
    ("wd", "a warning MSVC reports"),
    ("we", "a warning MSVC reports"),
    ("wo", "a warning MSVC reports"),
    ("w1", "a warning MSVC reports"),
    ("w2", "a warning MSVC reports"),
    ("w3", "a warning MSVC reports"),
    ("w4", "a warning MSVC reports"),
    ("EH", "C++ exceptions are on in clang by default"),
    ("Zc:", "an MSVC conformance switch"),
    ("Ob", "MSVC's inlining level"),
    ("Oi", "MSVC's intrinsics switch"),
    ("Oy", "frame-pointer omission"),
    ("Ot", "MSVC's speed preference"),
    ("GL", "whole-program optimisation (MSVC's LTCG)"),
    ("Gy", "function-level linking"),
    ("GF", "string pooling"),
    ("GS", "MSVC's buffer security check"),
    ("Gm", "MSVC's minimal rebuild"),
    ("Gd", "the default calling convention"),
    ("guard:", "MSVC's control-flow guard"),
    ("Qspectre", "MSVC's Spectre mitigation"),
    ("volatile:", "MSVC's volatile semantics"),
    ("d2", "an undocumented MSVC switch"),
    ("experimental:", "an MSVC experimental switch"),
    ("external:", "MSVC's external-header warnings"),
    ("diagnostics:", "MSVC's diagnostics format"),
    ("MP", "MSVC's parallel compilation"),
    ("Fd", "MSVC's PDB file name"),
)
_COMPILE_REFUSED = {
    "openmp": "OpenMP needs an OpenMP runtime, which zig and python.org CPython do not ship",
    "clr": "C++/CLI (/clr) is .NET code that only MSVC compiles",
    "ZW": "C++/CX (/ZW) is a Windows Runtime dialect only MSVC compiles",
    "kernel": "kernel-mode code (/kernel) is not a Python extension",
}
_STANDARDS = {
    "c++14": "-std=c++14",
    "c++17": "-std=c++17",
    "c++20": "-std=c++20",
    "c++latest": "-std=c++2c",
    "c11": "-std=c11",
    "c17": "-std=c17",
    "clatest": "-std=c2x",
}
_ARCH = {"AVX": "-mavx", "AVX2": "-mavx2", "AVX512": "-mavx512f", "SSE2": "-msse2", "SSE": "-msse"}

_LINK_DROPPED_PREFIXES = (
    ("DEBUG", "debug information: release payloads are stripped"),
    ("OPT:", "MSVC's linker optimisation"),
    ("LTCG", "MSVC's link-time code generation"),
    ("INCREMENTAL", "incremental linking"),
    ("MANIFEST", "side-by-side manifests: lld writes none a Python extension needs"),
    ("NODEFAULTLIB", "MSVC's default libraries are not linked by zig"),
    ("MACHINE:", "the target triple sets the machine"),
    ("SUBSYSTEM:", "a DLL's subsystem"),
    ("NOLOGO", "MSVC's banner"),
    ("PDB", "MSVC's PDB file"),
    ("DYNAMICBASE", "ASLR is lld's default"),
    ("NXCOMPAT", "DEP compatibility is lld's default"),
    ("GUARD:", "MSVC's control-flow guard"),
    ("CETCOMPAT", "MSVC's shadow-stack marking"),
    ("IGNORE:", "a warning MSVC's linker reports"),
    ("WX", "linker warnings as errors"),
)
_LINK_REFUSED = {
    "DELAYLOAD": "delay-loaded DLLs (/DELAYLOAD) are an MSVC linker feature lld's MinGW mode lacks",
    "EXPORT": "/EXPORT: export the symbol with __declspec(dllexport) or a .def file instead",
    "CLRIMAGETYPE": "C++/CLI is .NET code that only MSVC builds",
}
_LIBRARY = re.compile(r"^(?P<name>[A-Za-z0-9_.+-]+)\.lib$", re.IGNORECASE)

_WAY_OUT = "; give the GCC/clang flag for non-MSVC compilers in setup.py's Windows branch, or drop it"
Translation = Union[tuple[str, ...], str]  # the GCC flags, or why a flag is refused


def msvc_to_gcc(
    args: Sequence[str], target: Target, *, link: bool = False, library_dirs: Sequence[Path] = ()
) -> list[str]:
    """`args` (extra_compile_args, or extra_link_args with `link`) with every MSVC option translated to
    GCC/clang's spelling or dropped (logged); a ConfigError naming the first MSVC option that cannot be
    translated. Non-MSVC arguments pass through unchanged; only Windows targets are translated.
    `library_dirs`: where a `NAME.lib` in link arguments is looked for as spelled before it is taken
    for a system library (lowercased)."""
    if not target.is_windows:
        return list(args)
    translate = _link_option if link else _compile_option
    result: list[str] = []
    position = 0
    while position < len(args):
        arg = args[position]
        position += 1
        if link and _LIBRARY.match(arg):
            result.append(f"-l{windows_library_name(arg, library_dirs)}")
            continue
        name = msvc_option(arg)
        if name is None:
            result.append(arg)
            continue
        if not link and name in SEPARATED_OPTIONS and position < len(args):  # `/D NAME`, `/I dir`
            result += [SEPARATED_OPTIONS[name], args[position]]
            position += 1
            continue
        translated = translate(name)
        if translated is None:
            what = "linker option" if link else "option"
            raise ConfigError(f"{arg} is an MSVC {what} with no GCC/clang equivalent fatpack knows{_WAY_OUT}")
        if isinstance(translated, str):
            raise ConfigError(f"{arg}: {translated}{_WAY_OUT}")
        if not translated:
            log.info("MSVC option %s dropped for %s (%s)", arg, target.name, _why_dropped(name, link))
        result += translated
    return result


def msvc_option(arg: str) -> Optional[str]:
    """The option name of an MSVC-style `/option` (without its slash); None for anything else, paths
    included (`/usr/include`, `/tmp/x.o`): an option's name holds no further `/`, except after the
    `:`, `=` or the letter that starts a value (`/Ic:/dir`, `/DX=a/b`)."""
    if not arg.startswith("/") or len(arg) < 2:
        return None
    name = arg[1:]
    head = re.split(r"[:=]", name, maxsplit=1)[0]
    if "/" in head and not re.match(r"^(I|D|FI|U|LIBPATH)", head):
        return None
    return name


def windows_library_name(name: str, library_dirs: Sequence[Path] = ()) -> str:
    """A system library as mingw-w64 names it: `Advapi32.lib` and `Advapi32` are `advapi32` (its
    import libraries are lowercase, and Linux file systems are case-sensitive). A library found as
    spelled in `library_dirs` (the project's own) keeps its name."""
    stem = name[:-4] if name.lower().endswith(".lib") else name
    spellings = (f"{stem}.lib", f"lib{stem}.a", f"lib{stem}.dll.a", f"{stem}.dll.a", f"{stem}.a")
    if any((directory / file).is_file() for directory in library_dirs for file in spellings):
        return stem
    return stem.lower() if stem.isascii() else stem


def _compile_option(name: str) -> Optional[Translation]:
    if name in _COMPILE_EXACT:
        return _COMPILE_EXACT[name][0]
    if name in _COMPILE_REFUSED:
        return _COMPILE_REFUSED[name]
    for letters, flag in (("FI", "-include"), ("D", "-D"), ("U", "-U"), ("I", "-I")):
        if name.startswith(letters) and len(name) > len(letters):
            return (flag + name[len(letters) :],)
    for prefix, translate in _COMPILE_VALUES:
        if name.startswith(prefix):
            return translate(name[len(prefix) :])
    if any(name.startswith(prefix) for prefix, _ in _COMPILE_DROPPED_PREFIXES):
        return ()
    return None


def _standard(value: str) -> Optional[Translation]:
    flag = _STANDARDS.get(value)
    return (flag,) if flag else None


def _arch(value: str) -> Optional[Translation]:
    flag = _ARCH.get(value)
    return (flag,) if flag else None


def _floating_point(value: str) -> Optional[Translation]:
    return ("-ffast-math",) if value == "fast" else ()  # precise (the default), strict, except


_COMPILE_VALUES: tuple[tuple[str, Callable[[str], Optional[Translation]]], ...] = (
    ("std:", _standard),
    ("arch:", _arch),
    ("fp:", _floating_point),
)


def _link_option(name: str) -> Optional[Translation]:
    upper = name.upper()
    for prefix, why in _LINK_REFUSED.items():
        if upper.startswith(prefix):
            return why
    if upper.startswith("LIBPATH:"):
        return (f"-L{name[len('LIBPATH:') :]}",)
    if upper.startswith("STACK:"):
        return (f"-Wl,--stack,{name[len('STACK:') :].split(',')[0]}",)
    if upper.startswith("DEF:"):
        return (name[len("DEF:") :],)  # lld in MinGW mode takes a .def file as an input
    if any(upper.startswith(prefix) for prefix, _ in _LINK_DROPPED_PREFIXES):
        return ()
    return None


def _why_dropped(name: str, link: bool) -> str:
    if not link and name in _COMPILE_EXACT:
        return _COMPILE_EXACT[name][1]
    prefixes = _LINK_DROPPED_PREFIXES if link else _COMPILE_DROPPED_PREFIXES
    key = name.upper() if link else name
    return next((why for prefix, why in prefixes if key.startswith(prefix)), "no GCC equivalent needed")
