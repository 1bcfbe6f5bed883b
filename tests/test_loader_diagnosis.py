"""The diagnosis users can run (issue 13, section 6): the ImportError names a command that prints this
interpreter's platform, floors and ABI, every payload, which one would load and why the others do not
fit, without importing the extension."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import HOST_ABI, install_into, run_on_path

pytestmark = pytest.mark.compile


def diagnosis(site) -> subprocess.CompletedProcess:
    script = site / "hello" / "_fatpack" / "__init__.py"
    return subprocess.run([sys.executable, "-I", str(script)], capture_output=True, text=True)


def test_import_error_names_the_diagnosis_and_it_explains(hello_windows_only_wheel, tmp_path):
    site = install_into(hello_windows_only_wheel, tmp_path / "site")
    failed = run_on_path(site, "import hello")
    last = failed.stderr.strip().splitlines()[-1]
    command = re.search(r"; `([^`]*)` shows every payload and why it does or does not fit$", last)
    assert command, last
    assert command.group(1) == f"{sys.executable} {site / 'hello' / '_fatpack' / '__init__.py'}"
    proc = diagnosis(site)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"fatpack loader in {site / 'hello' / '_fatpack'}"
    assert lines[2].startswith(f"host: {HOST_ABI}-linux_x86_64; targets: linux_x86_64; floors: glibc 2.")
    assert "ABI flags: none; extension suffixes: .cpython-3" in lines[2]
    assert lines[3:] == ["hello._core: no payload fits", "  not cp38-abi3-win_amd64: built for win_amd64"]


def test_diagnosis_names_the_payload_it_would_load(hello_mixed_wheel, tmp_path):
    site = install_into(hello_mixed_wheel, tmp_path / "site")
    proc = diagnosis(site)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()[3:]
    assert lines[0].startswith(f"hello._core: loads {HOST_ABI}-linux_x86_64 (linux_x86_64/hello._core.")
    assert f"  not cp38-abi3-linux_x86_64: a better payload fits ({HOST_ABI}-linux_x86_64)" in lines
    assert "  not cp38-abi3-win_amd64: built for win_amd64" in lines
    assert "hello._core" not in sys.modules  # nothing of the package was imported here either
