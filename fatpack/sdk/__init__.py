"""The SDK for a target Python: headers, defines and link inputs an extension is compiled against."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import os
import re
import shutil
import sys
import sysconfig
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

from fatpack.errors import ConfigError, FatpackError, ToolchainError
from fatpack.interpreters import find_interpreter, given_build_details, sdk_key
from fatpack.runner import Runner
from fatpack.targets import CPYTHON, PYPY, PythonAbi, Target


@dataclass(frozen=True)
class PythonSdk:
    """What a builder adds to its compile and link commands for one (target, ABI)."""

    include_dirs: tuple[Path, ...]
    defines: tuple[tuple[str, Optional[str]], ...]
    link_inputs: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Headers:
    """A directory holding Python.h and the Python version those headers belong to."""

    include_dir: Path
    version: tuple[int, int]
    multiarch: Optional[str] = None  # the interpreter's MULTIARCH (Debian's wrapper); None: this one's
    # the interpreter's EXT_SUFFIX, for a PyPy's headers: a pp payload's file ends with it (it names
    # the PyPy ABI, pp73 or pp80, which the loader matches)
    extension_suffix: str = ""


def host_headers() -> Headers:
    include_dir = Path(sysconfig.get_paths()["include"])
    if not (include_dir / "Python.h").is_file():
        raise ToolchainError(
            f"Python headers not found in {include_dir}: install them (Debian: apt-get install python3-dev)"
        )
    return Headers(include_dir, (sys.version_info[0], sys.version_info[1]))


def headers_at(include_dir: Path, multiarch: Optional[str] = None) -> Headers:
    """The headers of another interpreter (the one a project's build runs on): its INCLUDEPY, their
    version read from patchlevel.h, so the SDK is what those headers say, not what was asked for."""
    if not (include_dir / "Python.h").is_file():
        raise ToolchainError(
            f"Python headers not found in {include_dir}: install them (pyenv and uv Pythons have them; "
            "Debian: apt-get install python3.X-dev)"
        )
    return Headers(include_dir, headers_version(include_dir), multiarch)


@dataclass
class VersionHeaders:
    """The headers an ABI is compiled against when this interpreter's cannot serve it: a version-specific
    ABI of another version, or an abi3 floor above this version, takes the headers of a CPython of that
    version found on this machine (fatpack/interpreters.py), once per version, and a PyPy ABI those of
    a PyPy of that version (with its extension suffix); None: this interpreter's. A CPython version named
    in `given` (the sdk settings, 'cp314' -> PATH) takes the headers PATH names, this interpreter's own
    version too."""

    runner: Runner
    own_minor: int = sys.version_info[1]
    given: Mapping[str, Path] = field(default_factory=dict)
    # read when made, not at import: the cross compiler wrapper imports this module with a target's
    # sysconfig data named in its environment (_PYTHON_SYSCONFIGDATA_NAME) that it cannot import
    own_free_threaded: bool = field(default_factory=lambda: bool(sysconfig.get_config_var("Py_GIL_DISABLED")))
    # each version's headers (per kind: GIL, free-threaded or PyPy), or why there are none: every target
    # asks, and a version found nowhere is looked for once (a candidate that hangs costs its timeout
    # once, not once per target)
    found: dict[tuple[int, bool, str], Union[Headers, FatpackError]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, abi: PythonAbi) -> Optional[Headers]:
        named = not abi.abi3 and not abi.is_pypy and sdk_key(abi.minor, abi.free_threaded) in self.given
        own_kind = abi.free_threaded == self.own_free_threaded and not abi.is_pypy
        if not named and (
            (abi.minor == self.own_minor and own_kind) or (abi.abi3 and abi.minor <= self.own_minor)
        ):
            return None
        # abi3 floors above this Python take a GIL build's headers (no limited API in 3.13t/3.14t)
        key = (abi.minor, abi.free_threaded, abi.implementation)
        with self.lock:  # targets build in parallel threads
            if key not in self.found:
                self.found[key] = self._find(*key)
            found = self.found[key]
        if isinstance(found, FatpackError):
            raise copy.copy(found)
        return found

    def _find(
        self, minor: int, free_threaded: bool = False, implementation: str = CPYTHON
    ) -> Union[Headers, FatpackError]:
        try:
            given = None if implementation == PYPY else self.given.get(sdk_key(minor, free_threaded))
            if given is not None and not free_threaded:
                return headers_given(given, minor, self.runner)
            interpreter = find_interpreter(
                minor,
                free_threaded=free_threaded,
                runner=self.runner,
                given=given,
                implementation=implementation,
            )
            headers = headers_at(Path(interpreter.include_dir), interpreter.multiarch)
            return dataclasses.replace(headers, extension_suffix=interpreter.extension_suffix)
        except FatpackError as exc:
            return exc


def headers_given(given: Path, minor: int, runner: Runner) -> Headers:
    """The headers of CPython 3.<minor> an sdk setting names, running nothing when it can: a
    build-details.json's c_api.headers (the file, or a prefix's), a prefix's include/python3.<minor>,
    an include directory; else (an interpreter) what the interpreter says."""
    setting = f"the sdk setting {sdk_key(minor)} = {given}"
    details = given_build_details(given, minor, setting)
    if details is not None:
        if details.headers is None or not (details.headers / "Python.h").is_file():
            raise ConfigError(
                f"{setting}: no Python.h in {details.headers} (c_api.headers of {details.path})"
            )
        found = headers_at(details.headers, details.multiarch or None)
    elif given.is_dir():
        include = given / "include" / f"python3.{minor}"
        found = headers_at(include if (include / "Python.h").is_file() else given)
    else:
        interpreter = find_interpreter(minor, runner=runner, given=given)
        found = headers_at(Path(interpreter.include_dir), interpreter.multiarch)
    if found.version != (3, minor):
        have = "{}.{}".format(*found.version)
        raise ConfigError(f"{setting}: {found.include_dir} holds the headers of {have}")
    return found


def headers_version(include_dir: Path) -> tuple[int, int]:
    """Read PY_MAJOR_VERSION / PY_MINOR_VERSION from a header tree's patchlevel.h."""
    try:
        text = (include_dir / "patchlevel.h").read_text(encoding="latin-1")
    except OSError:
        raise ConfigError(f"{include_dir} has no patchlevel.h: not a Python include directory") from None
    found = dict(re.findall(r"#define\s+PY_(MAJOR|MINOR)_VERSION\s+(\d+)", text))
    return (int(found["MAJOR"]), int(found["MINOR"]))


