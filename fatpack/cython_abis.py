"""The ABIs a Cython module can be built for: the buffer protocol is in the limited API only from 3.11.

A Cython module whose generated C uses the buffer protocol (`Py_buffer`, `PyObject_GetBuffer`,
`PyBUF_*`) -- a typed memoryview (`def total(double[:] xs)`), a buffer-typed argument
(`ndarray[double]`), a `__getbuffer__` -- cannot build as cp39-abi3 or cp310-abi3: the compiler stops with
twenty "unknown type name 'Py_buffer'" errors. So before anything is compiled:

- found by preprocessing each generated file as that limited-API compile sees it (`zig cc -E` with
  `Py_LIMITED_API` at the floor and `CYTHON_LIMITED_API=1`, against this interpreter's headers): a
  buffer-protocol name left in the output is one that compile would fail on. Not a text search of the
  .pyx or the generated C: Cython also writes `Py_buffer` into code only compiled outside the limited
  API (the fast path of `bytes.endswith`), and such a module builds as cp39-abi3. The verdict is
  cached like a payload: by the file's content, the flags and headers, and the files the preprocessor
  read (fatpack/cache.py), so an unchanged rebuild runs nothing;
- with fatpack's default ABI (no `python` set), an abi3 floor below 3.11 becomes `cp311-abi3` (one
  line, shown without --verbose, says so and why): Cython 3.3's limited-API code with typed
  memoryviews builds and runs there (tests/test_cython.py), and one binary still serves every later
  CPython;
- an ABI the user chose (`python = ["cp39-abi3"]`, `--python`) is refused in one line naming the module,
  the construct and what to write instead.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from fatpack.cache import (
    PayloadCache,
    fatpack_fingerprint,
    file_digest,
    read_dependency_files,
    shadowing_paths,
)
from fatpack.config import ExtensionConfig
from fatpack.errors import ConfigError, FatpackError
from fatpack.runner import Runner
from fatpack.sdk import Headers, host_headers, without_multiarch_wrapper
from fatpack.targets import PythonAbi, host_target

logger = logging.getLogger("fatpack")

BUFFER_FLOOR = PythonAbi.parse("cp311-abi3", "the buffer protocol's limited-API floor")
_BUFFER_NAMES = re.compile(rb"\b(?:Py_buffer|PyObject_GetBuffer|PyBuffer_Release|PyBUF_[A-Z_]+)\b")
_MEMORYVIEW = re.compile(rb"\b__pyx_memoryview_obj\b")  # Cython's memoryview type: typed memoryviews
TYPED_MEMORYVIEW = "a typed memoryview"
BUFFER_PROTOCOL = "Py_buffer (a __getbuffer__ or a buffer-typed argument)"

# (the extension as configured, the same with its Cython sources replaced by the generated C/C++)
Cythonized = tuple[ExtensionConfig, ExtensionConfig]


@dataclass(frozen=True)
class CheckContext:
    """Where the checks run: this run's Cython directory (the generated files and the checks' output,
    keyed by content, not by path), the cache their verdicts are kept in, the project's root."""

    runner: Runner
    scratch: Path
    cache: PayloadCache
    root: Path


def fitting_abis(
    cythonized: Sequence[Cythonized], abis: Sequence[PythonAbi], default: bool, context: CheckContext
) -> tuple[PythonAbi, ...]:
    """`abis`, with an abi3 floor below 3.11 raised to cp311-abi3 when a Cython module needs the buffer
    protocol and the ABIs are fatpack's `default`; a ConfigError naming the module when the user chose
    them."""
    low = sorted((a for a in abis if a.abi3 and a.minor < BUFFER_FLOOR.minor), key=lambda a: a.minor)
    if not low:
        return tuple(abis)
    users = {}
    for configured, generated in cythonized:
        construct = buffer_construct(configured, generated, low[0], context)
        if construct is not None:
            users[configured.name] = construct
    if not users:
        return tuple(abis)
    tags = " and ".join(a.tag for a in low)
    if not default:
        name, construct = next(iter(users.items()))
        raise ConfigError(
            f"extension {name!r} uses {construct}: the buffer protocol is in the limited API only from 3.11, "
            f'so it cannot build as {tags}: write python = ["{BUFFER_FLOOR.tag}"] in [tool.fatpack] '
            f'(or --python {BUFFER_FLOOR.tag}), or a version-specific ABI such as "cp3{sys.version_info[1]}"'
        )
    named = ", ".join(f"{name} uses {construct}" for name, construct in users.items())
    # shown without --verbose: the package then needs CPython 3.11 or newer
    logger.warning(
        "note: %s: the buffer protocol is in the limited API only from 3.11, so building %s, not the "
        "default %s (set python in [tool.fatpack] to choose)",
        named,
        BUFFER_FLOOR.tag,
        tags,
    )
    return tuple(dict.fromkeys(BUFFER_FLOOR if abi in low else abi for abi in abis))


