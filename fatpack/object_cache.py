"""Compiled objects by what the compiler compiles, so a source is compiled once for every ABI and run that
gives it the same input: a source that includes no Python header (a bundled C library's files) compiles
to the same object for cp310 ... cp315, and an unchanged file of a project where another file changed is
not compiled again.

The key is ccache's "preprocessor mode": the source preprocessed with the very arguments of its compile
(every byte the preprocessor read, with the paths it read them from in its line markers), the compiler's
identity and every argument that acts beyond the preprocessor (the target, optimisation, `-fPIC`, ...),
the content of files an argument names (`-fprofile-use=FILE`), the environment variables compilers read
and fatpack's own code. Search paths (`-I`, `-isystem`, `-idirafter`, ...) and macros (`-D`, `-U`) are
left out: they act only in the preprocessor, so their every effect is in its output (where a file was
found in the line markers, what was found and what the macros made of it in the text). So the files of
a bundled library compile once for the abi3 build (`-DPy_LIMITED_API=...`) and every version. The
output and dependency file paths are left out (they do not change the object). Compiles that record
their working directory (`-g*`: debug information) and sources whose inline assembly reads a file
(`.incbin`, which no preprocessor output shows) are never cached.

Entries are stored as the payload cache stores its payloads (fatpack/cache.py: sealed, owner-checked,
written atomically), under FATPACK_BUILD_CACHE/objects.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fatpack.cache import COMPILER_ENVIRONMENT, PayloadCache, fatpack_fingerprint, files_named_in

# preprocessor-only options, as one argument (`-Idir`, `-DX=1`) or two (`-I dir`, `-D X`): header search
# paths and macros
PREPROCESSOR_OPTIONS = (
    "-I", "-isystem", "-idirafter", "-iquote", "-iprefix", "-iwithprefix", "--sysroot", "-D", "-U",
)  # fmt: skip
# options naming where the compiler writes (`-o OUT`, `-MF DEP`): they do not change the object
OUTPUT_OPTIONS = ("-o", "-MF", "-MT", "-MQ")


@dataclass(frozen=True)
class ObjectCache:
    """Objects by key (see the module docstring); `identity` is the compiler and its version."""

    store_: PayloadCache
    identity: str

    @classmethod
    def under(cls, root: Path, identity: str) -> ObjectCache:
        return cls(PayloadCache(root / "objects"), identity)

    def key(self, compiler: Sequence[str], arguments: Sequence[str], preprocessed: bytes, cwd: Path) -> str:
        """The key of the object `compiler` (the command that runs it: its version is `identity`) makes with
        `arguments` (ending with `-c SOURCE`) from a source whose preprocessed text is `preprocessed`
        (see the module docstring)."""
        kept = object_arguments(arguments)
        inputs = {
            "fatpack": fatpack_fingerprint(),
            "compiler": [self.identity, *compiler],
            "arguments": kept,
            "named_files": [[str(p), _digest(p.read_bytes())] for p in files_named_in(kept, cwd)],
            "environment": {name: os.environ.get(name) for name in COMPILER_ENVIRONMENT},
            "preprocessed": _digest(preprocessed),
        }
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()

    def fetch(self, key: str, output: Path) -> bool:
        return self.store_.fetch(key, output)

    def store(self, key: str, built: Path) -> None:
        self.store_.store(key, [], built)


def cacheable(compile_command: Sequence[str]) -> bool:
    """False for a compile whose object records where it ran (debug information)."""
    return not any(arg.startswith("-g") and arg not in ("-g0",) for arg in compile_command)


def cacheable_input(preprocessed: bytes) -> bool:
    """False for a source whose assembly reads a file the preprocessor never saw (`.incbin` in inline
    assembly): that file's content is in no key."""
    return b".incbin" not in preprocessed


def object_arguments(arguments: Sequence[str]) -> list[str]:
    """A compile's arguments without preprocessor-only options, outputs and the source's own path (the
    last argument is the source; its content and name are in the preprocessed text)."""
    kept: list[str] = []
    skip_next = False
    for arg in arguments[:-1]:
        if skip_next:
            skip_next = False
            continue
        if arg in PREPROCESSOR_OPTIONS or arg in OUTPUT_OPTIONS:
            skip_next = True
            continue
        if arg.startswith(PREPROCESSOR_OPTIONS):  # outputs: fatpack passes them as two arguments
            continue
        kept.append(arg)
    return kept


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
