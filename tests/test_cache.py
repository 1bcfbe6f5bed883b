"""The payload cache: an unchanged rebuild compiles nothing; any input that can change the binary
(source, header, flag, target, ABI, compiler version) compiles again."""

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import RecordingRunner, run_on_path

from fatpack.build import build_payloads
from fatpack.builders.zig import ZigBuilder
from fatpack.cache import PayloadCache
from fatpack.config import load_project
from fatpack.errors import ArtifactError, BuildError
from fatpack.plan import make_plan
from fatpack.targets import TARGETS, PythonAbi


@pytest.fixture
def cache(tmp_path) -> PayloadCache:
    return PayloadCache(tmp_path / "cache")


def compiles(project: Path, runner, cache, tmp_path, **plan) -> int:
    """Build once more; return how many payloads it compiled (the link runs: one per payload)."""
    before = len(runner.commands)
    out = tmp_path / f"out{before}"
    payloads = build_payloads(
        make_plan(load_project(project), cache=cache, **plan), runner, tmp_path / f"w{before}", out
    )
    assert all(p.path.is_file() for p in payloads)
    return sum(1 for c in runner.commands[before:] if "-shared" in c)


def test_unchanged_rebuild_compiles_nothing(demo_project, runner, cache, tmp_path):
    assert compiles(demo_project, runner, cache, tmp_path) == 2
    assert compiles(demo_project, runner, cache, tmp_path) == 0


def test_source_change_invalidates(demo_project, runner, cache, tmp_path):
    compiles(demo_project, runner, cache, tmp_path)
    source = demo_project / "src/demo/_speed.c"
    source.write_text(source.read_text() + "/* edited */\n")
    assert compiles(demo_project, runner, cache, tmp_path) == 2


def test_a_file_the_compiler_read_invalidates(demo_project, runner, cache, tmp_path):
    """Whatever the compiler's dependency file lists is hashed again on lookup (here a runner that
    lists a header as a compiler would; the slow tests below use the real compiler)."""
    header = demo_project / "src/include/speed.h"
    header.parent.mkdir()
    header.write_text("#define X 1\n")

    def with_header(command, **kwargs):
        runner(command, **kwargs)
        if "-MF" in command:
            with open(command[command.index("-MF") + 1], "a") as depfile:
                depfile.write(f"x.o: {header}\n")

    with_header.commands = runner.commands  # type: ignore[attr-defined]
    assert compiles(demo_project, with_header, cache, tmp_path) == 2
    header.touch()  # same content: still a hit
    assert compiles(demo_project, with_header, cache, tmp_path) == 0
    header.write_text("#define X 2\n")
    assert compiles(demo_project, with_header, cache, tmp_path) == 2
    assert compiles(demo_project, with_header, cache, tmp_path) == 0


def test_flag_change_invalidates(demo_project, runner, cache, tmp_path):
    compiles(demo_project, runner, cache, tmp_path)
    pyproject = demo_project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'define-macros = ["FAST"]\n')
    assert compiles(demo_project, runner, cache, tmp_path) == 2


def test_target_and_abi_are_part_of_the_key(demo_project, runner, cache, tmp_path):
    assert compiles(demo_project, runner, cache, tmp_path, targets=[TARGETS["linux_x86_64"]]) == 1
    assert compiles(demo_project, runner, cache, tmp_path, targets=[TARGETS["linux_aarch64"]]) == 1
    assert (
        compiles(
            demo_project,
            runner,
            cache,
            tmp_path,
            targets=[TARGETS["linux_x86_64"]],
            abis=[PythonAbi(9, True)],
        )
        == 1
    )
    assert compiles(demo_project, runner, cache, tmp_path, targets=[TARGETS["linux_x86_64"]]) == 0


def test_compiler_version_change_invalidates(demo_project, runner, cache, tmp_path, monkeypatch):
    compiles(demo_project, runner, cache, tmp_path)
    monkeypatch.setattr(ZigBuilder, "identity", lambda self, target: "zig 99.0.0")
    assert compiles(demo_project, runner, cache, tmp_path) == 2


def test_disabled_cache_always_compiles(demo_project, runner, tmp_path):
    off = PayloadCache(None)
    assert compiles(demo_project, runner, off, tmp_path) == 2
    assert compiles(demo_project, runner, off, tmp_path) == 2


