"""Finding a CPython X.Y (or a PyPy X.Y) to run a project's own build with, and what that interpreter
says of itself.

A project with its own build (setuptools) builds for the Python its backend runs on: a cp310 payload
needs the backend run by a CPython 3.10 (its headers, its sysconfig). Candidates, in this order and
each real path once: fatpack's own interpreter, `python3.X` in PATH's absolute directories, pyenv's
(`$PYENV_ROOT` or ~/.pyenv: `versions/*/bin/python3.X`, newest first), uv-managed ones
(`$UV_PYTHON_INSTALL_DIR` or ~/.local/share/uv/python: `cpython-3.X*/bin/python3.X`), then
`/usr/bin/python3.X`. pyenv's shims are never taken for interpreters: a shim of a version that is not
selected exits with "pyenv: python3.12: command not found"; pyenv's versions directory is read instead.
A candidate anyone may replace (in a world-writable directory) is never run. Each candidate is asked,
in one short process, for its version, implementation, whether it is free-threaded and where its
headers are; the first CPython 3.X of the wanted kind with Python.h wins.
PyPy 3.X (for a `ppXY` ABI) is looked for the same way under its own name, `pypy3.X` (pyenv's
`versions/pypy3.X-*`, uv's `pypy-3.X*`, Debian's /usr/bin/pypy3.X with pypy3-dev's headers); fatpack's
own interpreter is CPython and never a candidate for it.

A version can also be named (`[tool.fatpack.sdk] cp314 = PATH`, `--sdk cp314=PATH`; `python_sdks`):
PATH is an interpreter, a PEP 739 build-details.json (fatpack/build_details.py: its base_interpreter)
or an installation prefix (its build-details.json, else `bin/python3.X`). Then that one alone is
asked, and the search above is not made.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from fatpack.build_details import BuildDetails, find_build_details, read_build_details
from fatpack.errors import BuildError, ConfigError, ToolchainError, in_context
from fatpack.runner import Runner, run_command
from fatpack.targets import CPYTHON, PYPY

PROBE_TIMEOUT = 60  # seconds for one candidate to say what it is
OWN, PATH, PYENV, UV, SYSTEM = "fatpack's own", "PATH", "pyenv", "uv", "system"
SDK = "sdk setting"
_SDK_KEY = re.compile(r"^cp3(\d{1,2})(t?)$")

_PROBE = """\
import json, os, sys, sysconfig
include = sysconfig.get_paths()["include"]
print(json.dumps({
    "version": list(sys.version_info[:2]),
    "implementation": sys.implementation.name,
    "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
    "include": include,
    "headers": os.path.isfile(os.path.join(include, "Python.h")),
    "multiarch": sysconfig.get_config_var("MULTIARCH") or "",
    "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX") or "",
}))
"""

_CONFIG_VARS = """\
import json, sys, sysconfig
variables = {k: v for k, v in sysconfig.get_config_vars().items() if isinstance(v, (str, int, float))}
include = sysconfig.get_paths()["include"]
print(json.dumps({"minor": sys.version_info[1], "vars": variables, "include": include,
                  "implementation": sys.implementation.name}))
"""

ConfigValue = Union[str, int, float]


_NAMES = {CPYTHON: "CPython", PYPY: "PyPy"}


@dataclass(frozen=True)
class Interpreter:
    """One candidate, as it described itself."""

    path: str
    where: str  # OWN, PATH, PYENV, UV or SYSTEM
    version: tuple[int, int]
    implementation: str  # sys.implementation.name: 'cpython', 'pypy'
    free_threaded: bool
    include_dir: str
    has_headers: bool
    multiarch: str = ""  # sysconfig's MULTIARCH (Debian's headers include <MULTIARCH/python3.X/pyconfig.h>)
    extension_suffix: str = ""  # sysconfig's EXT_SUFFIX: a PyPy's names its ABI (.pypy311-pp80-...)

    def unfit_for(self, minor: int, free_threaded: bool, implementation: str = CPYTHON) -> Optional[str]:
        """Why this interpreter cannot build for CPython (or PyPy) 3.<minor> of that kind; None if it can."""
        if self.implementation != implementation:
            return f"is {self.implementation}, not {_NAMES.get(implementation, implementation)}"
        if self.version != (3, minor):
            return "is {}.{}".format(*self.version)
        if self.free_threaded != free_threaded:
            return "is free-threaded" if self.free_threaded else "is not free-threaded"
        if not self.has_headers:
            return f"has no headers ({self.include_dir}/Python.h)"
        return None


@dataclass(frozen=True)
class Places:
    """Where interpreters are looked for; the defaults are this machine's, tests pass their own."""

    own: str
    path: tuple[str, ...]
    pyenv_root: Path
    uv_dir: Path
    system_dir: Path = Path("/usr/bin")
    own_version: str = f"3.{sys.version_info[1]}"  # fatpack's own interpreter's, known without asking

    @classmethod
    def of(cls, environ: Mapping[str, str], own: str = sys.executable, home: Optional[Path] = None) -> Places:
        home = home if home is not None else Path.home()
        return cls(
            own=own,
            path=tuple(d for d in environ.get("PATH", "").split(os.pathsep) if d),
            pyenv_root=Path(environ.get("PYENV_ROOT") or home / ".pyenv"),
            uv_dir=Path(environ.get("UV_PYTHON_INSTALL_DIR") or home / ".local" / "share" / "uv" / "python"),
        )


