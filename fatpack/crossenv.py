"""The cross environment of one target: what makes a project's own setuptools build compile for it.

CPython's own cross-build mechanism, as crossenv uses it: `_PYTHON_SYSCONFIGDATA_NAME` names a
generated `_sysconfigdata_fatpack_<target>` module whose `build_time_vars` are the build interpreter's
(the one the project's backend runs on, fatpack/interpreters.py: a CPython 3.10 for cp310) with
the target's EXT_SUFFIX, SOABI, MULTIARCH, compilers (zig for the target's triple), flags and Python
headers (fatpack/sdk); `_PYTHON_HOST_PLATFORM` makes `sysconfig.get_platform()`, and so bdist_wheel's
platform tag, say the target. The compiler variables distutils reads from the environment (CC, CXX,
LDSHARED, AR, CFLAGS, LDFLAGS...) are set too. A `sitecustomize` (fatpack/crossenv_site/) makes
setup.py's top-level code see the target's sys.platform/os.name/platform answers.

For Windows targets setuptools keeps its Unix compiler class (zig speaks GCC's flags); the compiler
wrappers (fatpack/cross_compiler.py) translate MSVC's options from a setup.py's Windows branch and link
python3.dll's import library for a limited-API module (named `X.pyd`) and pythonXY.dll's for a
version-specific one (`X.cp311-win_amd64.pyd`), as MSVC's `#pragma comment(lib)` would choose.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

from fatpack.beforebuild import Prefix
from fatpack.cross_compiler import WrapperConfig
from fatpack.errors import ConfigError
from fatpack.interpreters import BuildPython, ConfigValue
from fatpack.runner import zig_command
from fatpack.sdk import PythonSdk
from fatpack.targets import Target

SITE_DIR = Path(__file__).with_name("crossenv_site")
WRAPPER = Path(__file__).with_name("cross_compiler.py")
ANSWERS_FILE = "fatpack_cross_target.json"  # read by crossenv_site/sitecustomize.py
CFLAGS = "-DNDEBUG -fwrapv -O2"  # one fixed set per target: zig's C runtime cache stays warm
ARFLAGS = "rcs"


@dataclass(frozen=True)
class CrossEnv:
    """What the backend's process gets for one target: environment variables, and the directory put
    first on its PYTHONPATH (sysconfig data module and sitecustomize)."""

    target: Target
    python_path: Path
    environ: dict[str, str]


@dataclass(frozen=True)
class Tools:
    """Commands (one word each: distutils replaces a linker's first word by the C++ compiler's)."""

    cc: str
    cxx: str
    ar: str


def compiler_command(tool: str, target: Target) -> list[str]:
    """The one place the cross compiler's command is made: zig for the target's triple."""
    if tool in ("cc", "c++"):
        return [*zig_command(tool), "-target", target.zig_triple]
    return zig_command(tool)


def host_platform(target: Target) -> str:
    """`_PYTHON_HOST_PLATFORM`: what `sysconfig.get_platform()` says on the target; bdist_wheel's tag
    is it with '-' and '.' as '_' (fatpack/tags.py maps that tag back to the target)."""
    if target.is_windows:
        return {"x86_64": "win-amd64", "aarch64": "win-arm64", "x86": "win32"}[target.arch]
    if target.is_macos:  # the floor in the zig triple: x86_64-macos.10.9, aarch64-macos.11.0
        floor = target.zig_triple.split(".", 1)[1]
        return f"macosx-{floor}-{'arm64' if target.arch == 'aarch64' else target.arch}"
    if target.libc == "musl":
        return f"musllinux_1_2-{target.arch}"
    return f"linux-{target.arch}"


def multiarch(target: Target) -> str:
    if target.os != "linux":
        return ""
    return f"{target.arch}-linux-{'musl' if target.libc == 'musl' else 'gnu'}"


def extension_suffix(target: Target, minor: int, flags: str = "") -> str:
    """The version-specific suffix CPython 3.<minor> on the target imports; `flags` 't' for the
    free-threaded build (`.cpython-313t-x86_64-linux-gnu.so`, `.cp313t-win_amd64.pyd`)."""
    if target.is_windows:
        return f".cp3{minor}{flags}-{target.name}.pyd"
    if target.is_macos:
        return f".cpython-3{minor}{flags}-darwin.so"
    return f".cpython-3{minor}{flags}-{multiarch(target)}.so"


def pypy_serves(python: BuildPython, target: Target) -> bool:
    """Whether a PyPy build interpreter can build for `target`: only for the platform it runs on itself,
    the one its EXT_SUFFIX (`.pypy311-pp80-x86_64-linux-gnu.so`) and headers describe; fatpack knows no
    other PyPy SDK (no PyPy import library for Windows, no headers of another platform's PyPy)."""
    return suffix_is_for(str(python.config_vars.get("EXT_SUFFIX") or ""), target)


def suffix_is_for(suffix: str, target: Target) -> bool:
    """Whether a Linux interpreter's extension suffix (`.pypy311-pp80-x86_64-linux-gnu.so`) is `target`'s."""
    return target.os == "linux" and suffix.endswith(f"-{multiarch(target)}.so")


# why a target gets no PyPy payload: one progress line each (TargetReport.skipped)
NO_PYPY = "no PyPy for this platform here (PyPy payloads are built for the platform of the PyPy found)"


def no_pypy_target(abi: str, targets: Sequence[Target], pypy: str, suffix: str) -> ConfigError:
    """A PyPy ABI none of the targets asked for can get: the PyPy found builds for its own platform only."""
    return ConfigError(
        f"{abi}: no target asked for ({', '.join(t.name for t in targets)}) can be built for PyPy here: "
        f"fatpack builds PyPy payloads only for the platform of the PyPy it finds ({pypy} imports "
        f"{suffix or '?'}), having no PyPy headers or import library for another"
    )


def soabi_platform(target: Target) -> str:
    """SOABI_PLATFORM (CPython 3.15+): the platform in the target's arch-tagged stable-ABI suffixes
    (`.abi3-aarch64-linux-gnu.so`, macOS `.abi3-darwin.so`); Windows has none (`.pyd`)."""
    if target.is_windows:
        return ""
    return "darwin" if target.is_macos else multiarch(target)


def soabi(target: Target, minor: int, flags: str = "") -> str:
    if target.is_windows:  # as Windows CPython 3.13 says; bdist_wheel reads 'cp3XY' / 'cp3XYt'
        return f"cp3{minor}{flags}-{target.name}"
    return extension_suffix(target, minor, flags)[1:-3]


def target_answers(target: Target) -> dict[str, str]:
    """What setup.py's top-level code sees (crossenv_site/sitecustomize.py); `compiler` is what the
    target's CPython names in sys.version's brackets (python.org's builds: MSVC, Apple's clang)."""
    if target.is_windows:
        machine = {"x86_64": "AMD64", "aarch64": "ARM64", "x86": "x86"}[target.arch]
        bits = "32 bit (Intel)" if target.arch == "x86" else f"64 bit ({machine})"
        return {
            "sys_platform": "win32",
            "os_name": "nt",
            "system": "Windows",
            "machine": machine,
            "compiler": f"MSC v.1938 {bits}",
        }
    if target.is_macos:
        machine = "arm64" if target.arch == "aarch64" else target.arch
        return {
            "sys_platform": "darwin",
            "os_name": "posix",
            "system": "Darwin",
            "machine": machine,
            "compiler": "Clang 13.0.0 (clang-1300.0.29.30)",
        }
    return {"sys_platform": "linux", "os_name": "posix", "system": "Linux", "machine": target.arch}


def make_cross_env(
    target: Target,
    python: BuildPython,
    sdk: PythonSdk,
    work: Path,
    extra_cflags: Sequence[str] = (),
    prefix: Optional[Prefix] = None,
    cxx_objects: Sequence[Path] = (),
) -> CrossEnv:
    """Write the target's sysconfig data (`python`'s, with the target's swapped in), sitecustomize and
    compiler wrappers below `work`.
    `extra_cflags` go after fatpack's fixed CFLAGS (the Windows header overlay, MSVC leniency);
    `prefix`, where the target's before-build commands installed, goes into CPPFLAGS and LDFLAGS;
    `cxx_objects` into every link the C++ compiler makes (fatpack/sdk/windows_cxx.py)."""
    cflags = shlex.join([*shlex.split(CFLAGS), *extra_cflags])
    cppflags = shlex.join(prefix.cflags()) if prefix else ""
    # on Linux the extensions find the prefix's shared libraries they link beside themselves, where the
    # cross build bundles them (crossbuild.bundle_prefix_libraries): a RUNPATH of $ORIGIN
    ldflags = shlex.join([*prefix.ldflags(), *prefix.runpath("$ORIGIN")]) if prefix else ""
    if not target.zig_triple:
        raise ConfigError(
            f"{target.name} cannot be cross-built with the project's own build: build "
            f"{' and '.join(target.slices)} instead (one wheel each)"
        )
    site = work / "site"
    site.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SITE_DIR / "sitecustomize.py", site / "sitecustomize.py")
    (site / ANSWERS_FILE).write_text(json.dumps(target_answers(target)), encoding="utf-8")
    tools = write_tools(target, sdk, work / "bin", cxx_objects)
    variables = {
        **config_vars(target, python, sdk, tools, work),
        "CFLAGS": cflags,
        "CPPFLAGS": cppflags,
        "LDFLAGS": ldflags,
    }
    module = f"_sysconfigdata_fatpack_{target.name}"
    (site / f"{module}.py").write_text(
        f"# the sysconfig data of {'PyPy' if python.is_pypy else 'CPython'} 3.{python.minor} on "
        f"{target.name}, written by fatpack\n"
        f"build_time_vars = {variables!r}\n",
        encoding="utf-8",
    )
    environ = {
        "_PYTHON_SYSCONFIGDATA_NAME": module,
        "_PYTHON_HOST_PLATFORM": host_platform(target),
        "CC": tools.cc,
        "CXX": tools.cxx,
        "LDSHARED": str(variables["LDSHARED"]),
        "LDCXXSHARED": str(variables["LDCXXSHARED"]),
        "AR": tools.ar,
        "ARFLAGS": ARFLAGS,
        "CFLAGS": cflags,
        "CXXFLAGS": cflags,
        "LDFLAGS": ldflags,
        "CPPFLAGS": cppflags,
        # pkg-config finds the target's libraries (the prefix's), never this machine's
        "PKG_CONFIG_LIBDIR": os.pathsep.join(pkg_config_dirs(prefix, work)),
        "PKG_CONFIG_PATH": "",
    }
    macos = {"MACOSX_DEPLOYMENT_TARGET": host_platform(target).split("-")[1]} if target.is_macos else {}
    return CrossEnv(target, site, {**environ, **macos})


