"""Each target's wheel, built by the project's own PEP 517 backend with the target swapped in.

For every target of the run, the backend builds a wheel on a private copy of the project, in the
project's build environment (fatpack/buildenv.py), with the target's cross environment
(fatpack/crossenv.py): setuptools' build_ext -- the project's own subclass, build_clib, cffi modules,
sources setup.py picks for the target -- then compiles with zig for that target. The wheels are
fused (fatpack/fuse.py) into one; the host wheel (fatpack/reference.py) stays the reference of what
it must hold.

The build runs on the build environment's Python: a version-specific ABI is built by an environment
made from a CPython of that version (fatpack/interpreters.py finds one; pipeline._cross_assemble runs
one round of target builds per version), whose sysconfig variables and headers make the cross
environment. The project, not fatpack, decides whether it builds for the limited API. A wheel serves
an ABI asked for when it is that ABI, or abi3 with a floor at or below it. Per-target wheels are not
put in the payload cache: no key here covers every input of a backend's build (what setup.py reads,
what get_requires installs), so every run builds them again.
"""

from __future__ import annotations

import logging
import re
import shlex
import time
import zipfile
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pyproject_hooks

from fatpack.beforebuild import Prefix
from fatpack.binaries import binary_format, inspect_data
from fatpack.buildenv import BuildEnv, backend_errors, captured_runner, private_copy
from fatpack.builders.zig import MSVC_LENIENCY
from fatpack.crossenv import backend_environ, make_cross_env, no_pypy_target, pypy_serves
from fatpack.diagnosis import known_construct
from fatpack.errors import BuildError, ConfigError, FatpackError
from fatpack.interpreters import BuildPython, build_python
from fatpack.runner import Runner
from fatpack.sdk import PythonSdk, headers_at, prepare_sdk
from fatpack.sdk.windows_cxx import cxx_link_objects
from fatpack.sdk.windows_headers import windows_header_overlay
from fatpack.tags import target_and_abi
from fatpack.targets import DEFAULT_TARGETS, PythonAbi, Target, parse_abi_list, parse_target
from fatpack.wheelfiles import read_wheel

logger = logging.getLogger("fatpack")

# build-backend values (or their first dotted part) of backends fatpack cannot drive yet
OTHER_BACKENDS = {
    "scikit_build_core": "scikit-build-core",
    "mesonpy": "meson-python",
    "maturin": "maturin",
    "hatchling": "hatchling",
    "pdm": "pdm-backend",
    "flit_core": "flit",
    "poetry": "poetry-core",
    "enscons": "enscons",
    "sipbuild": "sip",
    "pymsbuild": "pymsbuild",
}


@dataclass(frozen=True)
class TargetWheel:
    target: Target
    path: Path
    abi: PythonAbi
    seconds: float


def chosen_targets(pyproject: Mapping[str, Any], asked: Sequence[Target]) -> tuple[Target, ...]:
    """The command line's targets, else [tool.fatpack] targets, else fatpack's defaults."""
    if asked:
        return tuple(dict.fromkeys(asked))
    names = _tool(pyproject).get("targets", list(DEFAULT_TARGETS))
    if not isinstance(names, list) or not names:
        raise ConfigError("tool.fatpack.targets must be a non-empty list of target names")
    return tuple(dict.fromkeys(parse_target(str(n), "tool.fatpack.targets") for n in names))


def chosen_abis(pyproject: Mapping[str, Any], asked: Sequence[PythonAbi]) -> tuple[PythonAbi, ...]:
    """The command line's ABIs, else [tool.fatpack] python; () means whatever the project builds."""
    if asked:
        return tuple(dict.fromkeys(asked))
    names = _tool(pyproject).get("python", [])
    if not isinstance(names, list):
        raise ConfigError("tool.fatpack.python must be a list of ABIs, e.g. ['cp311']")
    return parse_abi_list((str(n) for n in names), "tool.fatpack.python")


def _tool(pyproject: Mapping[str, Any]) -> Mapping[str, Any]:
    tool = pyproject.get("tool", {})
    fatpack = tool.get("fatpack", {}) if isinstance(tool, Mapping) else {}
    return fatpack if isinstance(fatpack, Mapping) else {}