def headers_free_threaded(headers: Headers) -> bool:
    """Whether the headers' pyconfig.h (the real one behind Debian's multiarch wrapper) defines
    Py_GIL_DISABLED: a free-threaded CPython's (its include directory is python3.13t)."""
    config = headers.include_dir / "pyconfig.h"
    real = headers.include_dir.parent / (headers.multiarch or "") / headers.include_dir.name / "pyconfig.h"
    for path in (config, real) if headers.multiarch else (config,):
        try:
            if re.search(r"^#define\s+Py_GIL_DISABLED\s+1", path.read_text("latin-1"), re.M):
                return True
        except OSError:
            continue
    return False


def check_headers_fit(abi: PythonAbi, headers: Headers, target: Target) -> None:
    """abi3 needs headers at least as new as its floor; cpXY needs exactly X.Y headers; on Linux and
    macOS, whose pyconfig.h is the interpreter's own, cpXYt needs a free-threaded one's and cpXY a GIL
    one's (Windows' pyconfig.h is rendered per ABI)."""
    have = "{}.{}".format(*headers.version)
    if not target.is_windows and not abi.abi3 and headers_free_threaded(headers) != abi.free_threaded:
        kind = "a free-threaded" if abi.free_threaded else "a GIL (not free-threaded)"
        raise ConfigError(
            f"{abi.tag} for {target.name} needs {kind} CPython 3.{abi.minor}'s headers, but the "
            f"pyconfig.h in {headers.include_dir} says Py_GIL_DISABLED is "
            f"{'on' if headers_free_threaded(headers) else 'off'}"
        )
    if abi.abi3 and headers.version < abi.version:
        raise ConfigError(
            f"{abi.tag} for {target.name} needs Python headers >= 3.{abi.minor}, but {headers.include_dir} "
            f"holds {have}: run fatpack with a newer Python or lower the floor"
        )
    if not abi.abi3 and headers.version != abi.version:
        raise ConfigError(
            f"{abi.tag} for {target.name} needs Python 3.{abi.minor} headers, "
            f"but {headers.include_dir} holds {have}: run fatpack with Python 3.{abi.minor} or use abi3"
        )


