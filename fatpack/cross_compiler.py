"""The compiler a project's own build runs for a Windows target (fatpack/crossenv.py writes one per tool).

A setup.py written for MSVC adds `/O2`, `/EHsc`, `/std:c++17`, `Shell32.lib`... in its Windows branch,
which the cross build takes. This wrapper translates them (fatpack/builders/msvc_flags.py) before
running zig, and when linking (`-shared`) adds the Python import library MSVC's `#pragma comment(lib)`
would pick: python3.dll's for a limited-API module (`X.pyd`), else pythonXY.dll's
(`X.cp311-win_amd64.pyd`). An MSVC option with no GCC/clang spelling stops the build with one line
naming it (`error: fatpack: ...`, which the cross build reports).

Run as `python -I cross_compiler.py CONFIG.json ARGS...`: stdlib and fatpack only, nothing from the
build's environment.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# options whose next argument is a path or a value, never an MSVC option (`-o /out`, `-I /src`)
_TAKES_VALUE = frozenset({"-o", "-I", "-L", "-include", "-isystem", "-x", "-MF", "-MT", "-MQ", "-target"})


@dataclass(frozen=True)
class WrapperConfig:
    """What crossenv writes for one tool of one target."""

    command: list[str]  # zig cc/c++ for the target's triple
    target: str  # fatpack's target name (win_amd64)
    stable_library: str  # python3.dll's import library
    specific_library: str  # pythonXY.dll's import library


def final_arguments(args: Sequence[str], config: WrapperConfig) -> list[str]:
    """`args` as zig takes them: MSVC options translated, the Python import library added when linking.
    A ConfigError names an MSVC option that cannot be translated."""
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
    return [*result, *python_library(args, config)]


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
    return [config.stable_library if limited else config.specific_library]


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
