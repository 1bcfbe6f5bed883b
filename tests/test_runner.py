"""fatpack.runner: every external command fatpack runs goes through the injected Runner."""

from __future__ import annotations

import sys
import time

import pytest

from fatpack.config import load_project
from fatpack.errors import BuildError, ToolchainError
from fatpack.runner import CommandTimedOut, run_command, version_banner
from fatpack.setuptools_project import INTROSPECT_SCRIPT


def test_setup_py_is_run_through_the_injected_runner(tmp_path):
    """Reading a setup.py project runs it (once per OS it is read as) through the Runner it is given,
    with a timeout: its process group is the runner's to kill."""
    (tmp_path / "x.c").write_text("")
    (tmp_path / "setup.py").write_text(
        "from setuptools import setup, Extension\nsetup(name='x', version='1', ext_modules=[Extension('x', ['x.c'])])\n"
    )
    seen = []

    def recording(command, **options):
        seen.append((command, options))
        return run_command(command, **options)

    (ext,) = load_project(tmp_path, recording).extensions
    assert ext.name == "x"
    platforms = sorted(command[-1] for command, _ in seen if str(INTROSPECT_SCRIPT) in command)
    assert platforms == ["darwin", "linux", "win32"]
    assert all(options["cwd"] == tmp_path and options["timeout"] > 0 for _, options in seen)


def test_capture_returns_stdout_and_keeps_stderr_for_the_error():
    code = "import sys; print('out'); print('err', file=sys.stderr)"
    assert run_command([sys.executable, "-c", code], capture=True) == "out\n"
    assert run_command([sys.executable, "-c", code]) == ""
    with pytest.raises(BuildError) as failed:
        run_command([sys.executable, "-c", code + "; sys.exit(2)"], capture=True)
    assert failed.value.returncode == 2 and failed.value.output == "err\n"


def test_timeout_kills_the_command():
    started = time.monotonic()
    with pytest.raises(CommandTimedOut, match=r"did not finish in 0\.5 s"):
        run_command([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
    assert time.monotonic() - started < 10


@pytest.mark.compile
def test_a_tool_that_cannot_say_its_version_is_a_toolchain_error(tmp_path):
    tool = tmp_path / "cc"
    tool.write_text("#!/bin/sh\necho 'cc: cannot find its own libraries' >&2\nexit 3\n")
    tool.chmod(0o755)
    with pytest.raises(
        ToolchainError, match=r"^cc --version exited with code 3: cc: cannot find its own libraries$"
    ):
        version_banner(run_command, [str(tool)])
