"""Cython sources (.pyx): cythonized once per extension into C or C++, cached, then built per target and ABI.

The generated C does not depend on the ABI: fatpack runs Cython with the same command for every ABI, and
Cython 3 leaves the choice to the C compiler (`Py_LIMITED_API`, `CYTHON_LIMITED_API`, `PY_VERSION_HEX`
are preprocessor tests in the generated file). So one run serves cp39-abi3, cp311 and cp313 alike, and
each ABI's compile adds its own macros (`for_abi`). Nor did the C differ by the Python running Cython
(Cython 3.3.1 under 3.11 and under 3.12 wrote the same bytes for both memoryview fixture projects); that
Python is in the key all the same. The key holds what the generated C does depend on: Cython's version
and the Python running it; the command (module name, C or C++, include directories, any directive given
there); the directory Cython runs in (it writes the source's path relative to it into the module, for
tracebacks: it runs in the project's root, so the path does not depend on where fatpack was started);
and the content of every file Cython read (the .pyx with its `# cython:` directive comments, the
.pxd/.pxi it cimports or includes, Cython's own Includes), as its dependency file (`-M`) lists them.

An abi3 build compiles the generated code with Py_LIMITED_API and CYTHON_LIMITED_API=1. Cython 3.3
refuses a limited-API floor below 3.9, so `cp38-abi3` is rejected for Cython extensions (the default
becomes `cp39-abi3` when a project has Cython sources); typed memoryviews need a floor of 3.11, where
Py_buffer joined the limited API (fatpack/cython_abis.py). Cython is needed at build time only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from fatpack.cache import PayloadCache, parse_dependency_file, shadowing_paths
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


def cythonize(
    extension: ExtensionConfig, runner: Runner, out_dir: Path, root: Path, cache: PayloadCache
) -> ExtensionConfig:
    """The extension with each .pyx replaced by its generated C/C++ file (written under out_dir, or
    taken from the cache when nothing Cython read changed). The same for every ABI: see `for_abi`."""
    if importlib.util.find_spec("Cython") is None:
        raise ToolchainError(f"extension {extension.name!r} has Cython sources: pip install cython")
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = tuple(
        _generate(extension, source, runner, out_dir, root, cache) if source.suffix == ".pyx" else source
        for source in extension.sources
    )
    include_dirs = extension.include_dirs + tuple(dict.fromkeys(s.parent for s in extension.sources))
    return dataclasses.replace(extension, sources=sources, include_dirs=include_dirs)


def for_abi(generated: ExtensionConfig, abi: PythonAbi) -> ExtensionConfig:
    """The cythonized extension as compiled for `abi`: an abi3 build selects Cython's limited-API code."""
    if not abi.abi3:
        return generated
    limited = ("CYTHON_LIMITED_API", "1")
    return dataclasses.replace(generated, define_macros=(*generated.define_macros, limited))


def _generate(
    extension: ExtensionConfig, source: Path, runner: Runner, out_dir: Path, root: Path, cache: PayloadCache
) -> Path:
    generated = out_dir / (source.stem + (".cpp" if extension.language == "c++" else ".c"))
    options = ["-3", "--module-name", extension.name]
    options += ["--cplus"] if extension.language == "c++" else []
    options += [f"-I{d}" for d in extension.include_dirs]
    key = generated_key(options, source, root)
    if cache.fetch(key, generated):
        return generated
    runner([sys.executable, "-m", "cython", *options, "-M", str(source), "-o", str(generated)], cwd=root)
    depfile = generated.with_name(generated.name + ".dep")
    if depfile.is_file():  # Cython lists what it read, relative to where it ran
        text = depfile.read_text(encoding="utf-8", errors="surrogateescape")
        read = sorted({Path(os.path.normpath(root / name)) for name in parse_dependency_file(text)})
        search_dirs = [*extension.include_dirs, source.parent]
        cache.store(key, read, generated, shadowing_paths(read, search_dirs, root))
    return generated


def generated_key(options: Sequence[str], source: Path, root: Path) -> str:
    """The cache key of the C Cython generates from `source` with `options`, run in `root`, before the
    content of the other files it reads (the cache's second step)."""
    inputs = {
        "kind": "cython",
        "cython": cython_identity(),
        "python": [sys.implementation.name, sys.version],
        "options": list(options),
        "source": str(source),
        "cwd": str(root),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def cython_identity() -> list[str]:
    """The Cython that runs (`python -m cython` with this interpreter): its version and where it lives."""
    spec = importlib.util.find_spec("Cython")
    return [importlib.metadata.version("Cython"), str(spec.origin if spec else None)]
