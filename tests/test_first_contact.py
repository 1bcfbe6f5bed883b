"""What a new user meets in the first ten minutes: --help, the first errors, the first (slow) build."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import pytest

from fatpack.build import TargetReport
from fatpack.cli import make_parser
from fatpack.cli.options import options_from
from fatpack.cli.progress import Progress
from fatpack.config import parse_project
from fatpack.errors import ConfigError
from fatpack.runner import zig_command
from fatpack.sdk import without_multiarch_wrapper
from fatpack.targets import TARGETS

REPO = Path(__file__).resolve().parent.parent


def fatpack(*args: object, cwd: Optional[Path] = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fatpack", *map(str, args)], capture_output=True, text=True, cwd=cwd
    )


def help_text(command: str) -> str:
    proc = fatpack(command, "--help")
    assert proc.returncode == 0, proc.stderr
    return " ".join(proc.stdout.split())  # argparse wraps lines anywhere


# --- -o's default, as --help states it --------------------------------------------------------------


def test_help_gives_the_real_default_output_directories():
    assert "default: PROJECT_DIR/dist; ./dist for an sdist or for wheels to fuse" in help_text("assemble")
    assert "default: PROJECT_DIR/build/fatpack; ./build/fatpack for an sdist" in help_text("build")


@pytest.mark.parametrize(("command", "out"), [("assemble", "dist"), ("build", "build/fatpack")])
def test_default_output_directory_is_the_one_help_names(tmp_path, command, out):
    args = make_parser().parse_args([command, str(tmp_path)])
    if command == "assemble":
        args.project_dir = args.inputs[0]
    assert options_from(args).out_dir == tmp_path / out


# --- a file given as the project directory ------------------------------------------------------------


def test_a_file_as_project_directory_is_called_a_file(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("not a project")
    proc = fatpack("assemble", readme, "-o", tmp_path / "dist")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        f"error: {readme} is a file, not a project directory "
        "(give a directory holding a pyproject.toml, or an sdist .tar.gz)"
    )
    assert not (tmp_path / "dist").exists()


def test_a_mistyped_project_directory_is_said_not_to_exist_by_assemble_too(tmp_path):
    # a typo, not a project missing its pyproject.toml: the output directory created inside it first
    # made it exist, and the error then asked for a pyproject.toml
    missing = tmp_path / "hellp"
    proc = fatpack("assemble", missing)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"error: project directory {missing} does not exist"
    assert not missing.exists()


def test_pyproject_toml_given_as_project_directory_names_its_directory(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')
    proc = fatpack("build", tmp_path / "pyproject.toml")
    assert proc.stderr.strip() == (
        f"error: {tmp_path / 'pyproject.toml'} is a file, not a project directory; give its directory, {tmp_path}"
    )


def test_an_sdist_file_is_still_accepted_as_the_project(tmp_path):
    sdist = tmp_path / "demo-1.0.tar.gz"
    sdist.write_bytes(b"")
    args = make_parser().parse_args(["build", str(sdist)])
    assert options_from(args).project_dir == sdist


def test_a_missing_project_directory_still_says_it_does_not_exist(tmp_path):
    proc = fatpack("build", tmp_path / "nope")
    assert re.fullmatch(r"error: project directory \S+nope does not exist", proc.stderr.strip()), proc.stderr


@pytest.mark.parametrize("command", ["inspect", "verify"])
def test_a_missing_artifact_is_no_such_file(tmp_path, command):
    proc = fatpack(command, tmp_path / "hello-1.0-py3-none-any.whl")
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"error: {tmp_path / 'hello-1.0-py3-none-any.whl'}: no such file"


# --- a misspelled config key -----------------------------------------------------------------------------


def test_misspelled_config_key_gets_did_you_mean(tmp_path):
    data = {"project": {"name": "demo", "version": "1.0"}, "tool": {"fatpack": {"target": ["win_amd64"]}}}
    with pytest.raises(
        ConfigError, match=r"unknown key tool\.fatpack\.target \(known keys: .*\); did you mean 'targets'\?$"
    ):
        parse_project(data, tmp_path)


def test_unrelated_unknown_key_gets_no_guess(tmp_path):
    data = {"project": {"name": "demo", "version": "1.0"}, "tool": {"fatpack": {"zzzzzz": 1}}}
    with pytest.raises(ConfigError) as info:
        parse_project(data, tmp_path)
    assert "did you mean" not in str(info.value)


# --- `fatpack targets` and the progress lines: columns from the longest name ------------------------------


def test_targets_table_is_aligned_and_says_what_runs_each_target():
    proc = fatpack("targets")
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout.split("\n\n")[0].splitlines()
    assert table[0].split() == ["target", "zig", "triple", "runs", "on"]
    assert len(table) == 1 + len(TARGETS)
    triple_column = table[0].index("zig triple")
    runs_on_column = table[0].index("runs on")
    for row, target in zip(table[1:], TARGETS.values()):
        assert row[:triple_column].rstrip() == target.name  # musllinux_aarch64 and macosx_universal2 too
        assert row[triple_column - 1] == " " and row[runs_on_column - 1] == " "
        assert row[runs_on_column:] == target.description
    assert "Linux x86_64, glibc >= 2.17" in proc.stdout and "x86_64-windows-gnu" in proc.stdout
    # how fatpack's own test machine checks a target is for the README, not for users of the command
    for text in ("Wine", "this machine", "not run", "qemu"):
        assert text not in proc.stdout
    assert "default: linux_x86_64, win_amd64" in proc.stdout


def test_progress_lines_align_for_the_longest_target_names():
    stream = io.StringIO()
    with Progress(stream, tty=False) as progress:
        for name in ("linux_x86_64", "musllinux_aarch64", "macosx_universal2", "win32"):
            progress.report(TargetReport(TARGETS[name], "zig", 1, 12.5))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4
    assert len({line.index("done") for line in lines}) == 1, lines
    assert all(re.search(r"\S+ +done +12\.5s  \[zig\] 1 payload\(s\)$", line) for line in lines)


def test_a_progress_line_names_the_python_when_a_run_builds_several():
    stream = io.StringIO()
    with Progress(stream, tty=False) as progress:
        progress.report(TargetReport(TARGETS["linux_x86_64"], "zig", 1, 2.0, python="cp310"))
        progress.report(TargetReport(TARGETS["linux_x86_64"], "zig", 1, 2.0, python="cp312"))
    first, second = stream.getvalue().splitlines()
    assert first.endswith("[zig] 1 payload(s) for cp310") and second.endswith("[zig] 1 payload(s) for cp312")


# --- a ticker while zig builds its C runtime the first time ---------------------------------------------


class SlowRunner:
    """A Runner that takes `seconds` per command, as zig does while it builds a C runtime."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.commands: list[list[str]] = []

    def __call__(self, command: Sequence[str], **options: object) -> str:  # cwd, env, capture: unused
        self.commands.append(list(command))
        time.sleep(self.seconds)
        return ""


