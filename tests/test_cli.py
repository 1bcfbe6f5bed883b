"""The command line as a user meets it: exit codes, one-line errors, nothing half-written."""

import subprocess
import sys
from pathlib import Path

import pytest


def fatpack(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "fatpack", *map(str, args)], capture_output=True, text=True, cwd=cwd
    )


def assert_one_line_error(proc, pattern):
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in proc.stderr
    assert __import__("re").search(pattern, lines[0]), lines[0]


def test_targets_lists_triples():
    proc = fatpack("targets")
    assert proc.returncode == 0
    assert "linux_x86_64" in proc.stdout and "x86_64-linux-gnu.2.17" in proc.stdout
    assert "win_amd64" in proc.stdout and "x86_64-windows-gnu" in proc.stdout and "UCRT" in proc.stdout


def test_native_builder_for_windows_is_refused(demo_project, tmp_path):
    proc = fatpack("assemble", demo_project, "--builder", "win_amd64=native", "-o", tmp_path / "dist")
    assert_one_line_error(proc, r"native builder only builds for this host .* not win_amd64")
    assert not (tmp_path / "dist").exists()


@pytest.mark.compile
def test_build_writes_payloads_per_target(demo_project, tmp_path):
    proc = fatpack("build", demo_project, "--target", "linux_x86_64", "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    built = Path(proc.stdout.strip())
    assert built == tmp_path / "out" / "linux_x86_64" / "demo._speed.abi3.so"
    assert built.read_bytes()[:4] == b"\x7fELF"
    assert "linux_x86_64" in proc.stderr and "done" in proc.stderr


@pytest.mark.compile
def test_verbose_shows_compiler_commands(demo_project, tmp_path):
    # --no-cache: an identical build elsewhere in the suite may already be cached, and then nothing compiles
    proc = fatpack(
        "assemble", demo_project, "--target", "linux_x86_64", "-v", "--no-cache", "-o", tmp_path / "dist"
    )
    assert proc.returncode == 0, proc.stderr
    assert "ziglang cc -target x86_64-linux-gnu.2.17" in proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == str(tmp_path / "dist" / "demo-1.0-py3-none-any.whl")


@pytest.mark.compile
def test_second_build_comes_from_the_payload_cache(demo_project, tmp_path, monkeypatch):
    monkeypatch.setenv("FATPACK_BUILD_CACHE", str(tmp_path / "cache"))
    first = fatpack("assemble", demo_project, "--target", "linux_x86_64", "-o", tmp_path / "dist")
    second = fatpack("assemble", demo_project, "--target", "linux_x86_64", "-o", tmp_path / "dist")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert "from cache" not in first.stderr
    assert "1 payload(s), 1 from cache" in second.stderr


def test_ctrl_c_while_fatpack_loads_is_one_error_line(tmp_path):
    """Loading the build side takes about half a second; Ctrl-C then (here: while fatpack.pipeline is
    imported) printed a KeyboardInterrupt traceback."""
    probe = (
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'fatpack.pipeline':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "from fatpack.cli import main\n"
        f"sys.exit(main(['assemble', {str(tmp_path)!r}]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr == "error: interrupted; nothing was written\n"
    assert proc.returncode == 130


def test_a_reader_that_leaves_early_gets_no_traceback():
    """`fatpack targets | head -1`: the pipe closes before fatpack writes; exit 141, stderr empty."""
    import subprocess
    import sys

    with subprocess.Popen(
        [sys.executable, "-m", "fatpack", "targets"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # before the interpreter has even started: its first write meets a closed pipe
        stderr = proc.stderr.read().decode()
        assert (proc.wait(timeout=60), stderr) == (141, "")
