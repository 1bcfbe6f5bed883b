"""Test tiers that cannot lie: a test may run a compiler, Wine or qemu only if it is marked for it.

Each test is marked by what it needs (`compile`, `mingw`, `wine`, `qemu`, `root`, `network`); a test
with none of these marks is marked `unit`. While a test runs (its fixtures included, so a session
fixture that builds a wheel counts against the first test that asks for it):

- each program on PATH that a mark the test lacks stands for is shadowed by a script that fails with a
  message naming the mark, and `python -m ziglang` finds a failing stand-in `ziglang` first on
  PYTHONPATH; subprocesses started with their own `env=` get the same shadowing for their PATH;
- starting such a program in this process by any path raises at once (subprocess.Popen is wrapped);
- a `unit` test may not download (`pip download`, `apt-get download`).

So `pytest -m unit` passing on a machine with compilers shows it passes on one without. Fixtures that
compile for every test using them are listed in FIXTURE_NEEDS: their tests get the mark automatically.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Optional

import pytest

NEEDS = ("compile", "mingw", "wine", "qemu", "root", "network")

# program-name patterns each mark allows (matched against the names found on PATH)
PROGRAMS = {
    "compile": (
        "zig",
        "cc",
        "c++",
        "gcc",
        "gcc-[0-9]*",
        "g++",
        "g++-[0-9]*",
        "clang*",
        "*-linux-gnu-gcc*",
        "*-linux-gnu-g++*",
        "llvm-lipo*",
        "lipo",
    ),
    "mingw": ("*-w64-mingw32-*",),
    "wine": ("wine", "wine64", "wine-*", "wine64-*", "wineserver"),
    "qemu": ("qemu-*",),
}

# fixtures that compile for every test that uses them (directly or through another fixture)
FIXTURE_NEEDS = {
    "hello_wheel": ("compile",),  # conftest.py
    "hello_mixed_wheel": ("compile",),
    "hello_windows_only_wheel": ("compile",),
    "hello_all_targets_wheel": ("compile",),
    "hello_egg": ("compile",),
    "good_wheel": ("compile",),  # test_bad_inputs.py
    "real_payload": ("compile",),  # test_loader_failures.py
    "cli_project": ("compile",),  # test_properties.py
    "real_sdist_wheels": ("compile", "network"),  # test_setuptools_projects.py: builds PyPI sdists
}


def needs_of(item: pytest.Item) -> set[str]:
    return {mark for mark in NEEDS if item.get_closest_marker(mark) is not None}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture in getattr(item, "fixturenames", ()):
            for mark in FIXTURE_NEEDS.get(fixture, ()):
                item.add_marker(mark)
        if item.get_closest_marker("slow") is not None:
            raise pytest.UsageError(f"{item.nodeid}: `slow` was replaced by `compile` (see CONTRIBUTING.md)")
        for skip in item.iter_markers("skipif"):
            if "root" in str(skip.kwargs.get("reason", "")) and item.get_closest_marker("root") is None:
                raise pytest.UsageError(f"{item.nodeid}: skipped unless root, so mark it `root`")
        if not needs_of(item):
            item.add_marker("unit")


def complaint(program: str, mark: str) -> str:
    return f"fatpack tests: {program} run by a test not marked @pytest.mark.{mark} (see tests/tiers.py)"


def forbidden_mark(program: str, forbidden: frozenset[str]) -> Optional[str]:
    name = os.path.basename(program)
    for mark in sorted(forbidden):
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in PROGRAMS.get(mark, ())):
            return mark
    return None


def programs_on(path: str, forbidden: frozenset[str]) -> Iterator[tuple[str, str]]:
    """(name, mark) of each program on `path` that one of the forbidden marks stands for."""
    seen = set()
    for directory in path.split(os.pathsep):
        try:
            names = sorted(os.listdir(directory or "."))
        except OSError:
            continue
        for name in names:
            mark = forbidden_mark(name, forbidden)
            if mark is not None and name not in seen:
                seen.add(name)
                yield name, mark


class Shadows:
    """Failing stand-ins for the programs a test may not run, per (forbidden marks, PATH): only what is
    on that PATH is shadowed, so a test that empties PATH to see a compiler missing still sees that."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dirs: dict[tuple[frozenset[str], str], tuple[Path, Path]] = {}
        # fatpack starts processes from several threads at once (targets built in parallel, each
        # running a before-build with its own env=): one thread makes a PATH's stand-ins
        self.lock = threading.Lock()

    def for_marks(self, forbidden: frozenset[str], path: str) -> tuple[Path, Path]:
        with self.lock:
            return self._for_marks(forbidden, path)

    def _for_marks(self, forbidden: frozenset[str], path: str) -> tuple[Path, Path]:
        key = (forbidden, path)
        if key not in self.dirs:
            base = self.root / str(len(self.dirs))
            bin_dir, py_dir = base / "bin", base / "py"
            bin_dir.mkdir(parents=True)
            for name, mark in programs_on(path, forbidden):
                script = bin_dir / name
                script.write_text(f"#!/bin/sh\necho {complaint(name, mark)!r} >&2\nexit 97\n")
                script.chmod(0o755)
            if "compile" in forbidden:
                (py_dir / "ziglang").mkdir(parents=True)
                (py_dir / "ziglang" / "__init__.py").write_text("")
                (py_dir / "ziglang" / "__main__.py").write_text(
                    f"import sys\nsys.exit({complaint('zig', 'compile')!r})\n"
                )
            self.dirs[key] = (bin_dir, py_dir)
        return self.dirs[key]

    def shadowed_env(self, env: Mapping[str, str], forbidden: frozenset[str]) -> dict[str, str]:
        path = env.get("PATH", os.defpath)
        bin_dir, py_dir = self.for_marks(forbidden, path)
        shadowed = dict(env)
        shadowed["PATH"] = os.pathsep.join([str(bin_dir), path])
        if py_dir.is_dir():
            shadowed["PYTHONPATH"] = os.pathsep.join(p for p in (str(py_dir), env.get("PYTHONPATH", "")) if p)
        return shadowed


