"""Written into a cross build's PYTHONPATH by fatpack (fatpack/crossenv.py); never imported by fatpack.

The project's own backend runs with this directory first on sys.path, `_PYTHON_SYSCONFIGDATA_NAME`
naming the target's sysconfig data beside this file and `_PYTHON_HOST_PLATFORM` the target's
platform: CPython's own cross-build mechanism, as crossenv uses it. This module adds one thing that
mechanism lacks: while setup.py's top-level code runs (setuptools.build_meta's run_setup), the
questions setup.py asks to choose its sources -- sys.platform, os.name, platform.system(),
platform.machine(), sys.getwindowsversion(), the compiler sys.version names -- answer as the target
does. The real answers come back when setup() is called (the build itself runs on this machine) and
after setup.py ends.

Only the standard library; modules that branch on os.name when imported are imported before the
answers change, so they keep this machine's implementation (pathlib.Path still makes PosixPath).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Optional

_ANSWERS_FILE = Path(__file__).with_name("fatpack_cross_target.json")
# imported before any answer changes: their import-time branches must see this machine
_PRELOADED = (
    "subprocess",
    "shutil",
    "tempfile",
    "glob",
    "platform",
    "sysconfig",
    "ctypes",
    "ctypes.util",
    "multiprocessing",
    "concurrent.futures",
    "locale",
    "getpass",
    "socket",
    "setuptools",
    "setuptools.build_meta",
    "setuptools.command.build_ext",
)


class _WindowsVersion(tuple):  # type: ignore[type-arg]  # sys.getwindowsversion()'s shape
    major = property(lambda self: self[0])
    minor = property(lambda self: self[1])
    build = property(lambda self: self[2])
    platform = property(lambda self: self[3])
    service_pack = property(lambda self: self[4])


class _TargetAnswers:
    """Swaps the target's answers in and out (idempotent both ways)."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.saved: Optional[dict[str, Any]] = None

    def fake(self) -> None:
        if self.saved is not None:
            return
        import pathlib
        import platform

        self.saved = {
            "platform": sys.platform,
            "os_name": os.name,
            "system": platform.system,
            "machine": platform.machine,
            "getwindowsversion": getattr(sys, "getwindowsversion", None),
            "version": sys.version,
            "path_new": pathlib.Path.__dict__["__new__"],
            "purepath_new": pathlib.PurePath.__dict__["__new__"],
            "default_compilers": _swap_default_compilers(()),
        }
        answers = self.answers
        sys.platform = answers["sys_platform"]
        os.name = answers["os_name"]
        platform.system = lambda: str(answers["system"])
        platform.machine = lambda: str(answers["machine"])
        if answers.get("compiler"):  # greenlet's `'64 bit' in sys.version` picks its MASM object
            sys.version = sys.version.rsplit("[", 1)[0] + f"[{answers['compiler']}]"
        if answers["os_name"] == "nt":
            version = _WindowsVersion((10, 0, 19045, 2, ""))
            sys.getwindowsversion = lambda: version  # type: ignore[attr-defined,unused-ignore]
        path_new = _host_flavour(pathlib.Path, pathlib.PosixPath, self.saved["path_new"])
        pure_new = _host_flavour(pathlib.PurePath, pathlib.PurePosixPath, self.saved["purepath_new"])
        pathlib.Path.__new__ = path_new  # type: ignore[method-assign]
        pathlib.PurePath.__new__ = pure_new  # type: ignore[method-assign]

    def restore(self) -> None:
        saved, self.saved = self.saved, None
        if saved is None:
            return
        import pathlib
        import platform

        sys.platform = saved["platform"]
        os.name = saved["os_name"]
        platform.system = saved["system"]
        platform.machine = saved["machine"]
        sys.version = saved["version"]
        if saved["getwindowsversion"] is None:
            if hasattr(sys, "getwindowsversion"):
                del sys.getwindowsversion
        else:
            sys.getwindowsversion = saved["getwindowsversion"]  # type: ignore[attr-defined,unused-ignore]
        _swap_default_compilers(saved["default_compilers"])
        pathlib.Path.__new__ = saved["path_new"]  # type: ignore[method-assign]
        pathlib.PurePath.__new__ = saved["purepath_new"]  # type: ignore[method-assign]


