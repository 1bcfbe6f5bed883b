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


# --- hostile review (h18): inputs that changed the object but not its key ---


class FakeCompiler:
    """A compiler that reads `header` when it preprocesses (`-E`: the text is the header's content) and
    again when it compiles (`-c`: the object is the header's content then); `during_compile` runs just
    before a compile reads it, as another process editing the file would."""

    def __init__(self, header: Path, during_compile=None):
        self.header, self.during_compile, self.compiles = header, during_compile, 0

    def __call__(self, command, **options):
        out = Path(command[command.index("-o") + 1])
        if "-E" in command:
            out.write_bytes(b'# 1 "src.c"\nint v = ' + self.header.read_bytes() + b";\n")
        else:
            self.compiles += 1
            if self.during_compile is not None:
                self.during_compile()
            out.write_bytes(b"object of " + self.header.read_bytes())
        return ""


def test_a_header_edited_between_preprocessing_and_compiling_is_not_cached_under_the_old_text(tmp_path):
    from fatpack.builders.ccflags import compile_object

    cache = ObjectCache.under(tmp_path / "cache", "cc 1")
    header, source, obj = tmp_path / "v.h", tmp_path / "src.c", tmp_path / "src.o"
    source.write_text('#include "v.h"\n')
    header.write_bytes(b"1")
    racing = FakeCompiler(header, during_compile=lambda: header.write_bytes(b"2"))
    compile_object(racing, ["cc"], ["-O2"], source, obj, tmp_path, cache)
    assert obj.read_bytes() == b"object of 2"  # the compile read the new content

    header.write_bytes(b"1")  # back to the text the key was made from
    compiler = FakeCompiler(header)
    compile_object(compiler, ["cc"], ["-O2"], source, obj, tmp_path, cache)
    assert obj.read_bytes() == b"object of 1"  # not the object of "2" kept under the text of "1"


@pytest.mark.parametrize(
    "asm",
    [
        rb'__asm__(".section .rodata\n.inc" "bin \"blob.bin\"");',  # adjacent literals joined after -E
        rb'__asm__(".section .rodata\n.INCBIN \"blob.bin\"");',  # directives ignore case
        rb'__asm__(".section .rodata\n\x2eincbin \"blob.bin\"");',  # an escape
        rb'__asm__(".section .rodata\n.\151ncbin \"blob.bin\"");',  # an octal escape
        rb'__asm__(".include \"defs.s\"");',  # the assembler reads another file
        rb'__asm__(".macro m a, b\n .\\a\\b \"blob.bin\"\n.endm\nm inc, bin");',  # a name built by a macro
        rb'__asm__(".irpc c, x\n.inc\\()bin \"blob.bin\"\n.endr");',
        rb'int a = 1\'000; __asm__(".\x69nclude \"defs.s\""); int b = 2\'000;',  # C++14 digit separators
    ],
)
def test_inline_assembly_reading_a_file_is_never_cached_however_spelled(asm):
    from fatpack.object_cache import cacheable_input

    assert not cacheable_input(b'# 1 "src.c"\nchar c = \'"\';\n' + asm + b"\n")


def test_ordinary_strings_and_line_markers_stay_cacheable():
    from fatpack.object_cache import cacheable_input

    text = b'# 1 "/usr/include/stdio.h" 1 3\nextern int puts(const char *) __asm__("" "puts");\n'
    assert cacheable_input(text + b'static const char *m = "hello \\"world\\"";\n')


@pytest.mark.parametrize(
    "option",
    [
        "-frecord-command-line",  # the command line, with the -D and -I left out of the key, in the object
        "-frecord-gcc-switches",
        "--coverage",  # gcc writes the .gcda path, made from -o (not in the key), into the object
        "-fprofile-arcs",
        "-ftest-coverage",
        "-fprofile-generate",
        "-fcoverage-mapping",  # the working directory
        "-march=native",  # this machine's CPU: a cache directory copied to another machine
        "-mcpu=native",
        "-mtune=native",
        "-fmodules",  # an #include of a modular header leaves no text (the module cache is read)
        "-fmodule-file=x.pcm",
        "-fprebuilt-module-path=mods",
        "@flags.rsp",  # a response file's options (-g, -fprofile-use=FILE) are not seen
    ],
)
def test_compiles_whose_object_records_more_than_the_key_are_never_cached(option):
    assert not cacheable(["-O2", option, "-c", "a.c"])
    assert cacheable(["-O2", "-march=x86-64-v2", "-c", "a.c"])


