"""The catalogue of bad input: each case ends in a non-zero exit and one `error:` line naming the culprit,
with no traceback, nothing left in the output directory, and the input files untouched.

Progress lines (one per target) may come before the error line; a compile error is followed by the
compiler's own output, which is the point of showing it."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Callable, Optional

import pytest
from fakewheels import EM_AARCH64, demo_wheels, make_wheel, tiny_elf, tiny_pe

from fatpack.cli import main

C_SOURCE = """#include <Python.h>
static struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, NULL};
PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&m); }
"""
EXTENSION = '[[tool.fatpack.extension]]\nname = "demo._speed"\nsources = ["src/demo/_speed.c"]\n'
LINUX_ONLY = 'targets = ["linux_x86_64"]\n'


def with_library(setting: str) -> str:
    """The demo extension linking a bundled library `x` made as `setting` says."""
    return LINUX_ONLY + EXTENSION + f'link-with = ["x"]\n[[tool.fatpack.library]]\nname = "x"\n{setting}\n'


def written(path: Path) -> Path:
    path.write_text("a file where a directory is expected")
    return path


def snapshot(*paths: Path) -> dict[str, bytes]:
    files = {}
    for path in paths:
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        files.update({str(p): p.read_bytes() for p in candidates if p.is_file()})
    return files


def fatpack(*args: object, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fatpack", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def assert_clean_failure(
    proc: subprocess.CompletedProcess, pattern: str, out: Path, inputs: dict[str, bytes]
) -> str:
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    assert re.search(pattern, errors[0]), errors[0]
    if str(out) in inputs:  # OUT was a file: it still is, with the same bytes (checked below)
        assert out.is_file(), f"{out} was a file"
    else:  # nothing left: no OUT, or an empty directory
        assert not out.exists() or (out.is_dir() and list(out.iterdir()) == []), f"{out} was left behind"
    for name, data in inputs.items():
        assert Path(name).read_bytes() == data, f"{name} was changed"
    return errors[0]


@pytest.fixture
def project(make_project):
    def make(tool: str = LINUX_ONLY + EXTENSION, files: Optional[dict[str, str]] = None, **kw) -> Path:
        return make_project(
            tool=tool,
            files={"src/demo/__init__.py": "", "src/demo/_speed.c": C_SOURCE, **(files or {})},
            **kw,
        )

    return make


# --- configuration ---------------------------------------------------------------------------------

CONFIG_CASES: dict[str, tuple[Callable[[Callable[..., Path]], Path], list[str], str]] = {
    # case: (make the project, extra arguments, the error line's pattern)
    "broken TOML": (lambda p: p(project="[project\n"), [], r"pyproject.toml is not valid TOML"),
    "unknown key": (
        lambda p: p(tool=LINUX_ONLY + "colour = 1\n" + EXTENSION),
        [],
        r"unknown key tool.fatpack.colour",
    ),
    "unknown target in config": (
        lambda p: p(tool='targets = ["linux_x86_46"]\n' + EXTENSION),
        [],
        r"unknown target 'linux_x86_46' in tool.fatpack.targets .*did you mean 'linux_x86_64'",
    ),
    "unknown target on the command line": (
        lambda p: p(),
        ["--target", "win_amd46"],
        r"unknown target 'win_amd46' in --target .*did you mean 'win_amd64'",
    ),
    "unknown Python ABI": (
        lambda p: p(),
        ["--python", "cp27"],
        r"unknown Python ABI 'cp27' in --python: expected 'cpXY-abi3', 'cpXY', 'cpXYt' or 'ppXY' \(PyPy\)",
    ),
    "jobs below one": (lambda p: p(), ["--jobs", "0"], r"--jobs must be at least 1, not 0"),
    "missing source": (
        lambda p: p(tool=LINUX_ONLY + EXTENSION.replace("_speed.c", "_sped.c")),
        [],
        r"extension 'demo._speed': source src/demo/_sped.c does not exist",
    ),
    "extension name not an identifier": (
        lambda p: p(tool=LINUX_ONLY + EXTENSION.replace('"demo._speed"', '"demo.2fast"')),
        [],
        r"tool.fatpack.extension\[0\].name 'demo.2fast' is not a dotted Python module name",
    ),
    "duplicate extension": (
        lambda p: p(tool=LINUX_ONLY + EXTENSION + EXTENSION),
        [],
        r"tool.fatpack.extension: 'demo._speed' is declared twice",
    ),
    "unknown builder": (
        lambda p: p(),
        ["--builder", "gcc9000"],
        r"unknown builder 'gcc9000' \(available: command, mingw, native, zig\)",
    ),
    "invalid version": (
        lambda p: p(project='[project]\nname = "demo"\nversion = "one point oh"\n'),
        [],
        r"project.version 'one point oh' is not a valid version \(PEP 440\)",
    ),
    "version with more digits than int() converts": (
        lambda p: p(project=f'[project]\nname = "demo"\nversion = "1.{"9" * 5000}"\n'),
        [],
        r"project.version '1.9{58}' is not a valid version \(PEP 440\)$",
    ),
    "version with more digits than int() converts, from setup.py": (
        lambda p: p(
            tool="",
            project="",
            files={
                "setup.py": "from setuptools import Extension, setup\n"
                f"setup(name='demo', version='1.{'9' * 5000}', package_dir={{'': 'src'}}, packages=['demo'],\n"
                "      ext_modules=[Extension('demo._speed', ['src/demo/_speed.c'])])\n"
            },
        ),
        [],
        # setuptools itself (run as the project's backend for the reference wheel) refuses it first
        r"the project's build backend failed in get_requires_for_build_wheel \(.*\): ValueError: Exceeds the limit \(4300 digits\)",
    ),
    "missing project directory": (
        lambda p: p().parent / "nope",
        [],
        r"project directory .*nope does not exist",
    ),
    "project directory is a file": (
        lambda p: written(p().parent / "notes.txt"),
        [],
        r"^error: .*notes.txt is a file, not a project directory \(give a directory holding a pyproject.toml, or an sdist .tar.gz\)$",
    ),
    "link-with names no library": (
        lambda p: p(tool=LINUX_ONLY + EXTENSION + 'link-with = ["zlib"]\n'),
        [],
        r"extension 'demo._speed': link-with names 'zlib', which no \[\[tool.fatpack.library\]\] declares",
    ),
}


# cases fatpack finds only after compiling (the version is read when the metadata is written)
FOUND_AFTER_COMPILING = {"invalid version"}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.compile) if c in FOUND_AFTER_COMPILING else c
        for c in sorted(CONFIG_CASES)
    ],
)
def test_bad_configuration(case, project, tmp_path):
    make, extra, pattern = CONFIG_CASES[case]
    root = make(project)
    inputs = snapshot(root) if root.exists() else {}
    assert_clean_failure(
        fatpack("assemble", root, "-o", tmp_path / "out", *extra), pattern, tmp_path / "out", inputs
    )


# --- environment variables and command-line values -------------------------------------------------

ENV_CASES: dict[str, tuple[dict[str, str], str]] = {
    # case: (environment, the error line's pattern); {file} is an existing regular file
    "SOURCE_DATE_EPOCH not a number": (
        {"SOURCE_DATE_EPOCH": "yesterday"},
        r"^error: SOURCE_DATE_EPOCH 'yesterday' is not a whole number of seconds since 1970$",
    ),
    "SOURCE_DATE_EPOCH a fraction": (
        {"SOURCE_DATE_EPOCH": "1700000000.5"},
        r"SOURCE_DATE_EPOCH '1700000000.5' is not a whole number",
    ),
    "FATPACK_BUILD_CACHE is a file": (
        {"FATPACK_BUILD_CACHE": "{file}"},
        r"^error: FATPACK_BUILD_CACHE .*/afile is not a directory$",
    ),
    "FATPACK_BUILD_CACHE below a file": (
        {"FATPACK_BUILD_CACHE": "{file}/cache"},
        r"^error: FATPACK_BUILD_CACHE .*/afile/cache is inside .*/afile, which is not a directory$",
    ),
    "XDG_CACHE_HOME is a file": (
        {"XDG_CACHE_HOME": "{file}"},
        r"^error: XDG_CACHE_HOME .*/afile/fatpack/builds is inside .*/afile, which is not a directory$",
    ),
}


@pytest.mark.parametrize("case", sorted(ENV_CASES))
def test_bad_environment_variable(case, project, tmp_path):
    root = project()
    (tmp_path / "afile").write_text("a file, not a directory")
    variables, pattern = ENV_CASES[case]
    # the session's private FATPACK_BUILD_CACHE stays unless the case is about where the cache is
    cache_case = variables.keys() & {"FATPACK_BUILD_CACHE", "XDG_CACHE_HOME"}
    dropped = {"SOURCE_DATE_EPOCH", "FATPACK_BUILD_CACHE"} if cache_case else {"SOURCE_DATE_EPOCH"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update({k: v.format(file=tmp_path / "afile") for k, v in variables.items()})
    proc = fatpack("assemble", root, "-o", tmp_path / "out", env=env)
    assert_clean_failure(proc, pattern, tmp_path / "out", snapshot(root))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("arguments", "pattern"),
    [
        (
            ["--jobs", "many"],
            r"^error: argument -j/--jobs: invalid int value: 'many' \(see fatpack assemble --help\)$",
        ),
        (["--format", "tar"], r"^error: argument --format: invalid choice: 'tar'"),
        (["--tags", "some"], r"^error: argument --tags: invalid choice: 'some'"),
        (["--frobnicate"], r"^error: unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_command_line_value_is_one_error_line(arguments, pattern, project, tmp_path):
    root = project()
    proc = fatpack("assemble", root, "-o", tmp_path / "out", *arguments)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1, proc.stderr  # no usage dump: the one line says where help is
    assert_clean_failure(proc, pattern, tmp_path / "out", snapshot(root))


@pytest.mark.compile
def test_file_names_not_valid_in_the_terminals_encoding(project, tmp_path):
    """A directory name with bytes that are not UTF-8 is printed with escapes, not a UnicodeEncodeError."""
    root = project()
    out = Path(os.fsdecode(bytes(tmp_path) + b"/out-\xff"))
    proc = subprocess.run(
        [sys.executable, "-m", "fatpack", "assemble", str(root), "-o", str(out)],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.decode().strip().endswith("out-\\udcff/demo-1.0-py3-none-any.whl")


# --- compilers -------------------------------------------------------------------------------------


@pytest.mark.compile
def test_compile_error_shows_the_compilers_message(project, tmp_path):
    root = project(files={"src/demo/_speed.c": "int f(void) { return undeclared_thing; }\n"})
    inputs = snapshot(root)
    proc = fatpack("assemble", root, "-o", tmp_path / "out")
    assert_clean_failure(
        proc,
        r"zig cc failed for linux_x86_64 on src/demo/_speed.c \(demo._speed, cp38-abi3\): _speed.c:1: use of undeclared identifier .undeclared_thing.",
        tmp_path / "out",
        inputs,
    )
    assert "undeclared_thing" in proc.stderr  # the compiler's own message follows the error line


def test_missing_compiler(project, tmp_path):
    root = project()
    inputs = snapshot(root)
    env = {**os.environ, "PATH": str(tmp_path / "empty")}
    proc = fatpack("assemble", root, "--builder", "native", "-o", tmp_path / "out", env=env)
    assert_clean_failure(
        proc, r"the native builder's compiler 'gcc' is not installed", tmp_path / "out", inputs
    )


def test_failing_build_command(project, tmp_path):
    root = project(tool=with_library('command = ["sh", "-c", "echo broken build >&2; exit 3"]'))
    inputs = snapshot(root)
    proc = fatpack("assemble", root, "-o", tmp_path / "out")
    assert_clean_failure(
        proc,
        r"compiling library x for linux_x86_64 \(cp38-abi3\) failed: sh exited with code 3",
        tmp_path / "out",
        inputs,
    )
    assert "broken build" in proc.stderr


def test_payload_of_the_wrong_architecture(project, tmp_path):
    root = project(tool=with_library('prebuilt = { linux_x86_64 = "libx.so" }'))
    (root / "libx.so").write_bytes(tiny_elf(EM_AARCH64))
    inputs = snapshot(root)
    proc = fatpack("assemble", root, "-o", tmp_path / "out")
    assert_clean_failure(
        proc,
        r"library 'x': prebuilt libx.so is ELF aarch64, but target linux_x86_64 needs ELF x86_64",
        tmp_path / "out",
        inputs,
    )


# --- output ----------------------------------------------------------------------------------------


def test_output_dir_is_a_file(project, tmp_path):
    root = project()
    (tmp_path / "out").write_text("")
    inputs = snapshot(root, tmp_path / "out")
    proc = fatpack("assemble", root, "-o", tmp_path / "out")
    assert_clean_failure(
        proc, r"cannot write to output directory .*out: it is a file", tmp_path / "out", inputs
    )


def test_output_dir_is_read_only(project, tmp_path):
    """chattr +i: read-only even for root (CI runs as root, so chmod would not stop it)."""
    root = project()
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(["chattr", "+i", str(out)], check=True)
    try:
        proc = fatpack("assemble", root, "-o", out)
        assert_clean_failure(
            proc, r"cannot write to output directory .*out: Operation not permitted", out, snapshot(root)
        )
    finally:
        subprocess.run(["chattr", "-i", str(out)], check=True)


@pytest.mark.compile
def test_disk_full_while_writing(project, tmp_path, monkeypatch, capsys):
    """Simulated: the third member written fails with ENOSPC; the partial archive must not remain."""
    root = project()
    inputs = snapshot(root)
    real_writestr = zipfile.ZipFile.writestr
    calls = []

    def writestr(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real_writestr(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", writestr)
    assert main(["assemble", str(root), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    proc = subprocess.CompletedProcess([], 1, "", err)
    assert_clean_failure(
        proc,
        r"writing demo-1.0-py3-none-any.whl in .*out failed: No space left on device",
        tmp_path / "out",
        inputs,
    )


def test_interrupted_build_leaves_no_partial_artifact(project, tmp_path):
    """A real Ctrl-C: the build command sends SIGINT to fatpack while it builds. fatpack starts with
    SIGINT at its default: a test run started in the background by a non-interactive shell inherits it
    ignored (as nohup does), and Python then never raises KeyboardInterrupt (seen in a fresh-clone CI run)."""
    root = project(tool=with_library('command = ["sh", "-c", "kill -INT $PPID; sleep 2"]'))
    inputs = snapshot(root)
    proc = subprocess.run(
        [sys.executable, "-m", "fatpack", "assemble", str(root), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.returncode == 130
    assert_clean_failure(proc, r"interrupted; nothing was written", tmp_path / "out", inputs)


# --- prebuilt wheels -------------------------------------------------------------------------------


def zip_with(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return path


WHEEL_CASES: dict[str, tuple[Callable[[Path], list[Path]], str]] = {
    "corrupt wheel": (
        lambda d: [d / "demo-1.0-cp311-cp311-win_amd64.whl"],
        r"demo-1.0-cp311-cp311-win_amd64.whl: corrupt or unreadable wheel",
    ),
    "zip-slip ../ member": (
        lambda d: [make_wheel(d, "demo-1.0-cp311-cp311-win_amd64.whl", {"../evil.py": b"x"})],
        r"unsafe member name '../evil.py'",
    ),
    "absolute member name": (
        lambda d: [make_wheel(d, "demo-1.0-cp311-cp311-win_amd64.whl", {"/etc/evil": b"x"})],
        r"unsafe member name '/etc/evil'",
    ),
    "wheels of different projects": (
        lambda d: [
            demo_wheels(d)[0],
            make_wheel(d / "o", "other-1.0-cp311-cp311-win_amd64.whl", {"other/_x.pyd": tiny_pe()}),
        ],
        r"other-1.0-cp311-cp311-win_amd64.whl is other 1.0, but .* is demo 1.0: only wheels of one project",
    ),
    "wheels of different versions": (
        lambda d: [
            demo_wheels(d)[0],
            make_wheel(d / "o", "demo-1.1-cp311-cp311-win_amd64.whl", {"demo/_speed.pyd": tiny_pe()}),
        ],
        r"demo-1.1-cp311-cp311-win_amd64.whl is demo 1.1, but .* is demo 1.0",
    ),
    "conflicting pure files": (
        lambda d: [
            demo_wheels(d)[0],
            make_wheel(
                d / "o",
                "demo-1.0-cp311-cp311-win_amd64.whl",
                {"demo/__init__.py": b"other\n", "demo/util.py": b"X = 1\n", "demo/_speed.pyd": tiny_pe()},
            ),
        ],
        r"demo/__init__.py differs between demo-1.0-cp311-cp311-manylinux.* and demo-1.0-cp311-cp311-win_amd64.whl",
    ),
    "a pure file missing from one wheel": (
        lambda d: [
            demo_wheels(d)[0],
            make_wheel(
                d / "o",
                "demo-1.0-cp311-cp311-win_amd64.whl",
                {
                    "demo/__init__.py": b'"""Demo."""\nfrom demo._speed import add\n',
                    "demo/_speed.pyd": tiny_pe(),
                },
            ),
        ],
        r"demo/util.py is in demo-1.0-cp311-cp311-manylinux.* but not in demo-1.0-cp311-cp311-win_amd64.whl",
    ),
    "payload of the wrong architecture in a wheel": (
        lambda d: [
            make_wheel(
                d,
                "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
                {"demo/_speed.cpython-311-x86_64-linux-gnu.so": tiny_elf(EM_AARCH64)},
            )
        ],
        r"demo/_speed.cpython-311-x86_64-linux-gnu.so: .*is ELF aarch64, but target linux_x86_64 needs ELF x86_64",
    ),
    "two wheels for one target and ABI": (
        lambda d: [demo_wheels(d)[0], demo_wheels(d / "again")[0]],
        r"are both for cp311-linux_x86_64",
    ),
    "a platform fatpack has no target for": (
        lambda d: [
            make_wheel(d, "demo-1.0-cp311-cp311-manylinux_2_17_i686.whl", {"demo/_speed.so": tiny_elf(3)})
        ],
        r"platform manylinux_2_17_i686 is not one fatpack target",
    ),
    "not a wheel file name": (
        lambda d: [zip_with(d / "demo.whl", {"a": b""})],
        r"demo.whl: not a wheel file name",
    ),
}


@pytest.mark.parametrize("case", sorted(WHEEL_CASES))
def test_bad_wheels(case, tmp_path):
    inputs_dir = tmp_path / "in"
    inputs_dir.mkdir()
    if case == "corrupt wheel":
        good = make_wheel(
            tmp_path / "good", "demo-1.0-cp311-cp311-win_amd64.whl", {"demo/_speed.pyd": tiny_pe() * 50}
        )
        data = bytearray(good.read_bytes())
        data[200:260] = b"\xff" * 60  # damage the first member: its CRC no longer matches
        (inputs_dir / good.name).write_bytes(bytes(data))
    make, pattern = WHEEL_CASES[case]
    wheels = make(inputs_dir)
    inputs = snapshot(*wheels)
    assert_clean_failure(
        fatpack("assemble", *wheels, "-o", tmp_path / "out"), pattern, tmp_path / "out", inputs
    )


def test_sdist_with_a_member_outside_its_directory(tmp_path):
    sdist = tmp_path / "demo-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tar:
        info = tarfile.TarInfo("demo-1.0/../../evil.py")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    inputs = snapshot(sdist)
    proc = fatpack("assemble", sdist, "-o", tmp_path / "out")
    assert_clean_failure(
        proc, r"demo-1.0.tar.gz: unsafe member name 'demo-1.0/../../evil.py'", tmp_path / "out", inputs
    )
    assert not (tmp_path.parent / "evil.py").exists()


def test_wheels_and_a_project_together(project, tmp_path):
    root = project()
    wheels = demo_wheels(tmp_path / "in")
    inputs = snapshot(root, *wheels)
    proc = fatpack("assemble", *wheels, root, "-o", tmp_path / "out")
    assert_clean_failure(
        proc, r"give either wheels to fuse or one project, not both", tmp_path / "out", inputs
    )


# --- verify ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_wheel(tmp_path_factory) -> Path:
    from conftest import EXAMPLE

    from fatpack.pipeline import Options, assemble
    from fatpack.targets import parse_target

    work = tmp_path_factory.mktemp("good")
    shutil.copytree(EXAMPLE, work / "hello", ignore=shutil.ignore_patterns("dist", "build", "__pycache__"))
    return assemble(
        Options(
            work / "hello", work / "dist", targets=(parse_target("linux_x86_64"), parse_target("win_amd64"))
        )
    )


def rewrite(wheel: Path, dest: Path, change: Callable[[str, bytes], Optional[bytes]]) -> Path:
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(dest, "w") as out:
        for info in src.infolist():
            data = change(info.filename, src.read(info))
            if data is not None:
                out.writestr(info, data)
    return dest


def test_verify_passes_a_good_wheel(good_wheel):
    proc = fatpack("verify", good_wheel)
    assert proc.returncode == 0 and "2 payload(s) verified" in proc.stdout, proc.stderr


def test_verify_refuses_a_tampered_payload(good_wheel, tmp_path):
    def flip(name, data):
        return data[:-1] + bytes([data[-1] ^ 1]) if name.endswith(".pyd") else data

    tampered = rewrite(good_wheel, tmp_path / good_wheel.name, flip)
    proc = fatpack("verify", tampered)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        f"{tampered.name}: hello/_fatpack/win_amd64/hello._core.abi3.pyd: sha256 differs from RECORD",
        f"{tampered.name}: hello/_fatpack/win_amd64/hello._core.abi3.pyd: sha256 differs from the manifest: the payload was changed",
    ]


def test_verify_refuses_a_foreign_wheel(tmp_path):
    wheel = make_wheel(tmp_path, "other-1.0-py3-none-any.whl", {"other/__init__.py": b""})
    proc = fatpack("verify", wheel)
    assert proc.returncode == 1
    assert (
        proc.stderr.strip() == f"error: {wheel.name} holds no fatpack manifest: not an artifact fatpack made"
    )


def test_verify_json_report(good_wheel, tmp_path):
    def drop_windows_payload(name, data):
        return None if name.endswith(".pyd") else data

    broken = rewrite(good_wheel, tmp_path / good_wheel.name, drop_windows_payload)
    proc = fatpack("verify", "--json", broken)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["ok"] is False and report["payloads"] == 2
    assert {(p["member"], p["check"]) for p in report["problems"]} == {
        ("hello/_fatpack/win_amd64/hello._core.abi3.pyd", "record"),
        ("hello/_fatpack/win_amd64/hello._core.abi3.pyd", "sha256"),
    }
