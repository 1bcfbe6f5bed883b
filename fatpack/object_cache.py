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
output and dependency file paths are left out (they do not change the object). Compiles whose object
records more than that (`-g*`, `-frecord-command-line`, coverage, `=native`: UNCACHEABLE_OPTIONS) and
compiles that read what no preprocessor output shows (the assembler's `.incbin`/`.include`, assembly
sources, precompiled headers) are never cached; fatpack/builders/ccflags.py keeps an object only when
the source preprocesses to the same text after its compile as before it.

Entries are stored as the payload cache stores its payloads (fatpack/cache.py: sealed, owner-checked,
written atomically), under FATPACK_BUILD_CACHE/objects.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
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


# options whose object records more than the key holds: the command line with the -D and -I the key
# leaves out, the .gcda path gcc makes from -o, the working directory, this machine's CPU (a cache
# directory copied to another machine, as CI caches are); and options under which the preprocessed
# text does not hold what the compile reads: clang modules (an `#include` of a modular header leaves
# no text, the module is read from its cache), a response file (`@file`: its options are not seen
# here, nor the files they name)
UNCACHEABLE_OPTIONS = (
    "-frecord-command-line", "-frecord-gcc-switches", "--coverage", "-coverage", "-fprofile-arcs",
    "-ftest-coverage", "-fprofile-generate", "-fcoverage-mapping", "-fembed-bitcode",
    "-fmodule", "-fcxx-modules", "-fprebuilt-module", "@",
)  # fmt: skip
ASSEMBLY_SUFFIXES = (".s", ".S", ".sx", ".asm")


def cacheable(compile_command: Sequence[str]) -> bool:
    """False for a compile whose object records more than its key (where it ran: debug information;
    its command line, its output path or the CPU of the machine), or whose preprocessed text does not
    hold all it reads (modules, response files): UNCACHEABLE_OPTIONS, `=native`."""
    return not any(
        (arg.startswith("-g") and arg != "-g0")
        or arg.startswith(UNCACHEABLE_OPTIONS)
        or arg.endswith("=native")
        for arg in compile_command
    )


def cacheable_source(source: Path, arguments: Sequence[str]) -> bool:
    """False for assembly (`.s`, `.S`, or `-x assembler...`): its `.include` and `.incbin` read files
    that no preprocessed text shows, found in the `-I` directories the key leaves out."""
    languages = [arguments[i + 1] for i, arg in enumerate(arguments[:-1]) if arg == "-x"]
    languages += [arg[2:] for arg in arguments if arg.startswith("-x") and len(arg) > 2]
    assembly = any(language.startswith("assembler") for language in languages)
    return source.suffix not in ASSEMBLY_SUFFIXES and not assembly


# what the assembler of inline assembly reads a file with (`.incbin`, `.include`), or builds a directive's
# name with (`.macro` arguments, `.irp`/`.irpc`, `\()`), in any case
_READS_FILES = re.compile(rb"incbin|\.include|\.macro|\.irp|\\\(\)", re.IGNORECASE)
# the tokens of preprocessed C that can hold or hide a string: line markers (file names, never assembly),
# comments (-C keeps them), raw strings, character literals and strings
_TOKENS = re.compile(
    rb'(?m:^#[^\n]*)|/\*.*?\*/|//[^\n]*|R"([^ ()\\\t\n]{0,16})\((.*?)\)\1"'
    # a character literal, not a C++14 digit separator (1'000), which would hide what follows
    rb"|(?:(?<![0-9A-Za-z_])|(?<=\bu8)|(?<=\b[uUL]))'(?:[^'\\\n]|\\.)*'"
    rb'|"((?:[^"\\\n]|\\.)*)"',
    re.DOTALL,
)
_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]+|[0-7]{1,3}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {b"n": b"\n", b"t": b"\t", b"r": b"\r", b"a": b"\a", b"b": b"\b", b"f": b"\f", b"v": b"\v"}


def cacheable_input(preprocessed: bytes) -> bool:
    """False for a source whose inline assembly may read a file the preprocessor never saw (`.incbin`,
    `.include`): that file's content is in no key. Looked for in the strings as the compiler joins
    them (adjacent literals concatenated, escapes decoded), and in the text outside them."""
    strings = b"".join(_string_contents(preprocessed))
    return not (_READS_FILES.search(strings) or re.search(rb"incbin", preprocessed, re.IGNORECASE))


# options reading a profile: `=FILE` is keyed by content; a directory (clang reads DIR/default.profdata,
# gcc DIR/*.gcda) or no value (gcc: .gcda files beside the object) is in no key
PROFILE_OPTIONS = (
    "-fprofile-use",
    "-fprofile-instr-use",
    "-fprofile-sample-use",
    "-fauto-profile",
    "-fprofile-dir",
)


def reads_unnamed_profile(arguments: Sequence[str], cwd: Path) -> bool:
    """True when a profile option names no file (a directory, or nothing): see PROFILE_OPTIONS."""
    for arg in arguments:
        if arg.startswith(PROFILE_OPTIONS):
            value = arg.partition("=")[2]
            if not value or not (cwd / value).is_file():
                return True
    return False


_LINE_MARKER = re.compile(rb'^# \d+ "((?:[^"\\\n]|\\.)*)"', re.MULTILINE)
PRECOMPILED_SUFFIXES = (".gch", ".pch")


def reads_precompiled_header(preprocessed: bytes, arguments: Sequence[str], cwd: Path) -> bool:
    """True when the compile may read a precompiled header, which no preprocessed text shows: `H.gch`
    or `H.pch` beside a header H the text came from (gcc compiles from one even when it is older
    than H, and -E shows H), one beside an `-include` file (clang's driver uses it), `-include-pch`."""
    if "-include-pch" in arguments:
        return True
    marked = (m.group(1).replace(b"\\\\", b"\\") for m in _LINE_MARKER.finditer(preprocessed))
    names = [name.decode("utf-8", "surrogateescape") for name in marked]
    names += [arguments[i + 1] for i, arg in enumerate(arguments[:-1]) if arg == "-include"]
    return any(
        os.path.lexists(cwd / (name + suffix)) for name in set(names) for suffix in PRECOMPILED_SUFFIXES
    )


def _string_contents(text: bytes) -> list[bytes]:
    """The contents of the string literals of `text`, escapes decoded, in order."""
    found: list[bytes] = []
    for match in _TOKENS.finditer(text):
        if match.group(2) is not None:  # a raw string: no escapes
            found.append(match.group(2))
        elif match.group(3) is not None:
            found.append(_ESCAPE.sub(_unescape, match.group(3)))
    return found


def _unescape(match: re.Match[bytes]) -> bytes:
    escape = match.group(1)
    if escape[:1] in b"xuU" and len(escape) > 1:
        return chr(min(int(escape[1:], 16), 0x10FFFF)).encode("utf-8", "surrogatepass")
    if escape[:1].isdigit():
        return bytes([int(escape, 8) & 0xFF])
    return _SIMPLE_ESCAPES.get(escape, escape)


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