def abi_defines(abi: PythonAbi) -> tuple[tuple[str, Optional[str]], ...]:
    return (("Py_LIMITED_API", abi.limited_api_hex),) if abi.abi3 else ()


def prepare_sdk(
    target: Target,
    abi: PythonAbi,
    work_dir: Path,
    runner: Runner,
    sdk_path: Optional[Path] = None,
    headers: Optional[Headers] = None,
) -> PythonSdk:
    """Headers and link inputs for `abi` on `target`, made under `work_dir` where files are needed,
    from `headers` (the build interpreter's; default this interpreter's)."""
    if target.is_windows:
        from fatpack.sdk import windows

        return windows.prepare(target, abi, work_dir, runner, sdk_path, headers)
    if sdk_path is not None:
        raise ConfigError(
            f"tool.fatpack.sdk.{target.name}: a Python layout by path is only for Windows targets"
        )
    headers = headers or host_headers()
    check_headers_fit(abi, headers, target)
    include_dir = without_multiarch_wrapper(headers.include_dir, work_dir, headers.multiarch)
    return PythonSdk(include_dirs=(include_dir,), defines=abi_defines(abi))


def without_multiarch_wrapper(include_dir: Path, work_dir: Path, multiarch: Optional[str] = None) -> Path:
    """Debian's and Ubuntu's python3-dev put a wrapper in /usr/include/python3.X/pyconfig.h that includes
    <MULTIARCH/python3.X/pyconfig.h> from /usr/include, a directory no cross compiler searches (zig:
    "file not found"). Then: a copy of the headers under work_dir with the real pyconfig.h in place of
    the wrapper; else include_dir itself. (Threads building other targets may ask at the same time.)"""
    multiarch = multiarch if multiarch is not None else sysconfig.get_config_var("MULTIARCH") or ""
    real = include_dir.parent / multiarch / include_dir.name / "pyconfig.h"
    wrapper = include_dir / "pyconfig.h"
    if not multiarch or not real.is_file() or f"<{multiarch}/" not in wrapper.read_text("latin-1"):
        return include_dir
    flat = work_dir / "host-include" / include_dir.name
    if not flat.is_dir():
        flat.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=flat.parent, prefix=".staging-"))
        shutil.copytree(include_dir, staging / "include")
        shutil.copyfile(real, staging / "include" / "pyconfig.h")
        with contextlib.suppress(OSError):  # another thread put its copy there first
            os.rename(staging / "include", flat)
        shutil.rmtree(staging, ignore_errors=True)
    return flat


def sdk_fingerprint(
    target: Target, abi: PythonAbi, sdk_path: Optional[Path] = None, headers: Optional[Headers] = None
) -> str:
    """What identifies the SDK prepare_sdk would make from the same arguments, without making it (for
    the payload cache): the headers' directory, version and pyconfig.h really used. Checks, as
    prepare_sdk does, that the headers fit the ABI."""
    import hashlib

    digest = hashlib.sha256()
    if sdk_path is not None:
        include_dir = sdk_path / "include"
        headers = Headers(include_dir, headers_version(include_dir))
        check_headers_fit(abi, headers, target)
        digest.update(str(sdk_path).encode())
        files = [include_dir / "patchlevel.h", include_dir / "pyconfig.h"]
        if target.is_windows:  # the import library linked (compiles read the headers: dependency files)
            from fatpack.sdk import windows

            files.append(sdk_path / "libs" / f"{windows.python_dll(abi)}.lib")
    else:
        headers = headers or host_headers()
        check_headers_fit(abi, headers, target)
        digest.update(str(headers.include_dir).encode())
        files = [headers.include_dir / "patchlevel.h"]
        if target.is_windows:
            from fatpack.sdk import windows

            digest.update(windows.render_pyconfig(target, abi.free_threaded).encode())
            files.append(windows.EXPORTS_DIR / f"{windows.python_dll(abi)}.def")
        else:
            files.append(headers.include_dir / "pyconfig.h")
    for path in files:
        digest.update(path.read_bytes() if path.is_file() else b"missing")
    digest.update(repr(abi_defines(abi)).encode())
    return digest.hexdigest()