@pytest.mark.parametrize("suffix", [".s", ".S", ".sx", ".asm"])
def test_assembly_sources_are_never_cached(suffix):
    from fatpack.object_cache import cacheable_source

    assert not cacheable_source(Path("src/x" + suffix), ["-O2"])
    assert not cacheable_source(Path("src/x.c"), ["-x", "assembler-with-cpp", "-O2"])
    assert cacheable_source(Path("src/x.c"), ["-O2"])


ZIG = ["-target", "x86_64-linux-gnu.2.17"]


def zig_compile_object(source: Path, obj: Path, arguments: list[str], cache: ObjectCache, cwd: Path) -> bytes:
    from fatpack.builders.ccflags import compile_object
    from fatpack.runner import zig_command

    compile_object(run_command, [*zig_command("cc"), *ZIG], arguments, source, obj, cwd, cache)
    return obj.read_bytes()


@pytest.mark.compile
def test_an_assembly_source_compiles_with_the_object_cache_on(tmp_path):
    """zig cc -E writes nothing for a `.s` file (nothing to preprocess): it was a FileNotFoundError."""
    cache = ObjectCache.under(tmp_path / "cache", "zig")
    one, two = tmp_path / "one.s", tmp_path / "two.s"
    one.write_text(".text\n.globl f\nf:\n mov $1, %eax\n ret\n")
    two.write_text(".text\n.globl f\nf:\n mov $2, %eax\n ret\n")
    first = zig_compile_object(one, tmp_path / "one.o", ["-O2"], cache, tmp_path)
    assert zig_compile_object(two, tmp_path / "two.o", ["-O2"], cache, tmp_path) != first


@pytest.mark.compile
def test_an_assembly_include_changed_compiles_again(tmp_path, monkeypatch):
    """zig's own cache misses no file the assembler reads either (it keeps the first object): each
    compile here has a cache of its own, as after a zig upgrade."""
    cache = ObjectCache.under(tmp_path / "cache", "zig")
    source, included = tmp_path / "f.S", tmp_path / "body.s"
    source.write_text('.text\n.globl f\nf:\n.include "body.s"\n ret\n')
    included.write_text(" mov $1, %eax\n")
    monkeypatch.setenv("ZIG_GLOBAL_CACHE_DIR", str(tmp_path / "zig-one"))
    monkeypatch.setenv("ZIG_LOCAL_CACHE_DIR", str(tmp_path / "zig-one"))
    first = zig_compile_object(source, tmp_path / "f.o", ["-O2"], cache, tmp_path)
    included.write_text(" mov $2, %eax\n")
    monkeypatch.setenv("ZIG_GLOBAL_CACHE_DIR", str(tmp_path / "zig-two"))
    monkeypatch.setenv("ZIG_LOCAL_CACHE_DIR", str(tmp_path / "zig-two"))
    assert zig_compile_object(source, tmp_path / "f.o", ["-O2"], cache, tmp_path) != first


@pytest.mark.compile
def test_a_recorded_command_line_is_the_compile_s_own(tmp_path):
    """-frecord-command-line puts the -D that the key leaves out into the object."""
    cache = ObjectCache.under(tmp_path / "cache", "zig")
    source = tmp_path / "a.c"
    source.write_text("int f(void) { return 1; }\n")
    zig_compile_object(source, tmp_path / "a.o", ["-O2", "-frecord-command-line", "-DA=1"], cache, tmp_path)
    cached = zig_compile_object(
        source, tmp_path / "a.o", ["-O2", "-frecord-command-line", "-DA=2"], cache, tmp_path
    )
    assert b"A=2" in cached and b"A=1" not in cached


BLOB_MODULE_C = r"""
#include <Python.h>
__asm__(".section .rodata\n.globl om_blob\nom_blob:\n.incbin \"blob.bin\"\n.byte 0\n.text\n");
extern const char om_blob[];
static PyObject *value(PyObject *self, PyObject *unused) { return PyUnicode_FromString(om_blob); }
static PyMethodDef methods[] = {{"value", value, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "_m", NULL, -1, methods};
PyMODINIT_FUNC PyInit__m(void) { return PyModule_Create(&m); }
"""