def _swap_default_compilers(table: Any) -> dict[str, Any]:
    """Set distutils' OS -> compiler table to `table` in every loaded module holding one (setuptools'
    copy and the `distutils.*` one its import hook makes), or back to each module's own when given
    the dict this returned; return the tables they held. With the table empty, a compiler setup.py
    makes while os.name says 'nt' (zstandard's) is the Unix one zig runs as, not MSVC's (which looks
    for Visual Studio in the registry)."""
    with contextlib.suppress(Exception):
        importlib.import_module("distutils.ccompiler")
    held: dict[str, Any] = {}
    for name, module in list(sys.modules.items()):
        if (
            module is not None
            and hasattr(module, "_default_compilers")
            and name.endswith(("ccompiler", "base"))
        ):
            held[name] = module._default_compilers
            setattr(module, "_default_compilers", table[name] if isinstance(table, dict) else table)  # noqa: B010
    return held


def _host_flavour(base: type, posix: type, original: Any) -> Any:
    """`base.__new__` that makes this machine's (POSIX) flavour while os.name says 'nt'."""
    new = original.__func__ if isinstance(original, staticmethod) else original

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        return new(posix if cls is base else cls, *args, **kwargs)

    return staticmethod(__new__)


def _restoring(answers: _TargetAnswers, function: Callable[..., Any]) -> Callable[..., Any]:
    def setup(*args: Any, **kwargs: Any) -> Any:
        answers.restore()
        return function(*args, **kwargs)

    setup.__wrapped__ = function  # type: ignore[attr-defined]
    return setup


def _faking(answers: _TargetAnswers, function: Callable[..., Any]) -> Callable[..., Any]:
    def run_setup(*args: Any, **kwargs: Any) -> Any:
        answers.fake()
        try:
            return function(*args, **kwargs)
        finally:
            answers.restore()

    run_setup.__wrapped__ = function  # type: ignore[attr-defined]
    return run_setup


def _abi3_suffix_from_ext_suffix() -> None:
    """setuptools before 72 names a limited-API module from importlib's suffixes -- this machine's
    `.abi3.so`, wrong for Windows; later ones derive it from sysconfig's EXT_SUFFIX, as here. Current
    ones add SOABI_PLATFORM on CPython 3.15 (`.abi3-x86_64-linux-gnu.so`), a name only 3.14 and later
    import; `.abi3.so` is imported by every GIL-enabled CPython 3 (3.15's list has it too), and a
    payload's directory already names its target, so fatpack keeps `.abi3.so`."""
    module = sys.modules.get("setuptools.command.build_ext")
    if module is None or not hasattr(module, "get_abi3_suffix"):
        return
    import sysconfig

    def get_abi3_suffix() -> Optional[str]:
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        if not isinstance(suffix, str):
            return None
        if suffix.endswith(".pyd"):
            return ".pyd"
        return ".abi3.so" if suffix.startswith(".cpython-") else None

    setattr(module, "get_abi3_suffix", get_abi3_suffix)  # noqa: B010  # replaces the module function


def _install() -> None:
    for name in _PRELOADED:
        with contextlib.suppress(Exception):  # a module this environment lacks is not needed
            importlib.import_module(name)
    import sysconfig

    sysconfig.get_config_vars()  # read now: read while os.name says 'nt', it would describe Windows
    try:
        from setuptools._distutils import sysconfig as distutils_sysconfig

        distutils_sysconfig.get_config_vars()
    except ImportError:
        pass
    _abi3_suffix_from_ext_suffix()
    try:
        answers = _TargetAnswers(json.loads(_ANSWERS_FILE.read_text(encoding="utf-8")))
    except OSError:
        return
    backend = sys.modules.get("setuptools.build_meta")
    if backend is not None:
        meta = backend._BuildMetaBackend
        meta.run_setup = _faking(answers, meta.run_setup)
    for module_name in ("setuptools", "distutils.core", "setuptools._distutils.core"):
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, "setup"):
            module.setup = _restoring(answers, module.setup)  # type: ignore[attr-defined]


_install()
