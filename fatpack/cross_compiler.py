"""The compiler a project's own build runs for a target (fatpack/crossenv.py writes one per tool).

For every target: an include or library directory of this machine's system (`-I/usr/include/libxml2`
from the host's xml2-config or pkg-config, `-L/usr/lib/x86_64-linux-gnu`) stops the build with one line
naming it, as it would mix this machine's headers or libraries into the target's binary; the target's
C libraries come from a before-build prefix. `/usr/include/python3.X` is let through (the target's
Python headers, fatpack/sdk, come first; setuptools adds the running interpreter's after them), and so
are Python packages' headers (`/usr/local/lib/python3.11/site-packages/numpy/...`, where a Python
installed in /usr/local keeps a build requirement when the build is not isolated).

For Windows targets: a setup.py written for MSVC adds `/O2`, `/EHsc`, `/std:c++17`, `Shell32.lib`...
in its Windows branch, which the cross build takes. They are translated (fatpack/builders/msvc_flags.py)
before zig runs, and a link (`-shared`) gets the Python import library MSVC's `#pragma comment(lib)`
would pick: python3.dll's for a limited-API module (`X.pyd`), else pythonXY.dll's
(`X.cp311-win_amd64.pyd`), and a C++ link the object that makes an uncaught exception end in
std::terminate (fatpack/sdk/windows_cxx.py). An MSVC option with no GCC/clang spelling stops the build
with one line naming it (`error: fatpack: ...`, which the cross build reports).

Run as `python -I cross_compiler.py CONFIG.json ARGS...`: stdlib and fatpack only, nothing from the
build's environment.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

HOST_SYSTEM_DIRECTORIES = (
    "/usr/include",
    "/usr/local/include",
    "/usr/lib",
    "/usr/lib64",
    "/usr/local/lib",
    "/lib",
    "/lib64",
)
# options whose next argument is a path or a value, never an MSVC option (`-o /out`, `-I /src`)
_TAKES_VALUE = frozenset(
    {"-o", "-I", "-L", "-D", "-U", "-include", "-isystem", "-idirafter", "-iquote", "-isysroot", "-x", "-MF",
     "-MT", "-MQ", "-target", "-Xclang", "-Xlinker", "-mllvm"}
)  # fmt: skip


@dataclass(frozen=True)
class WrapperConfig:
    """What crossenv writes for one tool of one target."""

    command: list[str]  # zig cc/c++ for the target's triple
    target: str  # fatpack's target name (win_amd64)
    stable_library: str = ""  # Windows: python3.dll's import library
    specific_library: str = ""  # Windows: pythonXY.dll's import library
    link_objects: list[str] = field(default_factory=list)  # Windows C++: sdk/windows_cxx.py's object


def final_arguments(args: Sequence[str], config: WrapperConfig) -> list[str]:
    """`args` as zig takes them; a ConfigError names a directory of this machine's system, or an MSVC
    option that cannot be translated."""
    final = windows_arguments(args, config) if config.specific_library else list(args)
    check_no_host_directories(final, config.target)  # after translation: `/I /usr/include` is one too
    return final


def check_no_host_directories(args: Sequence[str], target: str) -> None:
    from fatpack.errors import ConfigError

    for position, arg in enumerate(args):
        previous = args[position - 1] if position else ""
        named = _directory_named(arg, previous)
        if named is not None and _is_host_system(*named):
            path, include = named
            what = "headers" if include else "libraries"
            raise ConfigError(
                f"the build asked for {path}, this machine's {what}, while compiling for {target} "
                "(found by a host xml2-config, pkg-config or a hard-coded path?): build the target's "
                "C libraries with a before-build command and point the build at its prefix"
            )


_INCLUDE_FLAGS = ("-isystem", "-idirafter", "-iquote", "-I")
_PATH_FLAGS = (*_INCLUDE_FLAGS, "-L", "-Wl,-L", "--sysroot=", "-isysroot")


def _directory_named(arg: str, previous: str) -> Optional[tuple[str, bool]]:
    """(the directory or file `arg` names as an include/library path or a link input, whether it is
    an include directory), if it names one."""
    if previous in _PATH_FLAGS:
        return arg, previous in _INCLUDE_FLAGS
    for flag in _PATH_FLAGS:
        if arg.startswith(flag) and len(arg) > len(flag):
            return arg[len(flag) :], flag in _INCLUDE_FLAGS
    if re.search(r"\.(so(\.\d+)*|a|dylib)$", arg):  # a link input named by its path
        return arg, False
    return None


def _is_host_system(path: str, include: bool) -> bool:
    normal = "/" + os.path.abspath(path).lstrip("/")  # `//usr/include` and relative `../../usr` too
    if include and re.search(r"/include/python3\.\d+t?$|/(site|dist)-packages/", normal):
        return False  # Python's headers, and a build requirement's (numpy's, pybind11's) as a venv has them
    return any(normal == d or normal.startswith(d + "/") for d in HOST_SYSTEM_DIRECTORIES) or normal == "/"


def windows_arguments(args: Sequence[str], config: WrapperConfig) -> list[str]:
    """MSVC options translated in place, the Python import library added when linking."""
    from fatpack.builders.msvc_flags import SEPARATED_OPTIONS, msvc_option, msvc_to_gcc, windows_library_name
    from fatpack.targets import TARGETS

    target = TARGETS[config.target]
    linking = "-shared" in args
    library_dirs = [Path(a[2:]) for a in args if a.startswith("-L") and len(a) > 2]
    result: list[str] = []
    position = 0
    while position < len(args):
        arg = args[position]
        is_value = position > 0 and args[position - 1] in _TAKES_VALUE
        position += 1
        if linking and arg.startswith("-l") and len(arg) > 2:  # `Advapi32`: mingw-w64's are lowercase
            result.append(f"-l{windows_library_name(arg[2:], library_dirs)}")
            continue
        name = None if is_value or os.path.exists(arg) else msvc_option(arg)
        if name is None and not (linking and not is_value and _is_library_name(arg)):
            result.append(arg)
            continue
        option = [arg]
        if name in SEPARATED_OPTIONS and position < len(args):  # `/D NAME`, `/I dir`
            option.append(args[position])
            position += 1
        result += msvc_to_gcc(option, target, link=linking, library_dirs=library_dirs)
    return [*result, *python_library(args, config), *(config.link_objects if linking else [])]


def _is_library_name(arg: str) -> bool:
    """`Shell32.lib`: how MSVC users name a system library in extra_link_args."""
    return arg.lower().endswith(".lib") and "/" not in arg and not arg.startswith("-")


def python_library(args: Sequence[str], config: WrapperConfig) -> list[str]:
    """The import library a link of `args` needs: none when compiling."""
    if "-shared" not in args:
        return []
    output = next((args[i + 1] for i, a in enumerate(args[:-1]) if a == "-o"), "")
    name = Path(output).name
    limited = name.endswith(".pyd") and ".cp3" not in name
    library = config.stable_library if limited else config.specific_library
    return [library] if library else []  # no python3.dll's for a free-threaded build


def main(argv: Sequence[str]) -> int:
    from fatpack.errors import FatpackError

    with open(argv[0], encoding="utf-8") as file:
        config = WrapperConfig(**json.load(file))
    try:
        args = final_arguments(argv[1:], config)
    except FatpackError as exc:
        print(f"error: fatpack: {exc}", file=sys.stderr)
        return 1
    os.execv(config.command[0], [*config.command, *args])
    return 1  # not reached


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main(sys.argv[1:]))