@pytest.mark.compile
def test_a_payload_whose_assembly_reads_a_file_is_built_again_when_it_changes(make_project, tmp_path):
    """The file `.incbin` reads (found in an include directory) is in no dependency file: the payload
    cache served the payload of its first content."""
    project = make_project(
        tool="""
        targets = ["linux_x86_64"]
        python = ["cp38-abi3"]
        [[tool.fatpack.extension]]
        name = "om._m"
        sources = ["src/om/_m.c"]
        include-dirs = ["src/om/data"]
        """,
        files={"src/om/__init__.py": "", "src/om/_m.c": BLOB_MODULE_C, "src/om/data/blob.bin": ""},
        project='[project]\nname = "om"\nversion = "1.0"\n',
    )
    seen = []
    for number, content in enumerate(["first", "second"]):
        (project / "src/om/data/blob.bin").write_text(content)
        work = tmp_path / str(number)
        plan = make_plan(load_project(project), cache=PayloadCache(tmp_path / "cache"))
        (payload,) = build_payloads(plan, run_command, work / "w", work / "out")
        site = work / "site"
        (site / "om").mkdir(parents=True)
        (site / "om" / "__init__.py").write_text("")
        (site / "om" / "_m.abi3.so").write_bytes(payload.path.read_bytes())
        proc = run_on_path(site, "import om._m; print(om._m.value())")
        assert proc.returncode == 0, proc.stderr
        seen.append(proc.stdout.strip())
    assert seen == ["first", "second"]


@pytest.mark.compile
def test_a_precompiled_header_is_never_cached_under_the_text_of_its_header(tmp_path):
    """gcc compiles from `pre.h.gch` even when it is older than pre.h, while -E shows pre.h: the object
    of the old .gch was kept under the text of the new header, and served after the .gch was rebuilt."""
    from fatpack.builders.ccflags import compile_object

    cache = ObjectCache.under(tmp_path / "cache", "gcc")
    header, source = tmp_path / "pre.h", tmp_path / "s.c"
    source.write_text('#include "pre.h"\nint f(void) { return k; }\n')

    def gcc_objects(k_in_gch: int) -> tuple[bytes, bytes]:
        header.write_text(f"static int k = {k_in_gch};\n")
        run_command(["gcc", "-O2", "-x", "c-header", str(header), "-o", f"{header}.gch"], cwd=tmp_path)
        header.write_text("static int k = 2;\n")
        fresh = tmp_path / "fresh.o"
        run_command(["gcc", "-O2", "-c", str(source), "-o", str(fresh)], cwd=tmp_path)
        compile_object(run_command, ["gcc"], ["-O2"], source, tmp_path / "s.o", tmp_path, cache)
        return (tmp_path / "s.o").read_bytes(), fresh.read_bytes()

    cached, fresh = gcc_objects(1)  # a stale .gch: gcc uses it
    assert cached == fresh
    cached, fresh = gcc_objects(2)  # rebuilt
    assert cached == fresh


@pytest.mark.compile
def test_a_modular_header_changed_compiles_again(tmp_path, monkeypatch):
    """With -fmodules an `#include` of a header in a module map leaves no text in -E's output."""
    cache = ObjectCache.under(tmp_path / "cache", "zig")
    (tmp_path / "module.modulemap").write_text('module Foo { header "foo.h" export * }\n')
    header, source = tmp_path / "foo.h", tmp_path / "m.c"
    source.write_text('#include "foo.h"\nint f(void) { return v(); }\n')
    arguments = ["-O2", "-fmodules", f"-fmodules-cache-path={tmp_path / 'modules'}"]
    header.write_text("static inline int v(void) { return 1; }\n")
    first = zig_compile_object(source, tmp_path / "m.o", arguments, cache, tmp_path)
    # another size: clang's module cache (and zig's) take a header of the same size and mtime second
    # for unchanged
    header.write_text("static inline int v(void) { return 1234; }\n")
    assert zig_compile_object(source, tmp_path / "m.o", arguments, cache, tmp_path) != first


@pytest.mark.parametrize("option", ["-fprofile-use={}", "-fprofile-instr-use={}", "-fprofile-use"])
def test_a_profile_read_from_a_directory_is_never_cached(tmp_path, option):
    """clang reads DIR/default.profdata for -fprofile-use=DIR (gcc DIR/*.gcda, or beside the object
    without a value): no key holds those files, and the payload cannot be cached either."""
    from fatpack.builders.ccflags import compile_object

    cache = ObjectCache.under(tmp_path / "cache", "cc 1")
    (tmp_path / "profiles").mkdir()
    header, source, obj = tmp_path / "v.h", tmp_path / "src.c", tmp_path / "src.o"
    source.write_text('#include "v.h"\n')
    header.write_bytes(b"1")
    compiler = FakeCompiler(header)
    arguments = ["-O2", option.format(tmp_path / "profiles")]
    assert not compile_object(compiler, ["cc"], arguments, source, obj, tmp_path, cache)
    assert not compile_object(compiler, ["cc"], arguments, source, obj, tmp_path, cache)
    assert compiler.compiles == 2