class DerivingRunner(RecordingRunner):
    """As a compiler: what it writes depends on the whole command and on the bytes of every file it
    reads (so a payload linked from another job's object, or built with other flags or for another
    target, differs), but not on the directory it works in."""

    def __call__(self, command, *, cwd=None, env=None) -> None:
        digest = hashlib.sha256()  # of the inputs, before the outputs are written
        for arg in command:
            path = Path(arg)
            digest.update(path.read_bytes() if path.is_file() else path.name.encode())
        super().__call__(command, cwd=cwd, env=env)
        if "-o" in command:
            Path(command[command.index("-o") + 1]).write_bytes(digest.hexdigest().encode())


def test_parallel_build_gives_the_same_payloads(demo_project, tmp_path):
    config = load_project(demo_project)
    targets = [TARGETS[t] for t in ("linux_x86_64", "linux_aarch64", "win_amd64", "macosx_arm64")]
    runner = DerivingRunner()
    serial = build_payloads(make_plan(config, targets, jobs=1), runner, tmp_path / "w1", tmp_path / "o1")
    parallel = build_payloads(make_plan(config, targets, jobs=4), runner, tmp_path / "w4", tmp_path / "o4")
    assert len({p.path.read_bytes() for p in serial}) == len(targets)  # each target's payload is its own
    assert [p.relative_path for p in serial] == [p.relative_path for p in parallel]
    assert [p.path.read_bytes() for p in serial] == [p.path.read_bytes() for p in parallel]


def entries(cache: PayloadCache) -> list[Path]:
    """The payload entries (not the compiled objects under objects/)."""
    assert cache.root is not None
    objects = cache.root / "objects"
    return [p for p in cache.root.rglob("*") if p.is_file() and not p.is_relative_to(objects)]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: b"\x00garbage" * 10,  # overwritten
        lambda data: data[:-1] + bytes([data[-1] ^ 1]),  # one bit flipped
    ],
    ids=["truncated", "garbage", "bit-flip"],
)
def test_damaged_entry_is_rebuilt_with_a_message(demo_project, runner, cache, tmp_path, caplog, damage):
    compiles(demo_project, runner, cache, tmp_path)
    for entry in entries(cache):
        entry.write_bytes(damage(entry.read_bytes()))
    caplog.set_level("WARNING", logger="fatpack")
    assert compiles(demo_project, runner, cache, tmp_path) == 2
    assert "payload cache entry" in caplog.text and "is damaged" in caplog.text
    caplog.clear()
    assert compiles(demo_project, runner, cache, tmp_path) == 0  # written again, and sound
    assert caplog.text == ""


def test_entry_under_another_key_is_damaged(demo_project, runner, cache, tmp_path, caplog):
    """Two sound entries swapped (a sync tool, a hand copy): each has a valid checksum of its own
    content, but the Windows binary must never be served for the Linux key and back."""
    compiles(demo_project, runner, cache, tmp_path)
    first, second = sorted(p for p in entries(cache) if p.suffix != ".deps")
    first_bytes, second_bytes = first.read_bytes(), second.read_bytes()
    first.write_bytes(second_bytes)
    second.write_bytes(first_bytes)
    caplog.set_level("WARNING", logger="fatpack")
    assert compiles(demo_project, runner, cache, tmp_path) == 2
    assert "is damaged" in caplog.text


@pytest.mark.root
@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="needs root to give a file away")
def test_entry_of_another_user_is_not_used(demo_project, runner, cache, tmp_path, caplog):
    """A cache directory shared with others (FATPACK_BUILD_CACHE=/srv/cache): an entry someone else
    wrote -- well formed, under the right key -- is not trusted."""
    compiles(demo_project, runner, cache, tmp_path)
    for entry in entries(cache):
        os.chown(entry, 65534, 65534)
    caplog.set_level("WARNING", logger="fatpack")
    assert compiles(demo_project, runner, cache, tmp_path) == 2
    assert "belongs to another user (uid 65534): not used" in caplog.text


