"""Static tools see the truth (issue 13, section 5): beside each stub `pkg/_x.py` (which only calls the
loader) fatpack writes `pkg/_x.pyi` declaring a dynamic module, so mypy treats `from pkg._x import f` as
it treats an untyped extension module. (A shipped .pyi winning: test_assembler.py.)"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import install_into

CONSUMER = "from hello._core import add, greet\n\nreveal_type(add)\nprint(greet('typed'), add(1, 2))\n"


def mypy(site: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    (tmp_path / "consumer.py").write_text(CONSUMER)
    command = [sys.executable, "-m", "mypy", "--ignore-missing-imports", "--no-error-summary"]
    command += ["--cache-dir", str(tmp_path / "mypy-cache"), "consumer.py"]
    env = {"MYPYPATH": str(site), "PATH": "/usr/bin:/bin"}
    return subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env)


@pytest.mark.compile
def test_mypy_on_a_consumer_of_the_fat_and_the_plain_wheel(hello_wheel, tmp_path):
    fat = install_into(hello_wheel, tmp_path / "fat")
    plain = tmp_path / "plain"  # the layout a platform wheel installs: the binary itself, no stub
    shutil.copytree(fat, plain)
    payload = next((plain / "hello" / "_fatpack" / "linux_x86_64").glob("hello._core.abi3.so"))
    shutil.move(payload, plain / "hello" / "_core.abi3.so")
    for generated in ("_core.py", "_core.pyi", "_fatpack"):
        path = plain / "hello" / generated
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    results = {name: mypy(site, tmp_path / name) for name, site in (("fat", fat), ("plain", plain))}
    for name, proc in results.items():
        assert (proc.returncode, proc.stdout) == (0, 'consumer.py:3: note: Revealed type is "Any"\n'), name