def sdk_key(minor: int, free_threaded: bool = False) -> str:
    """How [tool.fatpack.sdk] and --sdk name a CPython version: 'cp314', 'cp314t'."""
    return f"cp3{minor}{'t' if free_threaded else ''}"


def is_sdk_key(key: str) -> bool:
    return _SDK_KEY.match(key) is not None


def find_interpreter(
    minor: int,
    free_threaded: bool = False,
    runner: Runner = run_command,
    places: Optional[Places] = None,
    given: Optional[Path] = None,
    implementation: str = CPYTHON,
) -> Interpreter:
    """The first candidate that is CPython (or PyPy) 3.<minor> of the wanted kind with its headers; else
    a ConfigError in one line saying what was needed, what was found where, and how to add one.
    `given` (the version's sdk setting, CPython only): that one only, or a ConfigError naming the setting."""
    if given is not None:
        return _given_interpreter(minor, free_threaded, runner, given)
    places = places or Places.of(os.environ)
    rejected: list[str] = []
    for path, where in candidates(minor, places, free_threaded, implementation):
        if anyone_can_replace(path):
            rejected.append(f"{path} ({where}) is in a directory anyone can write to (not run)")
            continue
        found = describe(path, where, runner)
        if isinstance(found, str):
            rejected.append(f"{path} ({where}) {found}")
            continue
        why = found.unfit_for(minor, free_threaded, implementation)
        if why is None:
            return found
        rejected.append(f"{path} ({where}) {why}")
    if implementation == PYPY:
        raise ConfigError(_pypy_not_found(minor, rejected, places))
    raise ConfigError(_not_found(minor, free_threaded, rejected, places))


def _given_interpreter(minor: int, free_threaded: bool, runner: Runner, given: Path) -> Interpreter:
    setting = f"the sdk setting {sdk_key(minor, free_threaded)} = {given}"
    path = str(interpreter_of(given, minor, setting, free_threaded))
    found = describe(path, SDK, runner)
    why = found if isinstance(found, str) else found.unfit_for(minor, free_threaded)
    if isinstance(found, Interpreter) and why is None:
        return found
    raise ConfigError(f"{setting}: {path} {why}")


def interpreter_of(given: Path, minor: int, setting: str, free_threaded: bool = False) -> Path:
    """The interpreter an sdk setting names: the file itself, a build-details.json's base_interpreter,
    or a prefix's (its build-details.json's, else bin/python3.<minor>)."""
    details = given_build_details(given, minor, setting, free_threaded)
    if details is not None:
        if details.interpreter is None or not _executable(str(details.interpreter)):
            raise ConfigError(
                f"{setting}: {details.path} names no interpreter here ({details.interpreter}); "
                "building a project with its own build runs one: name the interpreter instead"
            )
        return details.interpreter
    if given.is_dir():
        path = given / "bin" / f"python3.{minor}"
        if not _executable(str(path)):
            raise ConfigError(f"{setting}: neither {path} nor a build-details.json below {given}")
        return path
    if not _executable(str(given)):
        raise ConfigError(f"{setting}: {given} is not an executable file, a build-details.json or a prefix")
    return given


def given_build_details(
    given: Path, minor: int, setting: str, free_threaded: bool = False
) -> Optional[BuildDetails]:
    """The build-details.json an sdk setting names (the file, or a prefix's), checked to describe
    CPython 3.<minor> of the kind wanted; None when it names none."""
    path = given if given.suffix == ".json" else find_build_details(given, minor) if given.is_dir() else None
    if path is None:
        return None
    try:
        details = read_build_details(path)
    except ConfigError as exc:
        raise in_context(exc, setting) from None
    if details.implementation != "cpython" or details.version != (3, minor):
        said = f"{details.implementation} {details.version[0]}.{details.version[1]}"
        raise ConfigError(f"{setting}: {path} describes {said}, not CPython 3.{minor}")
    if details.free_threaded != free_threaded:
        kind = "a free-threaded" if details.free_threaded else "not a free-threaded"
        raise ConfigError(f"{setting}: {path} describes {kind} build")
    return details