def test_entry_is_never_seen_half_written(demo_project, runner, cache, tmp_path, monkeypatch):
    """A run that dies between writing an entry and renaming it leaves no entry under a real name."""
    import fatpack.cache as cache_module

    def crash(source, destination):
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(cache_module.os, "replace", crash)
        with pytest.raises(KeyboardInterrupt):
            compiles(demo_project, runner, cache, tmp_path)
    assert entries(cache) == []  # the temporary file is gone too
    assert compiles(demo_project, runner, cache, tmp_path) == 2


# Real compiles: the headers, included .c files and libraries a real compiler and linker read.
VALUE_C = """\
#include <Python.h>
#include "../common/value.h"
#include "impl/part.c"
extern int libval(void);
static PyObject *value(PyObject *self, PyObject *unused) { return PyLong_FromLong(VALUE + part() + libval()); }
static PyMethodDef methods[] = {{"value", value, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "_v", NULL, -1, methods};
PyMODINIT_FUNC PyInit__v(void) { return PyModule_Create(&m); }
"""


def build_libval(root: Path, result: int) -> None:
    """lib/libval.a whose libval() returns `result`, built with zig as a user's own build would."""
    zig = [sys.executable, "-m", "ziglang"]
    source, obj = root / "lib/val.c", root / "lib/val.o"
    source.write_text(f"int libval(void) {{ return {result}; }}\n")
    target = ["-target", "x86_64-linux-gnu.2.17"]
    subprocess.run([*zig, "cc", *target, "-fPIC", "-c", str(source), "-o", str(obj)], check=True)
    (root / "lib/libval.a").unlink(missing_ok=True)
    subprocess.run([*zig, "ar", "rcs", str(root / "lib/libval.a"), str(obj)], check=True)


@pytest.fixture
def value_project(make_project):
    root = make_project(
        tool="""
        targets = ["linux_x86_64"]
        [[tool.fatpack.extension]]
        name = "vp._v"
        sources = ["src/vp/_v.c"]
        libraries = ["val"]
        library-dirs = ["lib"]
        """,
        files={
            "src/vp/__init__.py": "",
            "src/vp/_v.c": VALUE_C,
            "src/vp/impl/part.c": "static int part(void) { return 20; }\n",
            "src/common/value.h": "#define VALUE 100\n",
            "lib/.keep": "",
        },
        project='[project]\nname = "vp"\nversion = "1.0"\n',
    )
    build_libval(root, 3)
    return root


def built_value(project: Path, cache: PayloadCache, tmp_path: Path) -> tuple[int, bool]:
    """Assemble with the real compiler; the value the shipped module returns, and if it came from cache."""
    from fatpack.pipeline import Options, assemble

    reports = []
    out = tmp_path / f"dist{len(list(tmp_path.glob('dist*')))}"
    wheel = assemble(Options(project, out, cache_dir=cache.root), progress=reports.append)
    site = out / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    proc = run_on_path(site, "import vp._v; print(vp._v.value())")
    assert proc.returncode == 0, proc.stderr
    (report,) = reports
    return int(proc.stdout), report.cached == 1


@pytest.mark.compile
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda root: (root / "src/common/value.h").write_text("#define VALUE 400\n"), 423),
        (
            lambda root: (root / "src/vp/impl/part.c").write_text("static int part(void) { return 50; }\n"),
            153,
        ),
        (lambda root: build_libval(root, 7), 127),
    ],
    ids=["header-via-dotdot", "included-c-file", "library-from-library-dirs"],
)
def test_every_file_the_compiler_and_linker_read_is_in_the_key(
    value_project, cache, tmp_path, change, expected
):
    assert built_value(value_project, cache, tmp_path) == (123, False)
    assert built_value(value_project, cache, tmp_path) == (123, True)
    change(value_project)
    assert built_value(value_project, cache, tmp_path) == (expected, False)
    assert built_value(value_project, cache, tmp_path) == (expected, True)


