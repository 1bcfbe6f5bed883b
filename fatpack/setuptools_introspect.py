"""Run a project's setup.py with setup() intercepted and write what it was given as JSON.

fatpack runs this file as a script, in a subprocess, in the project directory: setup.py's code and
the interception never touch fatpack's own process. Standard library plus setuptools; cythonize() is
intercepted too, so .pyx sources reach fatpack uncompiled and nothing is written into the project.

    python setuptools_introspect.py OUTPUT.json [linux|win32|darwin]

The optional platform is what setup.py sees as sys.platform and platform.system(), so that its
`if sys.platform == "win32":` branches give what it would give on that OS. os.name, the file system
and everything else stay this Linux host's.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import runpy
import sys
from typing import Any

EXTENSION_FIELDS = (
    "sources",
    "include_dirs",
    "define_macros",
    "undef_macros",
    "libraries",
    "library_dirs",
    "extra_compile_args",
    "extra_link_args",
    "runtime_library_dirs",
    "extra_objects",
    "export_symbols",
    "swig_opts",
)
SETUP_FIELDS = (
    "name",
    "version",
    "description",
    "long_description",
    "long_description_content_type",
    "author",
    "author_email",
    "license",
    "url",
    "project_urls",
    "classifiers",
    "keywords",
    "python_requires",
    "install_requires",
    "extras_require",
    "entry_points",
    "packages",
    "package_dir",
    "package_data",
    "py_modules",
    "include_package_data",
    "data_files",
    "scripts",
    "namespace_packages",
    "ext_package",
)


class _SetupCalled(BaseException):
    """Raised by the intercepted setup(): a BaseException, so that a project's `except Exception:`
    around setup() (to retry with fewer extensions) does not catch it."""


def _module_name(path: str) -> str:
    """'src/pkg/mod.pyx' -> 'pkg.mod', walking up while there is an __init__.py (as Cython does)."""
    directory, filename = os.path.split(os.path.normpath(path))
    parts = [os.path.splitext(filename)[0]]
    while directory and os.path.isfile(os.path.join(directory, "__init__.py")):
        directory, package = os.path.split(directory)
        parts.insert(0, package)
    return ".".join(parts)


def _fake_cythonize(module_list: Any, *args: Any, **kwargs: Any) -> list[Any]:
    from setuptools import Extension

    items = module_list if isinstance(module_list, (list, tuple)) else [module_list]
    extensions: list[Any] = []
    for item in items:
        if isinstance(item, str):
            extensions += [Extension(_module_name(p), [p]) for p in sorted(glob.glob(item, recursive=True))]
        else:
            extensions.append(item)
    return extensions


def _describe_extension(extension: Any) -> dict[str, Any]:
    described = {"name": extension.name, "language": getattr(extension, "language", None)}
    for field in EXTENSION_FIELDS:
        described[field] = list(getattr(extension, field, None) or [])
    described["py_limited_api"] = bool(getattr(extension, "py_limited_api", False))
    return described


def describe(kwargs: dict[str, Any]) -> dict[str, Any]:
    described = {key: kwargs[key] for key in SETUP_FIELDS if kwargs.get(key) is not None}
    described["ext_modules"] = [_describe_extension(e) for e in kwargs.get("ext_modules") or []]
    described["cmdclass"] = sorted(kwargs.get("cmdclass") or {})
    described["build_clib_libraries"] = [lib[0] for lib in kwargs.get("libraries") or []]
    return described


_SYSTEMS = {"linux": "Linux", "win32": "Windows", "darwin": "Darwin"}


# standard modules that choose their implementation from sys.platform when first imported: imported
# for real before sys.platform changes (a "win32" subprocess would look for _winapi)
_IMPORT_FIRST = (
    "subprocess",
    "shutil",
    "tempfile",
    "sysconfig",
    "platform",
    "locale",
    "pathlib",
    "signal",
    "socket",
    "selectors",
    "ctypes",
    "ctypes.util",
    "multiprocessing",
    "uuid",
    "getpass",
    "mimetypes",
    "importlib.metadata",
    "sysconfig",
    "distutils.util",
    "setuptools.command.build_ext",
)


def _pretend(platform_name: str) -> None:
    import importlib
    import platform

    for name in _IMPORT_FIRST:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    sys.platform = platform_name
    system = _SYSTEMS[platform_name]
    platform.system = lambda: system


def main(output: str, platform_name: str = "linux") -> int:
    captured: dict[str, Any] = {}
    calls: list[bool] = []

    def fake_setup(**kwargs: Any) -> None:
        if not calls:  # the first call is what setup.py asks for; a fallback after a bare except is not
            calls.append(True)
            captured.update(kwargs)
        raise _SetupCalled

    import setuptools

    setuptools.setup = fake_setup
    try:
        import distutils.core

        distutils.core.setup = fake_setup  # type: ignore[assignment]
    except ImportError:
        pass
    try:
        import Cython.Build

        Cython.Build.cythonize = _fake_cythonize
    except ImportError:
        pass
    sys.argv = ["setup.py"]
    sys.path.insert(0, os.getcwd())
    _pretend(platform_name)
    with contextlib.suppress(_SetupCalled):
        runpy.run_path("setup.py", run_name="__main__")
    if not calls:
        sys.stderr.write("setup.py did not call setup()\n")
        return 3
    with open(output, "w", encoding="utf-8") as f:
        json.dump(describe(captured), f, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