def zig_cc_for(target: str) -> list[str]:
    return [*zig_command("cc"), "-target", TARGETS[target].zig_triple, "x.c", "-o", "x.pyd"]


def test_a_slow_compile_gets_a_line_that_names_target_and_cause_and_keeps_moving():
    stream = io.StringIO()
    slow = SlowRunner(0.7)
    with Progress(stream, tty=False, after=0.1, line_every=0.2) as progress:
        progress.timed(slow)(zig_cc_for("win_amd64"))
        report = TargetReport(TARGETS["win_amd64"], "zig", 1, 0.7)
        progress.report(report)
    lines = stream.getvalue().splitlines()
    ticks = lines[:-1]
    assert len(ticks) >= 2, lines  # more than one line: it keeps moving
    for tick in ticks:
        assert tick.startswith("win_amd64 ") and "still compiling" in tick
        assert "zig may be building its Windows C runtime (mingw-w64) for this target" in tick
        assert "first build on a machine: 1-3 min" in tick
    elapsed = [int(re.search(r"still compiling, (\d+)s", t).group(1)) for t in ticks]  # type: ignore[union-attr]
    assert elapsed == sorted(elapsed)
    assert lines[-1].startswith("win_amd64") and " done " in lines[-1]
    assert slow.commands == [zig_cc_for("win_amd64")]


@pytest.mark.parametrize("columns", [200, 60])
def test_on_a_terminal_the_status_line_is_rewritten_in_place_and_cleared(monkeypatch, columns):
    monkeypatch.setattr("shutil.get_terminal_size", lambda: os.terminal_size((columns, 24)))
    stream = io.StringIO()
    with Progress(stream, tty=True, after=0.1, tty_every=0.1) as progress:
        progress.timed(SlowRunner(0.6))(zig_cc_for("linux_aarch64"))
        progress.report(TargetReport(TARGETS["linux_aarch64"], "zig", 1, 0.6))
    out = stream.getvalue()
    updates = out.split("\r\x1b[K")
    shown = [u for u in updates if "still compiling" in u]
    assert len(shown) >= 2, out
    assert all(u.startswith("linux_aarch64 ") and "\n" not in u for u in shown)
    assert all(len(u) < columns for u in shown)  # one row: \r returns to its start
    if columns > 150:
        assert "zig may be building its C runtime for this target" in shown[0]
    assert updates[-1].startswith("linux_aarch64") and " done " in updates[-1]  # cleared before the result