def pkg_config_dirs(prefix: Optional[Prefix], work: Path) -> list[str]:
    """Where pkg-config looks for the target: the before-build prefix's .pc files, else an empty
    directory (an empty PKG_CONFIG_LIBDIR means the default search path to some pkg-config versions)."""
    if prefix is not None:
        return [str(d) for d in prefix.pkg_config_dirs]
    empty = work / "no-pkgconfig"
    empty.mkdir(parents=True, exist_ok=True)
    return [str(empty)]


def config_vars(
    target: Target, python: BuildPython, sdk: PythonSdk, tools: Tools, work: Path
) -> dict[str, ConfigValue]:
    """The build interpreter's sysconfig variables with the target's swapped in."""
    minor, flags = python.minor, ("t" if python.free_threaded else "")
    include = str(sdk.include_dirs[0])
    link = _link_flags(target, work)
    ccshared = "" if target.is_windows else "-fPIC"
    # PyPy builds only for its own platform (pypy_serves): its own suffix and SOABI ('pypy311-pp80')
    # name the PyPy ABI, which no rule derives from the version
    if python.is_pypy:
        suffix, abi = str(python.config_vars["EXT_SUFFIX"]), str(python.config_vars["SOABI"])
    else:
        suffix, abi = extension_suffix(target, minor, flags), soabi(target, minor, flags)
    return {
        **python.config_vars,
        "EXT_SUFFIX": suffix,
        "SO": suffix,
        "SOABI": abi,
        "MULTIARCH": multiarch(target),
        # not the build machine's x86_64-linux-gnu: setuptools' abi3 suffix reads it
        **({"SOABI_PLATFORM": soabi_platform(target)} if "SOABI_PLATFORM" in python.config_vars else {}),
        "HOST_GNU_TYPE": target.zig_triple,
        "MACHDEP": {"windows": "win32", "macos": "darwin"}.get(target.os, "linux"),
        "CC": tools.cc,
        "CXX": tools.cxx,
        "LDSHARED": shlex.join([tools.cc, *link]),
        "LDCXXSHARED": shlex.join([tools.cxx, *link]),
        "BLDSHARED": shlex.join([tools.cc, *link]),
        "AR": tools.ar,
        "ARFLAGS": ARFLAGS,
        "CFLAGS": CFLAGS,
        "OPT": "-DNDEBUG -O2",
        "CCSHARED": ccshared,
        "CFLAGSFORSHARED": ccshared,
        "LDFLAGS": "",
        "CONFIGURE_LDFLAGS": "",
        "PY_LDFLAGS": "",
        "CPPFLAGS": "",
        "INCLUDEPY": include,
        "CONFINCLUDEPY": include,
        "INCLUDEDIR": str(Path(include).parent),
        "Py_ENABLE_SHARED": 0,  # no -L<this machine's libdir>, no -lpython for the target
        "LIBDIR": "",
        "SHLIB_SUFFIX": ".dll" if target.is_windows else (".dylib" if target.is_macos else ".so"),
        "Py_DEBUG": 0,
        "Py_GIL_DISABLED": 1 if python.free_threaded else 0,
        "ABIFLAGS": flags,
        "HAVE_DYNAMIC_LOADING": 1,
    }