def candidates(
    minor: int, places: Places, free_threaded: bool = False, implementation: str = CPYTHON
) -> list[tuple[str, str]]:
    """(path, where) of every interpreter that may be CPython (or PyPy) 3.<minor>, in search order, each
    real path once; nothing is run. A free-threaded one is looked for as `python3.<minor>t`, the name
    its `make install`, pyenv's `3.13t` and uv's `+freethreaded` installs give it; a PyPy as
    `pypy3.<minor>` (never fatpack's own)."""
    names: tuple[str, ...]
    if implementation == PYPY:
        names, uv_glob, found = (f"pypy3.{minor}",), f"pypy-3.{minor}*", []
    else:
        names = (f"python3.{minor}t", f"python3.{minor}") if free_threaded else (f"python3.{minor}",)
        uv_glob = f"cpython-3.{minor}*"
        found = [(places.own, OWN)] if places.own_version == f"3.{minor}" else []
    for name in names:
        found += [(str(p), PATH) for p in _on_path(name, places)]
        versions = _newest_first((places.pyenv_root / "versions").glob(f"*/bin/{name}"))
        found += [(str(p), PYENV) for p in versions]
        found += [(str(p), UV) for p in _newest_first(places.uv_dir.glob(f"{uv_glob}/bin/{name}"))]
        found.append((str(places.system_dir / name), SYSTEM))
    seen: set[str] = set()
    unique = []
    for path, where in found:
        real = os.path.realpath(path)
        if real in seen or not _executable(path):
            continue
        seen.add(real)
        unique.append((path, where))
    return unique


def _on_path(name: str, places: Places) -> Iterator[Path]:
    shims = os.path.realpath(places.pyenv_root / "shims")
    for directory in _absolute(places.path):
        path = Path(directory) / name
        if os.path.realpath(directory) == shims or is_pyenv_shim(path):
            continue
        yield path


def _absolute(directories: Sequence[str]) -> list[str]:
    """PATH's absolute directories: a relative one (`.`, `bin`) is relative to wherever fatpack runs,
    often the project's own directory, whose python3.X no one installed (as Go's exec.LookPath refuses
    such a result); and a path like `python3.10` would be run by name, looked up on PATH again."""
    return [d for d in directories if os.path.isabs(d)]


def is_pyenv_shim(path: Path) -> bool:
    """A pyenv shim is a small shell script that runs `pyenv exec`, not an interpreter."""
    try:
        with open(path, "rb") as file:
            head = file.read(1024)
    except OSError:
        return False
    return head.startswith(b"#!") and b"pyenv" in head


def anyone_can_replace(path: str) -> bool:
    """Whether every user may write the file, or the directory that holds it or its link (`/tmp` on
    PATH): another local user's python3.X put there is not an interpreter this user installed."""
    real = os.path.realpath(path)
    places = {real, os.path.dirname(real), os.path.dirname(os.path.abspath(path))}
    try:
        return any(os.stat(place).st_mode & stat.S_IWOTH for place in places)
    except OSError:
        return True


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _newest_first(paths: Iterator[Path]) -> list[Path]:
    """Install directories named by version (pyenv's 3.10.13, uv's cpython-3.10.13-linux-x86_64-gnu),
    the newest patch release first."""

    def version(path: Path) -> tuple[int, ...]:
        match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", path.parent.parent.name)
        return tuple(int(n or 0) for n in match.groups()) if match else ()

    return sorted(paths, key=lambda p: (version(p), str(p)), reverse=True)


def describe(path: str, where: str, runner: Runner) -> Union[Interpreter, str]:
    """What the interpreter says of itself, or why it could not say (a string)."""
    try:
        output = runner([path, "-I", "-c", _PROBE], capture=True, timeout=PROBE_TIMEOUT)
        said = json.loads(output.strip().splitlines()[-1])
        return Interpreter(
            path=path,
            where=where,
            version=(int(said["version"][0]), int(said["version"][1])),
            implementation=str(said["implementation"]),
            free_threaded=bool(said["free_threaded"]),
            include_dir=str(said["include"]),
            has_headers=bool(said["headers"]),
            multiarch=str(said.get("multiarch") or ""),
            extension_suffix=str(said.get("ext_suffix") or ""),
        )
    except (BuildError, ToolchainError) as exc:
        lines = exc.output.strip().splitlines() if isinstance(exc, BuildError) else []
        return f"does not run ({_what_it_said(lines) or exc})"
    except (ValueError, KeyError, IndexError, TypeError):
        return "did not say what it is"


def _what_it_said(lines: Sequence[str]) -> str:
    """The line naming why an interpreter failed: a traceback's last (the exception: "No module named
    '_json'"), else the first ("pyenv: python3.12: command not found", "Unknown option: -I")."""
    if not lines:
        return ""
    return (lines[-1] if lines[0].startswith("Traceback") else lines[0]).strip()