def test_a_quick_compile_prints_no_ticker():
    stream = io.StringIO()
    with Progress(stream, tty=False, after=0.5, line_every=0.1) as progress:
        progress.timed(SlowRunner(0.05))(zig_cc_for("win_amd64"))
    assert stream.getvalue() == ""


def test_the_cli_runs_commands_through_the_ticker(demo_project, tmp_path, monkeypatch):
    """fatpack assemble wraps its runner: a slow compiler run shows the status line on stderr."""
    from fatpack.cli import assemble

    seen: list[object] = []

    def fake_assemble(options, runner, progress):  # type: ignore[no-untyped-def]
        seen.append(runner)
        raise ConfigError("stop here")

    monkeypatch.setattr(assemble, "assemble_artifacts", fake_assemble)
    args = make_parser().parse_args(["assemble", str(demo_project)])
    with pytest.raises(ConfigError):
        assemble.execute(args)
    assert seen and getattr(seen[0], "__qualname__", "") == "Progress.timed.<locals>.run"


# --- every --help names the environment variables its command reads ---------------------------------


def environment_variables_read(paths: Sequence[Path]) -> set[str]:
    pattern = re.compile(r"""(?:environ(?:\.get)?\s*[\[(]|getenv\()\s*["']([A-Z][A-Z0-9_]*)["']""")
    # cache.user_cache_dir("builds", "FATPACK_BUILD_CACHE") reads the variable it is given
    by_name = re.compile(r"""user_cache_dir\(\s*["'][^"']*["']\s*,\s*["']([A-Z][A-Z0-9_]*)["']""")
    names: set[str] = set()
    for root in paths:
        for source in root.rglob("*.py"):
            text = source.read_text(encoding="utf-8")
            names.update(pattern.findall(text), by_name.findall(text))
    return names


def test_help_names_every_environment_variable_the_code_reads():
    build_side = environment_variables_read([REPO / "fatpack"])
    loader = environment_variables_read([REPO / "runtime_loader"])
    assert {
        "FATPACK_BUILD_CACHE",
        "FATPACK_BUILD_ENVS",
        "SOURCE_DATE_EPOCH",
    } <= build_side  # the scan finds them
    assert {"FATPACK_DEBUG", "FATPACK_VERIFY", "FATPACK_CACHE_DIR"} <= loader
    assemble, build = help_text("assemble"), help_text("build")
    assert "environment variables:" in assemble and "environment variables:" in build
    # assemble builds, writes and verifies; the package it writes runs the loader
    for name in build_side | loader | {"ZIG_GLOBAL_CACHE_DIR"}:
        assert name in assemble, name
    for name in {"FATPACK_BUILD_CACHE", "XDG_CACHE_HOME", "ZIG_GLOBAL_CACHE_DIR", "PATH"}:
        assert name in build, name
    for command in ("inspect", "verify", "targets"):  # these read no environment variable
        assert "environment variables:" not in help_text(command)


# --- Debian's python3-dev: pyconfig.h is a wrapper around <MULTIARCH/python3.X/pyconfig.h> ------------


def test_debians_multiarch_pyconfig_wrapper_is_replaced_by_the_real_header(tmp_path):
    usr_include = tmp_path / "usr" / "include"
    headers = usr_include / "python3.11"
    (headers / "cpython").mkdir(parents=True)
    (headers / "Python.h").write_text('#include "pyconfig.h"\n')
    (headers / "cpython" / "object.h").write_text("/* object */\n")
    (headers / "pyconfig.h").write_text(
        "#if defined(__linux__)\n# if defined(__x86_64__) && defined(__LP64__)\n"
        "#  include <x86_64-linux-gnu/python3.11/pyconfig.h>\n# endif\n#endif\n"
    )
    real = usr_include / "x86_64-linux-gnu" / "python3.11" / "pyconfig.h"
    real.parent.mkdir(parents=True)
    real.write_text("#define SIZEOF_LONG 8\n")
    flat = without_multiarch_wrapper(headers, tmp_path / "work", multiarch="x86_64-linux-gnu")
    assert flat != headers and flat.is_relative_to(tmp_path / "work")
    assert (flat / "pyconfig.h").read_text() == "#define SIZEOF_LONG 8\n"
    assert (flat / "Python.h").is_file() and (flat / "cpython" / "object.h").is_file()
    assert without_multiarch_wrapper(headers, tmp_path / "work", multiarch="x86_64-linux-gnu") == flat
    assert "x86_64-linux-gnu" in (headers / "pyconfig.h").read_text()  # the system's headers untouched