def _link_flags(target: Target, work: Path) -> list[str]:
    flags = ["-shared", "-O2", "-s"]
    if target.is_macos:
        flags.append("-Wl,-undefined,dynamic_lookup")
    if target.is_windows:  # zig writes NAME.lib beside the .pyd unless told where: not into the wheel
        flags.append(f"-Wl,--out-implib,{work / 'scratch' / 'discarded-implib.a'}")
    return flags


def write_tools(target: Target, sdk: PythonSdk, bin_dir: Path, cxx_objects: Sequence[Path] = ()) -> Tools:
    """One-word wrapper scripts for the compilers and the archiver; the compilers run
    fatpack/cross_compiler.py (no host system directories; for Windows MSVC options translated, the
    Python import library linked, and `cxx_objects` in the C++ compiler's links)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    (bin_dir.parent / "scratch").mkdir(parents=True, exist_ok=True)
    tools = {}
    for tool in ("cc", "c++", "ar"):
        path = bin_dir / f"zig-{tool}"
        command = compiler_command(tool, target)
        if tool != "ar":
            config = bin_dir / f"zig-{tool}.json"
            objects = cxx_objects if tool == "c++" else ()
            wrapper = _wrapper_config(command, target, sdk, objects)
            config.write_text(json.dumps(asdict(wrapper)), encoding="utf-8")
            command = [sys.executable, "-I", str(WRAPPER), str(config)]
        script = (
            f'#!/bin/sh\n# {tool} for {target.name}, written by fatpack\nexec {shlex.join(command)} "$@"\n'
        )
        path.write_text(script, encoding="utf-8")
        path.chmod(0o755)
        tools[tool] = str(path)
    return Tools(tools["cc"], tools["c++"], tools["ar"])


def _wrapper_config(
    command: list[str], target: Target, sdk: PythonSdk, objects: Sequence[Path] = ()
) -> WrapperConfig:
    if not target.is_windows:
        return WrapperConfig(command, target.name)
    libraries = {p.name: p for p in sdk.link_inputs}
    stable = next((p for n, p in libraries.items() if n == "libpython3.a"), None)
    specific = next((p for n, p in libraries.items() if n != "libpython3.a"), None)
    if specific is None or (stable is None and len(libraries) != 1):
        raise ConfigError("the Windows SDK lacks an import library for python3.dll or pythonXY.dll")
    # a free-threaded build's SDK has python3XYt.dll's alone: its headers refuse the limited API
    stable_library = str(stable) if stable is not None else ""
    return WrapperConfig(command, target.name, stable_library, str(specific), [str(o) for o in objects])


def backend_environ(cross: CrossEnv) -> dict[str, str]:
    """The variables to add to the backend's environment: the cross ones, and PYTHONPATH holding the
    sysconfig data and sitecustomize (in place of fatpack's own, as isolation wants)."""
    return {**cross.environ, "PYTHONPATH": str(cross.python_path)}