def drives_backend(project_dir: Path, pyproject: Mapping[str, Any]) -> bool:
    """Whether fatpack cross-builds with this project's backend: setuptools (the default without
    [build-system]) or an in-tree backend (`backend-path`) whose code uses setuptools, as frozenlist's
    and aiohttp's do. A backend fatpack knows it cannot drive yet is refused in one line naming it;
    another one is not driven (fatpack compiles what the project declares, fatpack/setuptools_project.py)."""
    system = pyproject.get("build-system")
    system = system if isinstance(system, Mapping) else {}
    backend = str(system.get("build-backend") or "setuptools.build_meta:__legacy__")
    if backend.startswith("setuptools."):
        return True
    paths = system.get("backend-path")
    if isinstance(paths, list) and _in_tree_uses_setuptools(project_dir, paths, backend):
        return True
    name = OTHER_BACKENDS.get(backend.split(".")[0].split(":")[0])
    if name is not None:
        raise ConfigError(
            f"{name} projects cannot be cross-built by fatpack yet (build-backend = {backend!r}): "
            "fatpack drives setuptools builds; fuse wheels built per platform with `fatpack fuse` instead"
        )
    return False


def _in_tree_uses_setuptools(project_dir: Path, paths: Sequence[Any], backend: str) -> bool:
    """Whether the in-tree backend's top-level module or package mentions setuptools."""
    top = backend.split(":")[0].split(".")[0]
    for entry in paths:
        base = project_dir / str(entry)
        files = (
            [base / f"{top}.py", *sorted((base / top).rglob("*.py"))]
            if (base / top).is_dir()
            else [base / f"{top}.py"]
        )
        for file in files:
            try:
                if "setuptools" in file.read_text(encoding="utf-8", errors="replace"):
                    return True
            except OSError:
                continue
    return False


def build_target_wheels(
    project_dir: Path,
    env: BuildEnv,
    targets: Sequence[Target],
    work: Path,
    runner: Runner,
    jobs: int = 1,
    prefixes: Optional[Mapping[Target, Prefix]] = None,
    python: Optional[BuildPython] = None,
) -> list[TargetWheel]:
    """One wheel per target, each built by the backend cross-compiling (targets in parallel), against
    the target's before-build prefix in `prefixes`, if it has one; `python`: what env's interpreter
    said of itself, when already asked."""
    python = python or build_python(env.python, runner)

    def one(target: Target) -> TargetWheel:
        prefix = (prefixes or {}).get(target)
        return build_target_wheel(project_dir, env, target, python, work / target.name, runner, prefix)

    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(targets)))) as pool:
        futures = [pool.submit(one, t) for t in targets]
        return [f.result() for f in futures]


def build_target_wheel(
    project_dir: Path,
    env: BuildEnv,
    target: Target,
    python: BuildPython,
    work: Path,
    runner: Runner,
    prefix: Optional[Prefix] = None,
) -> TargetWheel:
    """The backend's wheel for `target`, on a private copy of the project; a FatpackError names the
    target and the step."""
    import build  # the frontend library

    started = time.monotonic()
    logger.info("building %s with the project's own backend", target.name)
    try:
        source = private_copy(project_dir, work / "source")
        sdk = target_sdk(target, python, work / "sdk", runner)
        cflags = windows_cflags(target, source, work)
        cxx_objects = cxx_link_objects(target, work / "cxx", runner)
        cross = make_cross_env(target, python, sdk, work / "cross", cflags, prefix, cxx_objects)
    except FatpackError as exc:
        raise type(exc)(f"{target.name}: cannot prepare the cross build: {exc}") from None
    log = work / "backend.log"
    try:
        builder = build.ProjectBuilder(
            source, python_executable=env.python, runner=_hook_runner(backend_environ(cross), log)
        )
    except build.BuildException as exc:
        raise ConfigError(f"{project_dir}: {exc}") from None
    try:
        with backend_errors(project_dir, "build_wheel"):
            path = Path(builder.build("wheel", work / "wheel"))
    except BuildError as exc:
        said = meaningful_line(exc.output) if exc.output.strip() else str(exc)  # the hook never ran
        raise BuildError(
            f"{target.name}: the project's own build failed {failed_step(exc.output, target)}: {said}",
            exc.command,
            exc.returncode,
            exc.output,
        ) from None
    abi = _checked_slot(path, target, log)
    if prefix is not None:
        bundle_prefix_libraries(path, prefix)
    return TargetWheel(target, path, abi, time.monotonic() - started)


def _hook_runner(extra: Mapping[str, str], log: Path) -> pyproject_hooks.SubprocessRunner:
    """pyproject_hooks' quiet runner with the cross environment added; the hook's output also goes
    to `log`, kept when it succeeds (what it said about an optional extension that failed)."""
    quoted = shlex.quote(str(log))
    script = f'"$@" > {quoted} 2>&1; status=$?; cat {quoted}; exit $status'

    def run(
        cmd: Sequence[str], cwd: Optional[str] = None, extra_environ: Optional[Mapping[str, str]] = None
    ) -> None:
        captured_runner(["sh", "-c", script, "sh", *cmd], cwd, {**(extra_environ or {}), **extra})

    return run


