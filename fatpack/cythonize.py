"""Cython sources (.pyx): cythonized once per (extension, ABI) into C or C++, then built per target.

An abi3 build compiles the generated code with Py_LIMITED_API and CYTHON_LIMITED_API=1. Cython 3.3
refuses a limited-API floor below 3.9, so `cp38-abi3` is rejected for Cython extensions (the default
becomes `cp39-abi3` when a project has Cython sources); typed memoryviews need a floor of 3.11, where
Py_buffer joined the limited API. Cython is needed at build time only.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path

from fatpack.config import ExtensionConfig
from fatpack.errors import ConfigError, ToolchainError
from fatpack.runner import Runner
from fatpack.targets import PythonAbi

CYTHON_MIN_ABI3 = 9


def is_cython(extension: ExtensionConfig) -> bool:
    return any(source.suffix == ".pyx" for source in extension.sources)


def check_cython_abis(extensions: Sequence[ExtensionConfig], abis: Sequence[PythonAbi]) -> None:
    """Refuse a limited-API floor Cython cannot build, naming the extension and the ABI."""
    for extension in extensions:
        if not is_cython(extension):
            continue
        for abi in abis:
            if abi.abi3 and abi.minor < CYTHON_MIN_ABI3:
                raise ConfigError(
                    f"extension {extension.name!r}: Cython cannot build {abi.tag} (its limited-API floor is "
                    f"3.{CYTHON_MIN_ABI3}): use cp3{CYTHON_MIN_ABI3}-abi3 or newer, or a version-specific ABI"
                )


def cythonize(extension: ExtensionConfig, abi: PythonAbi, runner: Runner, out_dir: Path) -> ExtensionConfig:
    """The extension with each .pyx replaced by its generated C/C++ file (written under out_dir)."""
    if importlib.util.find_spec("Cython") is None:
        raise ToolchainError(f"extension {extension.name!r} has Cython sources: pip install cython")
    cplus = extension.language == "c++"
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = []
    for source in extension.sources:
        if source.suffix != ".pyx":
            sources.append(source)
            continue
        generated = out_dir / (source.stem + (".cpp" if cplus else ".c"))
        command = [sys.executable, "-m", "cython", "-3", "--module-name", extension.name]
        command += ["--cplus"] if cplus else []
        command += [f"-I{d}" for d in extension.include_dirs]
        runner([*command, str(source), "-o", str(generated)])
        sources.append(generated)
    defines = extension.define_macros + ((("CYTHON_LIMITED_API", "1"),) if abi.abi3 else ())
    include_dirs = extension.include_dirs + tuple(dict.fromkeys(s.parent for s in extension.sources))
    return dataclasses.replace(
        extension, sources=tuple(sources), define_macros=defines, include_dirs=include_dirs
    )