def test_dependency_file_as_gcc_and_clang_write_it(tmp_path):
    from fatpack.cache import parse_dependency_file, read_dependency_files

    text = "obj/0-m.o: /p/src/m.c /p/my\\ dir/a.h \\\n  ../common/value.h impl/part.c \\\n /p/cost$$.h /p/fix\\#12/h.h\n"
    assert parse_dependency_file(text) == [
        "/p/src/m.c",
        "/p/my dir/a.h",
        "../common/value.h",
        "impl/part.c",
        "/p/cost$.h",
        "/p/fix#12/h.h",
    ]
    deps = tmp_path / "deps"
    deps.mkdir()
    (deps / "0-m.d").write_text(f"x.o: {tmp_path}/work/sdk/Python.h ../common/value.h\n")
    job = tmp_path / "job"
    assert read_dependency_files(deps, job, ignore=(tmp_path / "work",)) == [tmp_path / "common/value.h"]
    assert read_dependency_files(tmp_path / "none", job) is None  # said nothing: never cached


def include_value_h_by_search(project: Path, include_dirs: str) -> None:
    """Make the module `#include "value.h"` found through `include_dirs` (now src/common/value.h)."""
    source = project / "src/vp/_v.c"
    source.write_text(source.read_text().replace('"../common/value.h"', '"value.h"'))
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'libraries = ["val"]', f'libraries = ["val"]\ninclude-dirs = {include_dirs}'
        )
    )


@pytest.mark.compile
@pytest.mark.parametrize(
    "shadow",
    ["src/first/value.h", "src/vp/value.h", "src/first/sys/types.h"],
    ids=["earlier-include-dir", "beside-the-source", "system-header"],
)
def test_a_header_appearing_earlier_in_the_search_path_invalidates(value_project, cache, tmp_path, shadow):
    """The compiler read src/common/value.h; a value.h now found before it (an earlier -I directory,
    the including file's own directory) -- or a project sys/types.h before the toolchain's -- makes
    the cached binary stale although no file it read changed."""
    include_value_h_by_search(value_project, '["src/first", "src/common"]')
    (value_project / "src/first").mkdir()
    assert built_value(value_project, cache, tmp_path) == (123, False)
    assert built_value(value_project, cache, tmp_path) == (123, True)
    (value_project / shadow).parent.mkdir(parents=True, exist_ok=True)
    if shadow.endswith("types.h"):
        (value_project / shadow).write_text("#error project sys/types.h was used\n")
        with pytest.raises(BuildError) as failed:  # compiled again, and the compiler took the new file
            built_value(value_project, cache, tmp_path)
        assert "project sys/types.h was used" in str(failed.value.output)
        return
    (value_project / shadow).write_text("#define VALUE 400\n")
    assert built_value(value_project, cache, tmp_path) == (423, False)
    assert built_value(value_project, cache, tmp_path) == (423, True)


@pytest.mark.compile
def test_two_checkouts_of_one_project_do_not_share_what_the_compiler_read(value_project, cache, tmp_path):
    """Same sources and settings in two directories (git worktrees): a header changed in the second
    must not be served the first's binary because the first's header still has its content."""
    pyproject = value_project / "pyproject.toml"  # no library directory: nothing with a path in the settings
    pyproject.write_text(
        pyproject.read_text().replace('libraries = ["val"]', "").replace('library-dirs = ["lib"]', "")
    )
    source = value_project / "src/vp/_v.c"
    source.write_text(source.read_text().replace("+ libval()", "+ 3"))
    assert built_value(value_project, cache, tmp_path) == (123, False)
    other = tmp_path / "checkout2"
    shutil.copytree(value_project, other)
    (other / "src/common/value.h").write_text("#define VALUE 400\n")
    assert built_value(other, cache, tmp_path) == (423, False)
    assert built_value(value_project, cache, tmp_path) == (123, True)


@pytest.mark.compile
def test_a_version_script_named_in_a_link_option_is_in_the_key(value_project, cache, tmp_path):
    """`-Wl,--version-script=exports.map`: the linker reads the file; hiding PyInit__v must not be
    answered with the cached binary that still exports it."""
    exports = value_project / "exports.map"
    exports.write_text("{ global: PyInit__v; local: *; };\n")
    pyproject = value_project / "pyproject.toml"
    option = f"-Wl,--version-script={exports}"
    pyproject.write_text(pyproject.read_text() + f'extra-link-args = ["{option}"]\n')
    assert built_value(value_project, cache, tmp_path) == (123, False)
    exports.write_text("{ local: *; };\n")
    with pytest.raises(ArtifactError, match="does not export PyInit__v"):
        built_value(value_project, cache, tmp_path)