def buffer_construct(
    configured: ExtensionConfig, generated: ExtensionConfig, floor: PythonAbi, context: CheckContext
) -> Optional[str]:
    """What in the module's generated sources needs the buffer protocol under `floor`'s limited API
    (TYPED_MEMORYVIEW or BUFFER_PROTOCOL); None when nothing does. A file the preprocessor cannot read
    (a header only the target has) is left to the compile, which reports it."""
    found: Optional[str] = None
    for source in (s for s in generated.sources if s not in configured.sources):
        try:
            construct = source_construct(generated, source, floor, context)
        except FatpackError as exc:
            logger.debug("%s: not checked for the buffer protocol (%s)", source.name, exc)
            continue
        if construct is not None and found != TYPED_MEMORYVIEW:
            found = construct
    return found


def source_construct(
    generated: ExtensionConfig, source: Path, floor: PythonAbi, context: CheckContext
) -> Optional[str]:
    """The construct in one generated file, from the cache while the file and every header the
    preprocessor read are unchanged."""
    headers = host_headers()
    flags = [f"-DPy_LIMITED_API={floor.limited_api_hex}", "-DCYTHON_LIMITED_API=1"]
    flags += [f"-D{name}" if v is None else f"-D{name}={v}" for name, v in generated.define_macros]
    flags += [f"-I{d}" for d in generated.include_dirs]
    driver = "c++" if generated.language == "c++" else "cc"
    key = _verdict_key([driver, *flags], source, headers)
    work_dir = context.scratch / "limited-api" / generated.name
    work_dir.mkdir(parents=True, exist_ok=True)
    verdict = work_dir / (source.name + ".verdict")
    if context.cache.fetch(key, verdict):
        return verdict.read_text(encoding="utf-8") or None
    include_dir = without_multiarch_wrapper(headers.include_dir, work_dir)
    host = host_target()
    output, depfile = work_dir / (source.name + ".i"), work_dir / (source.name + ".d")
    command = [sys.executable, "-m", "ziglang", driver, "-E", "-MD", "-MF", str(depfile)]
    command += ["-target", host.zig_triple] if host is not None else []
    context.runner([*command, *flags, f"-I{include_dir}", str(source), "-o", str(output)])
    construct = construct_in(output.read_bytes())
    verdict.write_text(construct or "", encoding="utf-8")
    read = read_dependency_files(work_dir, context.root, ignore=(context.scratch,))
    if read is not None:  # the generated file and a header copy are in the key by content
        context.cache.store(key, read, verdict, shadowing_paths(read, generated.include_dirs, context.root))
    return construct


def construct_in(preprocessed: bytes) -> Optional[str]:
    """TYPED_MEMORYVIEW or BUFFER_PROTOCOL when buffer-protocol names are left in preprocessed C."""
    if not _BUFFER_NAMES.search(preprocessed):
        return None
    return TYPED_MEMORYVIEW if _MEMORYVIEW.search(preprocessed) else BUFFER_PROTOCOL


def _verdict_key(command: Sequence[str], source: Path, headers: Headers) -> str:
    """What the verdict on `source` depends on besides the headers the preprocessor read: fatpack's
    code (the names looked for), zig's version, the flags, the file's content, the Python headers."""
    header_files = [headers.include_dir / "patchlevel.h", headers.include_dir / "pyconfig.h"]
    inputs = {
        "kind": "limited-api-check",
        "fatpack": fatpack_fingerprint(),
        "zig": importlib.metadata.version("ziglang"),
        "host": sys.platform,
        "command": list(command),
        "source": file_digest(source),
        "headers": [str(headers.include_dir), *(file_digest(p) for p in header_files)],
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
