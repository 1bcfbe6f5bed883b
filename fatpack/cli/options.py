"""Arguments shared by `fatpack build` and `fatpack assemble`."""

from __future__ import annotations

import argparse
import dataclasses
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path

from fatpack.archives import is_sdist
from fatpack.errors import ConfigError
from fatpack.pipeline import Options
from fatpack.targets import parse_abi_list, parse_target

# Environment variables `fatpack build` and `fatpack assemble` read (their --help lists them).
BUILD_ENVIRONMENT = (
    (
        "FATPACK_BUILD_CACHE",
        "the payload cache (default: $XDG_CACHE_HOME/fatpack/builds, else ~/.cache/fatpack/builds)",
    ),
    (
        "ZIG_GLOBAL_CACHE_DIR",
        "zig's own cache of the C runtimes it builds per target (default: ~/.cache/zig)",
    ),
    (
        "FATPACK_BUILD_ENVS",
        "the cached build environments of projects with a build of their own (default: "
        "$XDG_CACHE_HOME/fatpack/build-envs, else ~/.cache/fatpack/build-envs)",
    ),
    (
        "FATPACK_BEFORE_BUILD",
        "a shell command run per target before compiling, as --before-build gives one",
    ),
    (
        "FATPACK_TOOLCHAINS",
        "the per-target compiler wrappers, CMake toolchain and meson cross files given to before-build "
        "commands (default: $XDG_CACHE_HOME/fatpack/toolchains, else ~/.cache/fatpack/toolchains)",
    ),
    ("PATH", "where llvm-lipo (macosx_universal2) and the native and mingw builders' compilers are found"),
)


def add_build_arguments(parser: argparse.ArgumentParser, default_out: str, many_inputs: bool = False) -> None:
    if many_inputs:
        parser.add_argument(
            "inputs",
            nargs="*",
            type=Path,
            metavar="INPUT",
            help="a project directory, PROJECT_DIR (default: .), its sdist (.tar.gz), "
            "or prebuilt wheels to fuse",
        )
        sdist_default = f"./{default_out} for an sdist or for wheels to fuse"
    else:
        parser.add_argument(
            "project_dir",
            nargs="?",
            default=".",
            type=Path,
            metavar="PROJECT_DIR",
            help="a project directory (default: .) or its sdist (.tar.gz)",
        )
        sdist_default = f"./{default_out} for an sdist"

    parser.add_argument(
        "-o",
        "--out-dir",
        type=Path,
        default=None,
        help=f"output directory (default: PROJECT_DIR/{default_out}; {sdist_default})",
    )
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="T",
        help="build this target (repeatable; default: the project's `targets`, else linux_x86_64 and "
        "win_amd64; `fatpack targets` lists them all)",
    )
    parser.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="P",
        help="Python ABI: 'cpXY-abi3' (one binary for CPython 3.Y and newer), 'cpXY' (3.Y only), 'cpXYt' "
        "(the free-threaded 3.Y only, 3.13+, built by a python3.Yt), 'ppXY' (PyPy 3.Y) or 'cpXY+' "
        "(every CPython from 3.Y to the newest fatpack knows, each version-specific) "
        "(repeatable; default: the project's `python`, else cp38-abi3; cp39-abi3 with Cython, cp311-abi3 "
        "when its Cython code uses the buffer protocol (typed memoryviews); a setup.py "
        "project: abi3 if it sets py_limited_api, else this Python's cpXY; a project with its own build "
        "builds each cpXY with a CPython 3.Y found on PATH, in pyenv's (PYENV_ROOT) or uv's "
        "(UV_PYTHON_INSTALL_DIR) Pythons or /usr/bin, and each ppXY with a pypy3.Y found there, for that "
        "PyPy's own platform only: other targets are left out, each in one line)",
    )
    parser.add_argument(
        "--sdk",
        action="append",
        default=[],
        metavar="KEY=PATH",
        help="where a Python's headers are, over [tool.fatpack.sdk]: cpXY=PATH names CPython 3.Y by its "
        "interpreter, its PEP 739 build-details.json or its prefix (for cpXY builds; not searched "
        "for then), TARGET=PATH a Windows Python layout (include/, libs/) (repeatable)",
    )
    parser.add_argument(
        "--builder",
        action="append",
        default=[],
        metavar="[TARGET=]NAME",
        help="zig (default), native, mingw, command or a plug-in's name: for all targets, or "
        "TARGET=NAME for one (repeatable)",
    )
    parser.add_argument(
        "-j", "--jobs", type=int, default=None, metavar="N", help="targets built at once (default: CPUs)"
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="compile everything; ignore the payload cache (FATPACK_BUILD_CACHE)",
    )
    parser.add_argument(
        "--no-isolation",
        action="store_true",
        help="run the project's own build (setup.py, its backend) with fatpack's Python, installing "
        "nothing; by default it runs in a cached environment holding its build requirements, as "
        "`python -m build` makes one (FATPACK_BUILD_ENVS)",
    )
    parser.add_argument(
        "--before-build",
        action="append",
        default=[],
        metavar="CMD",
        help="a shell command run once per target before compiling, with the target's cross toolchain "
        "exported (CC, CXX, AR, FATPACK_HOST_TRIPLE, CMAKE_TOOLCHAIN_FILE, ...) to install C libraries "
        "into $FATPACK_PREFIX, whose include/ and lib/ every compile then uses (the host's reference "
        "build finds its pkg-config files ahead of your PKG_CONFIG_PATH; repeatable; replaces "
        "the project's before-build and FATPACK_BEFORE_BUILD)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show compiler commands")
    parser.set_defaults(default_out=default_out)