@pytest.mark.compile
def test_cpath_is_in_the_key(value_project, cache, tmp_path, monkeypatch):
    """zig cc, as clang, searches CPATH: value.h found there changes with the variable."""
    include_value_h_by_search(value_project, "[]")
    for name, value in (("a", 100), ("b", 400)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "value.h").write_text(f"#define VALUE {value}\n")
    monkeypatch.setenv("CPATH", str(tmp_path / "a"))
    assert built_value(value_project, cache, tmp_path) == (123, False)
    monkeypatch.setenv("CPATH", str(tmp_path / "b"))
    assert built_value(value_project, cache, tmp_path) == (423, False)
    assert built_value(value_project, cache, tmp_path) == (423, True)


@pytest.mark.compile
@pytest.mark.parametrize("moved", ["include-dir", "source"])
def test_an_include_dir_or_source_moved_to_another_directory_of_the_same_name(
    value_project, cache, tmp_path, moved
):
    """include-dirs a/include -> b/include (both 'include'), or the source v1/_v.c -> v2/_v.c (same
    name and content, each with its own value.h beside it): the key knew names only, the files the
    compiler had read were unchanged, and the first binary came back from the cache."""
    for name, value in (("a", 100), ("b", 400)):
        (value_project / name / "include").mkdir(parents=True)
        (value_project / name / "include/value.h").write_text(f"#define VALUE {value}\n")
    pyproject = value_project / "pyproject.toml"
    if moved == "include-dir":
        include_value_h_by_search(value_project, '["a/include"]')
        before, after = '"a/include"', '"b/include"'
    else:
        include_value_h_by_search(value_project, "[]")
        source = (
            (value_project / "src/vp/_v.c").read_text().replace('"impl/part.c"', '"../../src/vp/impl/part.c"')
        )
        for name in ("a", "b"):
            (value_project / name / "include/_v.c").write_text(source)
        pyproject.write_text(pyproject.read_text().replace('"src/vp/_v.c"', '"a/include/_v.c"'))
        before, after = '"a/include/_v.c"', '"b/include/_v.c"'
    assert built_value(value_project, cache, tmp_path) == (123, False)
    pyproject.write_text(pyproject.read_text().replace(before, after))
    assert built_value(value_project, cache, tmp_path) == (423, False)


@pytest.mark.compile
def test_a_header_probed_with_has_include_appearing_invalidates(value_project, cache, tmp_path):
    """`#if __has_include("local.h")` found nothing, so no dependency file names local.h; creating it
    changes the binary."""
    header = value_project / "src/common/value.h"
    header.write_text('#if __has_include("local.h")\n#include "local.h"\n#else\n#define VALUE 100\n#endif\n')
    assert built_value(value_project, cache, tmp_path) == (123, False)
    assert built_value(value_project, cache, tmp_path) == (123, True)
    (value_project / "src/common/local.h").write_text("#define VALUE 400\n")
    assert built_value(value_project, cache, tmp_path) == (423, False)


@pytest.mark.compile
def test_a_project_in_a_directory_with_a_hash_in_its_name(value_project, cache, tmp_path):
    """clang writes '#' in dependency files as '\\#': read literally, every header of a project in
    `fix#12/` was a file that does not exist, hashed as 'missing' before and after an edit."""
    project = tmp_path / "fix#12"
    shutil.copytree(value_project, project)
    assert built_value(project, cache, tmp_path) == (123, False)
    (project / "src/common/value.h").write_text("#define VALUE 400\n")
    assert built_value(project, cache, tmp_path) == (423, False)


def test_files_named_in_compile_and_link_arguments(tmp_path):
    from fatpack.cache import files_named_in

    for name in ("exports.map", "script.ld", "args.rsp", "linker.rsp", "lib.a", "x.profdata"):
        (tmp_path / name).write_text(name)
    args = [
        "-Wl,--version-script=exports.map",
        "-Wl,-T,script.ld",
        "@args.rsp",
        "-Wl,@linker.rsp",
        "lib.a",
        "-fprofile-use=x.profdata",
        "-O2",
        "-Wl,--as-needed",
    ]
    found = [p.name for p in files_named_in(args, tmp_path)]
    assert found == ["exports.map", "script.ld", "args.rsp", "linker.rsp", "lib.a", "x.profdata"]
