"""The package's own layout: module names that cannot be mistaken for others."""

import sys
from pathlib import Path

import pytest

import fatpack

PACKAGE = Path(fatpack.__file__).parent
# what a project's setup.py (run beside fatpack's introspection script) or fatpack itself imports
THIRD_PARTY = {"cython", "setuptools", "wheel", "packaging", "pefile", "macholib", "elftools"}


@pytest.mark.skipif(sys.version_info < (3, 10), reason="sys.stdlib_module_names is 3.10+")
def test_no_module_shadows_the_stdlib_or_a_dependency():
    """A top-level module named like the stdlib's `inspect` (or Cython's `cython`) shadows it for a
    script run from fatpack's directory (setuptools_introspect.py is one), and misleads a reader of
    `from fatpack import inspect`. (cli/ names its modules after the subcommands.)"""
    names = {p.stem for p in PACKAGE.glob("*.py")} | {p.name for p in PACKAGE.iterdir() if p.is_dir()}
    clashes = sorted(n for n in names if n in sys.stdlib_module_names or n in THIRD_PARTY)
    assert clashes == []


def test_only_the_runner_starts_processes():
    """Every command goes through the injected Runner (fatpack/runner.py), so tests see each one and
    -v logs it: no other module may use subprocess (or os.system, os.popen). The introspection script
    is not fatpack's code at run time: it runs as setup.py's host process."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in ("runner.py", "setuptools_introspect.py"):
            continue
        text = path.read_text(encoding="utf-8")
        if any(call in text for call in ("import subprocess", "os.system(", "os.popen(", "os.spawn")):
            offenders.append(path.relative_to(PACKAGE).as_posix())
    assert offenders == []