def options_from(args: argparse.Namespace) -> Options:
    _check_project_path(args.project_dir)
    default_out = (
        Path(args.default_out) if args.project_dir.is_file() else args.project_dir / args.default_out
    )
    out_dir = args.out_dir if args.out_dir is not None else default_out

    if args.jobs is not None and args.jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, not {args.jobs}")
    options = Options(
        project_dir=args.project_dir,
        out_dir=out_dir,
        targets=tuple(parse_target(t, "--target") for t in args.target),
        abis=parse_abi_list(args.python, "--python"),
        builders=dict(_parse_builder(b) for b in args.builder),
        sdk=dict(_parse_sdk(s) for s in args.sdk),
    )
    if args.jobs is not None:
        options = dataclasses.replace(options, jobs=args.jobs)
    if args.no_cache:
        options = dataclasses.replace(options, cache_dir=None)
    if args.no_isolation:
        options = dataclasses.replace(options, isolation=False)
    before_build = tuple(args.before_build) or _before_build_from_environment()
    if before_build:
        options = dataclasses.replace(options, before_build=before_build)
    return options


def _before_build_from_environment() -> tuple[str, ...]:
    value = os.environ.get("FATPACK_BEFORE_BUILD", "")
    return (value,) if value.strip() else ()


def _check_project_path(path: Path) -> None:
    """A file where a project directory belongs (an sdist aside) is named as such, with what to give;
    a path that does not exist is said to, before an output directory inside it makes it exist."""
    if not path.exists():
        what = "sdist" if is_sdist(path) else "project directory"
        raise ConfigError(f"{what} {path.resolve()} does not exist")
    if not path.is_file() or is_sdist(path):
        return
    hint = (
        f"; give its directory, {path.parent}"
        if path.name in ("pyproject.toml", "setup.py")
        else " (give a directory holding a pyproject.toml, or an sdist .tar.gz)"
    )
    raise ConfigError(f"{path} is a file, not a project directory{hint}")


def environment_help(entries: Sequence[tuple[str, str]]) -> str:
    """An argparse epilog naming the environment variables a command reads."""
    lines = ["environment variables:"]
    for name, meaning in entries:
        lines.append(f"  {name}")
        lines.extend(textwrap.wrap(meaning, width=76, initial_indent=" " * 6, subsequent_indent=" " * 6))
    return "\n".join(lines)


def _parse_sdk(text: str) -> tuple[str, str]:
    key, sep, path = text.partition("=")
    if not sep or not key or not path:
        raise ConfigError(f"--sdk {text!r}: expected KEY=PATH, e.g. cp314=/usr/bin/python3.14")
    return (key, str(Path(path).expanduser().absolute()))


def _parse_builder(text: str) -> tuple[str, str]:
    target, sep, name = text.rpartition("=")
    if not sep:
        return ("*", name)
    if not name:
        raise ConfigError(f"--builder {text!r}: expected NAME or TARGET=NAME")
    return (parse_target(target, "--builder").name, name)
