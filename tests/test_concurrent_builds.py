"""Several `fatpack build` runs into one output directory at the same time: every run succeeds, and
what is left is a complete payload (temporary names are unique per run)."""

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import fatpack.pipeline as pipeline
from fatpack.payloads import Payload
from fatpack.targets import TARGETS, PythonAbi


def test_two_runs_moving_one_payload_at_once_both_succeed(tmp_path, monkeypatch):
    """Both runs have copied into their temporary file before either renames it: with one shared
    temporary name the second rename finds nothing to rename."""
    both_copied = threading.Barrier(2, timeout=10)
    real_copyfile = shutil.copyfile

    def copy_then_wait(source, destination, **kwargs):
        result = real_copyfile(source, destination, **kwargs)
        both_copied.wait()
        return result

    monkeypatch.setattr(pipeline.shutil, "copyfile", copy_then_wait)
    errors = []

    def move(run: int) -> None:
        staging = tmp_path / f"staging{run}"
        built = staging / "linux_x86_64" / "demo._speed.abi3.so"
        built.parent.mkdir(parents=True)
        built.write_bytes(b"binary of run %d" % run)
        payload = Payload("demo._speed", TARGETS["linux_x86_64"], PythonAbi(8, True), built)
        try:
            pipeline._move_into([payload], staging, tmp_path / "out")
        except Exception as exc:  # reported below, with the other run's outcome
            errors.append(exc)

    threads = [threading.Thread(target=move, args=(run,)) for run in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    final = tmp_path / "out" / "linux_x86_64"
    assert [p.name for p in final.iterdir()] == ["demo._speed.abi3.so"]  # no temporary file left
    assert (final / "demo._speed.abi3.so").read_bytes() in (b"binary of run 1", b"binary of run 2")


@pytest.mark.compile
def test_four_concurrent_builds_into_one_directory(demo_project, tmp_path):
    env = {**os.environ, "FATPACK_BUILD_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "fatpack", "build", str(demo_project), "--target", "linux_x86_64"]
    out = tmp_path / "out"
    subprocess.run([*command, "-o", str(tmp_path / "warm")], env=env, check=True, capture_output=True)
    for _ in range(5):
        runs = [
            subprocess.Popen([*command, "-o", str(out)], env=env, stderr=subprocess.PIPE, text=True)
            for _ in range(4)
        ]
        outcomes = [(run.communicate()[1], run.returncode) for run in runs]
        failures = [stderr for stderr, returncode in outcomes if returncode != 0]
        assert failures == []
    assert [p.name for p in Path(out / "linux_x86_64").iterdir()] == ["demo._speed.abi3.so"]