def refusal(argv: Any, forbidden: frozenset[str], unit: bool) -> Optional[str]:
    """Why this command may not run in the current test, or None."""
    if isinstance(argv, (str, bytes)):
        words = os.fsdecode(argv).split()
    elif isinstance(argv, os.PathLike):
        words = [os.fsdecode(argv)]
    else:
        words = [os.fsdecode(word) for word in argv]
    if not words:
        return None
    mark = forbidden_mark(words[0], forbidden)
    if mark is not None:
        return complaint(words[0], mark)
    if "compile" in forbidden and words[1:3] == ["-m", "ziglang"]:
        return complaint("python -m ziglang", "compile")
    if unit and "download" in words and any(os.path.basename(w) in ("pip", "apt-get") for w in words):
        return complaint(" ".join(words[:5]), "network")
    return None


SHADOWS = pytest.StashKey[Shadows]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[SHADOWS] = Shadows(Path(tempfile.mkdtemp(prefix="fatpack-test-shadows-")))


def pytest_unconfigure(config: pytest.Config) -> None:
    shadows = config.stash.get(SHADOWS, None)
    if shadows is not None:
        shutil.rmtree(shadows.root, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Optional[pytest.Item]) -> Iterator[None]:
    """Setup, call and teardown of one test, with the tools its marks do not name made to fail."""
    needs = needs_of(item)
    forbidden = frozenset(mark for mark in PROGRAMS if mark not in needs)
    unit = not needs
    shadows = item.config.stash[SHADOWS]
    original_init = subprocess.Popen.__init__

    def guarded_init(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        reason = refusal(args, forbidden, unit)
        if reason is not None:
            raise RuntimeError(reason)
        if kwargs.get("env") is not None:
            kwargs["env"] = shadows.shadowed_env(kwargs["env"], forbidden)
        original_init(self, args, *rest, **kwargs)

    saved = {key: os.environ.get(key) for key in ("PATH", "PYTHONPATH")}
    os.environ.update(shadows.shadowed_env(os.environ, forbidden))
    subprocess.Popen.__init__ = guarded_init  # type: ignore[method-assign]
    try:
        return (yield)
    finally:
        subprocess.Popen.__init__ = original_init  # type: ignore[method-assign]
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