def _checked_slot(path: Path, target: Target, log: Path) -> PythonAbi:
    """The wheel's ABI, once its tag says it is for `target`; else a BuildError saying why not."""
    wheel = read_wheel(path)
    built_for, abi = target_and_abi(wheel.tags, wheel.filename)
    if built_for is None or abi is None:
        said = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
        raise BuildError(
            f"{target.name}: the project's own build made no extension module for it ({path.name}; "
            f"an optional extension that failed?): {meaningful_line(said)}",
            output=said,
        )
    if built_for != target:
        raise BuildError(
            f"{target.name}: the project's build backend made {path.name}, which is for "
            f"{built_for.name}: its build did not take fatpack's cross environment "
            "(a backend that does not run setuptools' build_ext?)"
        )
    return abi


def bundle_prefix_libraries(wheel_path: Path, prefix: Prefix) -> list[str]:
    """Add to the wheel each shared library of the before-build prefix that one of its binaries links,
    beside that binary and under the name it records (a SONAME, a DLL's name); the names added.

    Beside is where each target finds it wherever the wheel's files are stored, since the relative
    place of a fused payload (`<loader>/<target>/<abi>/pkg/_x.so`) is not known when setuptools links:
    on Linux through the RUNPATH `$ORIGIN` the cross environment's LDFLAGS give (Prefix.runpath), on
    Windows because the directory of the `.pyd` is searched for its DLLs (and the loader adds it).
    A ConfigError where that cannot work (Prefix.linked_libraries): a library needing another of the
    prefix's on Linux, or macOS. The wheel is fatpack's intermediate one: fuse regenerates RECORD."""
    members = read_wheel(wheel_path).members
    added: dict[str, Path] = {}
    for name, content in members.items():
        if not binary_format(content):
            continue
        directory = name.rpartition("/")[0]
        linked = prefix.linked_libraries(Path(name), inspect_data(content, name).needed)
        for recorded, library in linked.items():
            member = f"{directory}/{recorded}" if directory else recorded
            if member not in members:
                added.setdefault(member, library)
    if added:
        with zipfile.ZipFile(wheel_path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            for member, library in sorted(added.items()):
                logger.info("%s: bundling %s (before-build) as %s", prefix.target.name, library, member)
                archive.writestr(member, library.read_bytes())  # a symbolic link's target's bytes
    return sorted(added)


def windows_cflags(target: Target, source: Path, work: Path) -> list[str]:
    """For Windows: the overlay that resolves Windows headers the project includes in another case
    than mingw-w64's (`<Windows.h>`, `<Winsvc.h>`), and MSVC's leniency (fatpack/builders/zig.py)."""
    if not target.is_windows:
        return []
    return [*MSVC_LENIENCY, *windows_header_overlay([source], work / "windows-headers")]


def target_sdk(target: Target, python: BuildPython, work: Path, runner: Runner) -> PythonSdk:
    """The target's Python headers, from the build interpreter's (sysconfig's 'include' path, as the
    interpreter was found by); for Windows both import libraries (python3 and python3XY): the linker
    wrapper picks one by the module's file name."""
    if not python.include_dir:
        raise ConfigError(f"{python.python} does not say where its headers are")
    headers = headers_at(Path(python.include_dir), str(python.config_vars.get("MULTIARCH") or ""))
    specific = prepare_sdk(target, python_abi(python), work, runner, headers=headers)
    if not target.is_windows or python.free_threaded:  # no limited API in a free-threaded build (<3.15)
        return specific
    stable = prepare_sdk(target, PythonAbi(python.minor, abi3=True), work, runner, headers=headers)
    return PythonSdk(specific.include_dirs, (), specific.link_inputs + stable.link_inputs)


def python_abi(python: BuildPython) -> PythonAbi:
    """The version-specific ABI the build interpreter builds: cp311, cp313t, or pp311 for PyPy."""
    return PythonAbi(
        python.minor, abi3=False, free_threaded=python.free_threaded, implementation=python.implementation
    )


def pypy_versions(abis: Sequence[PythonAbi]) -> tuple[int, ...]:
    """The PyPy minor versions the project's build runs on: one per ppXY asked for."""
    return tuple(sorted({abi.minor for abi in abis if abi.is_pypy}))


def pypy_targets(python: BuildPython, targets: Sequence[Target]) -> tuple[list[Target], list[Target]]:
    """The targets a PyPy build interpreter builds for (its own platform: crossenv.pypy_serves) and
    those left out; a ConfigError when none is left to build, naming the PyPy and its platform."""
    served = [t for t in targets if pypy_serves(python, t)]
    if not served:
        suffix = str(python.config_vars.get("EXT_SUFFIX") or "")
        raise no_pypy_target(python_abi(python).tag, targets, python.python, suffix)
    return served, [t for t in targets if t not in served]


def build_versions(abis: Sequence[PythonAbi], own_minor: int) -> tuple[PythonAbi, ...]:
    """The CPythons the project's build runs on, as the version-specific ABI each makes: one per
    version-specific ABI asked for (cp310, cp312, and cp313t: a free-threaded 3.13 builds it); none
    asked, or only abi3: fatpack's own (what the project builds there serves the abi3 asked for, or not);
    only PyPy ABIs: none (pypy_versions)."""
    cpython = [abi for abi in abis if not abi.is_pypy]
    if abis and not cpython:
        return ()
    specific = sorted({abi for abi in cpython if not abi.abi3})
    return tuple(specific) or (PythonAbi(own_minor, abi3=False),)


def check_serves(
    wheels: Sequence[TargetWheel],
    abis: Sequence[PythonAbi],
    left_out: Collection[tuple[Target, PythonAbi]] = (),
) -> None:
    """Every ABI asked for is served, for each target, by one of its wheels (one per Python version
    built): that ABI, or abi3 from a floor at or below it; `left_out` (a PyPy ABI for a target no
    PyPy here builds for, already reported) aside. Else one line naming the target, what the project
    builds, and the way out."""
    by_target: dict[Target, list[TargetWheel]] = {}
    for wheel in wheels:
        by_target.setdefault(wheel.target, []).append(wheel)
    for target, built in by_target.items():
        for abi in abis:
            if (target, abi) in left_out or any(serves(wheel.abi, abi) for wheel in built):
                continue
            made = ", ".join(dict.fromkeys(wheel.abi.tag for wheel in built))
            names = ", ".join(wheel.path.name for wheel in built)
            way_out = (
                "it builds version-specific modules: ask for --python cp3X for each Python instead"
                if abi.abi3 and not any(wheel.abi.abi3 for wheel in built)
                else f"ask for --python {built[0].abi.tag}"
            )
            raise ConfigError(
                f"{target.name}: {abi.tag} was asked for, but the project's own build makes {made} "
                f"({names}): {way_out}"
            )


def one_per_slot(wheels: Sequence[TargetWheel]) -> list[TargetWheel]:
    """The first wheel of each (target, ABI): a project building abi3 makes the same module on every
    Python version it is built with; fuse takes one binary per slot."""
    kept: dict[tuple[Target, PythonAbi], TargetWheel] = {}
    for wheel in wheels:
        kept.setdefault((wheel.target, wheel.abi), wheel)
    return list(kept.values())


def serves(built: PythonAbi, wanted: PythonAbi) -> bool:
    if built == wanted:
        return True
    # a free-threaded CPython loads no abi3 binary (3.13t, 3.14t; abi3t is another ABI), nor does PyPy
    return built.abi3 and built.minor <= wanted.minor and not wanted.free_threaded and not wanted.is_pypy


def failed_step(output: str, target: Target) -> str:
    """Where a failed build stopped: in setup.py's own code, run with the target's platform answers
    (no setuptools command had started), or later, compiling and linking."""
    if "Traceback (most recent call last)" in output and not re.search(r"^running \w+", output, re.M):
        system = {"windows": "Windows", "macos": "macOS"}.get(target.os, "Linux")
        return f"running setup.py as on {system} ({target.name}'s sys.platform and os.name)"
    return "cross-compiling"


_COMPILER_ERROR = re.compile(r"(: (fatal )?error: |error: undefined symbol|ld\.lld: error|lld-link: error)")
_SETUPTOOLS_WRAPUP = re.compile(
    r"^error: (command .* failed with exit (code|status) \d+|Command '\[.*\]' returned non-zero exit status)"
)
_FATPACK_WRAPPER = "error: fatpack: "  # fatpack/cross_compiler.py


def meaningful_line(output: str) -> str:
    """The line of a failed backend's output that says what went wrong: fatpack's compiler wrapper's
    refusal, a construct the diagnosis knows (with its way out), the first compiler or linker error,
    else the last line that is not setuptools' 'command ... failed with exit code N'."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    own = [line for line in lines if line.startswith(_FATPACK_WRAPPER)]
    if own:
        return own[0][len("error: ") :]
    known = known_construct(output)
    if known is not None:
        return str(known)
    for line in lines:
        if _COMPILER_ERROR.search(line) and not _SETUPTOOLS_WRAPUP.match(line):
            return line
    kept = [line for line in lines if not _SETUPTOOLS_WRAPUP.match(line)]
    return kept[-1] if kept else "(no output)"