def versions_seen(places: Places) -> dict[str, list[str]]:
    """Which python3.N names exist where (nothing is run): '3.12' -> ['pyenv', '/usr/bin']."""
    seen: dict[str, list[str]] = {}

    def add(version: str, where: str) -> None:
        if where not in seen.setdefault(version, []):
            seen[version].append(where)

    add(places.own_version, OWN)
    globs: list[tuple[Sequence[Path], str, str]] = [
        ([Path(d) for d in _absolute(places.path)], "python3.*", PATH),
        ([places.pyenv_root / "versions"], "*/bin/python3.*", PYENV),
        ([places.uv_dir], "cpython-3*/bin/python3.*", UV),
        ([places.system_dir], "python3.*", SYSTEM),
    ]
    for directories, pattern, where in globs:
        for directory in directories:
            for path in sorted(directory.glob(pattern)):
                match = re.fullmatch(r"python(3\.\d+t?)", path.name)
                if match and _executable(str(path)) and not is_pyenv_shim(path):
                    add(match.group(1), where)
    return seen


def _not_found(minor: int, free_threaded: bool, rejected: Sequence[str], places: Places) -> str:
    kind = f"3.{minor}{'t' if free_threaded else ''}"
    seen = versions_seen(places)
    found = "; ".join(f"{v} ({', '.join(w)})" for v, w in sorted(seen.items(), key=lambda i: _key(i[0])))
    tried = f"; tried: {'; '.join(rejected)}" if rejected else ""
    return (
        f"no CPython {kind} with headers found to build cp3{minor}{'t' if free_threaded else ''} with "
        f"(found: {found or 'none'}{tried}; looked at fatpack's own, python3.{minor} on PATH, "
        f"{places.pyenv_root}/versions, {places.uv_dir}, {places.system_dir}): add one with "
        f"`pyenv install 3.{minor}`, `uv python install 3.{minor}` or `apt-get install python3.{minor}-dev`, "
        f'or name one: [tool.fatpack.sdk] {sdk_key(minor, free_threaded)} = "PATH" or '
        f"--sdk {sdk_key(minor, free_threaded)}=PATH (an interpreter, its build-details.json or its prefix)"
    )


def _pypy_not_found(minor: int, rejected: Sequence[str], places: Places) -> str:
    tried = f"; tried: {'; '.join(rejected)}" if rejected else ""
    return (
        f"no PyPy 3.{minor} with headers found to build pp3{minor} with (looked for pypy3.{minor} on PATH, "
        f"in {places.pyenv_root}/versions, {places.uv_dir}, {places.system_dir}{tried}): add one with "
        f"`pyenv install pypy3.{minor}`, `uv python install pypy@3.{minor}` or, where the distribution's "
        f"pypy3 is 3.{minor}, `apt-get install pypy3-dev`"
    )


def _key(version: str) -> tuple[int, str]:
    return (int(version.split(".")[1].rstrip("t")), version)


@dataclass(frozen=True)
class BuildPython:
    """The interpreter a project's build runs on, as its cross environment needs it: its minor
    version and its sysconfig variables (str, int and float values)."""

    python: str
    minor: int
    config_vars: dict[str, ConfigValue]
    # where its headers are, as the probe and fatpack's own host_headers() read it (sysconfig's
    # 'include' path, from where the interpreter is): a relocated build's INCLUDEPY can still name
    # where it was built (python-build-standalone, as uv installs it: /install/include/python3.X)
    include_dir: str = ""
    implementation: str = CPYTHON  # sys.implementation.name

    @property
    def is_pypy(self) -> bool:
        return self.implementation == PYPY

    @property
    def free_threaded(self) -> bool:
        """A free-threaded CPython (its sysconfig's Py_GIL_DISABLED): it builds cpXYt."""
        return bool(self.config_vars.get("Py_GIL_DISABLED"))


def build_python(python: str, runner: Runner) -> BuildPython:
    """Ask `python` once (JSON) for its version, sysconfig variables and headers' directory."""
    output = runner([python, "-I", "-c", _CONFIG_VARS], capture=True, timeout=PROBE_TIMEOUT)
    try:
        said = json.loads(output.strip().splitlines()[-1])
        variables = {str(k): v for k, v in dict(said["vars"]).items() if isinstance(v, (str, int, float))}
        implementation = str(said.get("implementation") or CPYTHON)
        return BuildPython(python, int(said["minor"]), variables, str(said["include"]), implementation)
    except (ValueError, KeyError, IndexError, TypeError):
        raise ConfigError(f"{python} did not say its sysconfig variables: {output.strip()[:80]!r}") from None