def test_headers_without_the_wrapper_are_used_where_they_are(tmp_path):
    headers = tmp_path / "include" / "python3.11"
    headers.mkdir(parents=True)
    (headers / "pyconfig.h").write_text("#define SIZEOF_LONG 8\n")
    assert without_multiarch_wrapper(headers, tmp_path / "work", multiarch="x86_64-linux-gnu") == headers
    assert without_multiarch_wrapper(headers, tmp_path / "work", multiarch="") == headers
    assert not (tmp_path / "work").exists()


# --- the README's first command, from a fresh clone, with Debian's externally managed Python ----------

DEBIAN_PYTHON = Path("/usr/bin/python3")


def readme_first_command() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1]
    block = quick_start.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    return commands[0]


def test_readme_first_command_is_what_this_test_runs():
    assert readme_first_command() == "bash dev/setup && .venv/bin/fatpack assemble examples/hello"


@pytest.mark.compile
def test_readme_first_command_works_from_a_fresh_clone_with_debians_python(tmp_path):
    if not (DEBIAN_PYTHON.is_file() and list(Path("/usr/lib").glob("python3*/EXTERNALLY-MANAGED"))):
        pytest.fail("this test needs Debian's externally managed /usr/bin/python3 (apt-get install python3)")
    clone = tmp_path / "fatpack"  # what is committed: a fresh clone, as a new user has
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(DEBIAN_PYTHON)
    # `python3` is Debian's (not pyenv's, not this venv's); pip's and zig's caches are the user's as usual
    env = {"PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin", "HOME": str(Path.home()), "LANG": "C.UTF-8"}
    # pip's settings and proxies pass through (it needs PyPI); so do the caches the suite points elsewhere
    passed = ("FATPACK_BUILD_CACHE", "ZIG_GLOBAL_CACHE_DIR", "XDG_CACHE_HOME", "SSL_CERT_FILE")
    for name, value in os.environ.items():
        if name in passed or name.startswith("PIP_") or name.lower().endswith("_proxy"):
            env[name] = value
    refused = subprocess.run(
        ["python3", "-m", "pip", "install", "-e", "."], cwd=clone, env=env, capture_output=True, text=True
    )
    assert refused.returncode != 0 and "externally-managed-environment" in refused.stderr  # PEP 668 holds
    proc = subprocess.run(
        ["bash", "-c", readme_first_command()],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheel = clone / "examples" / "hello" / "dist" / "hello-1.0-py3-none-any.whl"
    assert proc.stdout.strip().splitlines()[-1] == "examples/hello/dist/hello-1.0-py3-none-any.whl"
    assert wheel.is_file()
    venv_python = clone / ".venv" / "bin" / "python"
    assert (
        subprocess.run(
            [str(venv_python), "-c", "import sys; print(sys.base_prefix)"], capture_output=True, text=True
        ).stdout.strip()
        == "/usr"
    )
    site = tmp_path / "site"
    subprocess.run(
        [str(venv_python), "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        env=env,
    )
    imported = subprocess.run(
        [
            str(DEBIAN_PYTHON),
            "-c",
            "import hello; print(hello.add(40, 2), hello.sizeof_long(), hello.built_for())",
        ],
        env={**env, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
    )
    assert imported.stdout.split() == ["42", "8", "linux"], imported.stderr


@pytest.mark.parametrize(("flags", "tty"), [([], None), (["-v"], False)])
def test_verbose_output_keeps_the_ticker_off_the_terminal_line(demo_project, monkeypatch, flags, tty):
    """-v logs every command on lines of its own: the ticker then prints lines too, never a \\r status."""
    from fatpack.cli import build

    chosen: list[object] = []

    class Recording(Progress):
        def __init__(self, *args: object, **kwargs: object) -> None:
            chosen.append(kwargs.get("tty"))
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def stop(*args: object) -> None:
        raise ConfigError("stop here")

    monkeypatch.setattr(build, "Progress", Recording)
    monkeypatch.setattr(build, "build", stop)
    with pytest.raises(ConfigError):
        build.execute(make_parser().parse_args(["build", str(demo_project), *flags]))
    assert chosen == [tty]
