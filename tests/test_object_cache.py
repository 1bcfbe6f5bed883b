"""The object cache (fatpack/object_cache.py): a source is compiled once for every ABI and run that gives it
the same preprocessed input; anything that changes that input, or the compile's other arguments,
compiles again."""

from pathlib import Path

import pytest
from conftest import run_on_path

from fatpack.build import build_payloads
from fatpack.cache import PayloadCache
from fatpack.config import load_project
from fatpack.object_cache import ObjectCache, cacheable, object_arguments
from fatpack.plan import make_plan
from fatpack.runner import run_command


def test_preprocessor_options_outputs_and_the_source_are_not_arguments_of_the_object():
    command = [
        "-target", "x86_64-linux-gnu.2.17", "-O2", "-fPIC", "-I/tmp/run1/sdk/include",
        "-I", "src/inc", "-isystem", "/opt/x", "-idirafter", "/w/windows-headers", "-DNDEBUG", "-UFOO",
        "-MD", "-MF", "/w/deps/0-a.d", "-c", "/p/src/a.c",
    ]  # fmt: skip
    assert object_arguments(command) == [
        "-target", "x86_64-linux-gnu.2.17", "-O2", "-fPIC", "-MD", "-c",
    ]  # fmt: skip


def test_debug_information_is_never_cached():
    assert not cacheable(["cc", "-O2", "-g", "-c", "a.c"])
    assert not cacheable(["cc", "-gdwarf-4", "-c", "a.c"])
    assert cacheable(["cc", "-O2", "-g0", "-c", "a.c"])


def test_inline_assembly_reading_a_file_is_never_cached():
    from fatpack.object_cache import cacheable_input

    assert not cacheable_input(b'__asm__(".section .rodata\\n.incbin \\"blob.bin\\"");')
    assert cacheable_input(b"int x;")


def test_key_follows_preprocessed_input_and_arguments(tmp_path):
    cache = ObjectCache.under(tmp_path, "zig 0.14.0")
    zig = ["zig", "cc"]
    base = ["-O2", "-I/a", "-DA=1", "-c", "x.c"]
    key = cache.key(zig, base, b"int x;", tmp_path)
    assert cache.key(zig, ["-O2", "-I/b", "-DA=2", "-c", "x.c"], b"int x;", tmp_path) == key  # preprocessor
    assert cache.key(zig, base, b"int y;", tmp_path) != key  # what was read, and what the macros made of it
    assert cache.key(zig, ["-O3", "-I/a", "-c", "x.c"], b"int x;", tmp_path) != key  # codegen
    assert cache.key(["zig", "c++"], base, b"int x;", tmp_path) != key  # the driver
    assert ObjectCache.under(tmp_path, "zig 0.15.0").key(zig, base, b"int x;", tmp_path) != key  # version
    profile = tmp_path / "x.profdata"
    profile.write_bytes(b"1")
    named = [f"-fprofile-use={profile}", "-c", "x.c"]
    first = cache.key(zig, named, b"int x;", tmp_path)
    profile.write_bytes(b"2")
    assert cache.key(zig, named, b"int x;", tmp_path) != first  # a file an argument names, by content


class CountingRunner:
    """run_command, counting the compiles (`-c`) of each source."""

    def __init__(self):
        self.compiled: list[str] = []

    def __call__(self, command, **options):
        if "-c" in command:
            self.compiled.append(Path(command[command.index("-c") + 1]).name)
        return run_command(command, **options)


LIB_C = '#include "lib.h"\nint lib_value(void) { return LIB_VALUE; }\n'
MODULE_C = """\
#include <Python.h>
int lib_value(void);
static PyObject *value(PyObject *self, PyObject *unused) { return PyLong_FromLong(lib_value()); }
static PyMethodDef methods[] = {{"value", value, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "_m", NULL, -1, methods};
PyMODINIT_FUNC PyInit__m(void) { return PyModule_Create(&m); }
"""


@pytest.fixture
def two_source_project(make_project):
    return make_project(
        tool="""
        targets = ["linux_x86_64"]
        python = ["cp38-abi3", "cp311"]
        [[tool.fatpack.extension]]
        name = "om._m"
        sources = ["src/om/_m.c", "src/om/lib.c"]
        include-dirs = ["src/om/include"]
        """,
        files={
            "src/om/__init__.py": "",
            "src/om/_m.c": MODULE_C,
            "src/om/lib.c": LIB_C,
            "src/om/include/lib.h": "#define LIB_VALUE 7\n",
        },
        project='[project]\nname = "om"\nversion = "1.0"\n',
    )


def build(project: Path, cache_root: Path, work: Path) -> tuple[list[str], int]:
    """Build both ABIs; the sources compiled, and what the abi3 payload's value() returns."""
    runner = CountingRunner()
    payloads = build_payloads(
        make_plan(load_project(project), cache=PayloadCache(cache_root)), runner, work / "w", work / "out"
    )
    assert sorted(p.abi.label for p in payloads) == ["abi3", "cp311"]
    (stable,) = (p for p in payloads if p.abi.abi3)
    site = work / "site"
    (site / "om").mkdir(parents=True)
    (site / "om" / "__init__.py").write_text("")
    (site / "om" / "_m.abi3.so").write_bytes(stable.path.read_bytes())
    proc = run_on_path(site, "import om._m; print(om._m.value())")
    assert proc.returncode == 0, proc.stderr
    return sorted(runner.compiled), int(proc.stdout)


@pytest.mark.compile
def test_a_source_without_python_headers_compiles_once_for_every_abi(two_source_project, tmp_path):
    cache = tmp_path / "cache"
    compiled, value = build(two_source_project, cache, tmp_path / "one")
    assert (compiled, value) == (["_m.c", "_m.c", "lib.c"], 7)  # lib.c: no Python header, one compile

    (two_source_project / "src/om/include/lib.h").write_text("#define LIB_VALUE 8\n")
    compiled, value = build(two_source_project, cache, tmp_path / "two")
    assert (compiled, value) == (["lib.c"], 8)  # both payloads missed; only what read lib.h compiles

    compiled, value = build(two_source_project, cache, tmp_path / "three")
    assert (compiled, value) == ([], 8)  # the payload cache serves both


@pytest.mark.compile
def test_damaged_object_entries_are_compiled_again(two_source_project, tmp_path, caplog):
    cache = tmp_path / "cache"
    build(two_source_project, cache, tmp_path / "one")
    for entry in (cache / "objects").rglob("*"):
        if entry.is_file():
            entry.write_bytes(entry.read_bytes()[:-7] + b"garbage")
    source = two_source_project / "src/om/_m.c"
    source.write_text(source.read_text() + "/* payloads miss, objects are asked */\n")
    caplog.set_level("WARNING", logger="fatpack")
    compiled, value = build(two_source_project, cache, tmp_path / "two")
    assert compiled == ["_m.c", "_m.c", "lib.c"] and "is damaged" in caplog.text
    assert value == 7


def test_object_entries_live_beside_the_payload_entries(tmp_path):
    cache = ObjectCache.under(tmp_path / "builds", "zig")
    built = tmp_path / "x.o"
    built.write_bytes(b"object")
    key = cache.key(["cc"], ["-c", "x.c"], b"int x;", tmp_path)
    cache.store(key, built)
    out = tmp_path / "y.o"
    assert cache.fetch(key, out) and out.read_bytes() == b"object"
    assert all(
        p.is_relative_to(tmp_path / "builds" / "objects")
        for p in (tmp_path / "builds").rglob("*")
        if p.is_file()
    )
