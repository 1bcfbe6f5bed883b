"""Finding a CPython X.Y to build with (fatpack/interpreters.py): fake interpreter trees, a fake runner."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from fatpack.errors import BuildError, ConfigError
from fatpack.interpreters import (
    OWN,
    PATH,
    PYENV,
    SYSTEM,
    UV,
    Places,
    build_python,
    candidates,
    find_interpreter,
)

SHIM = '#!/usr/bin/env bash\nset -e\nprogram="${0##*/}"\nexec "/root/.pyenv/libexec/pyenv" exec "$program" "$@"\n'


def executable(path: Path, text: str = "#!/bin/sh\nexit 99\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def answer(version: str, include: str = "/inc", headers: bool = True, **more: Any) -> dict[str, Any]:
    major, minor = version.split(".")
    said = {"version": [int(major), int(minor)], "implementation": "cpython", "free_threaded": False}
    return {**said, "include": include, "headers": headers, **more}


class FakeInterpreters:
    """A Runner answering the probe for the paths it knows; any other path fails as a pyenv shim of an
    unselected version does."""

    def __init__(self, answers: dict[Path, dict[str, Any]]):
        self.answers = {str(path): said for path, said in answers.items()}
        self.commands: list[list[str]] = []

    def __call__(self, command: Sequence[str], **options: object) -> str:
        self.commands.append(list(command))
        assert options.get("capture") is True
        if command[0] not in self.answers:
            name = Path(command[0]).name
            raise BuildError("exited with code 127", command, 127, f"pyenv: {name}: command not found\n")
        return json.dumps(self.answers[command[0]]) + "\n"

    @property
    def run(self) -> list[str]:
        return [command[0] for command in self.commands]


@pytest.fixture
def tree(tmp_path: Path) -> Places:
    """pyenv with 3.10.4, 3.10.13 and 3.12.1 and its shims first on PATH, uv's 3.10, a /usr/bin;
    fatpack's own interpreter is a 3.11."""
    pyenv = tmp_path / "pyenv"
    for version in ("3.10.4", "3.10.13", "3.12.1"):
        executable(pyenv / "versions" / version / "bin" / f"python3.{version.split('.')[1]}")
    for name in ("python3.10", "python3.12", "python3.14"):
        executable(pyenv / "shims" / name, SHIM)
    executable(tmp_path / "uv" / "cpython-3.10.13-linux-x86_64-gnu" / "bin" / "python3.10")
    (tmp_path / "bin").mkdir()
    (tmp_path / "usr-bin").mkdir()
    return Places(
        own=str(executable(tmp_path / "own" / "python3.11")),
        path=(str(pyenv / "shims"), str(tmp_path / "bin")),
        pyenv_root=pyenv,
        uv_dir=tmp_path / "uv",
        system_dir=tmp_path / "usr-bin",
        own_version="3.11",
    )


def test_the_newest_pyenv_version_is_found_and_its_shims_are_never_run(tree):
    newest = tree.pyenv_root / "versions" / "3.10.13" / "bin" / "python3.10"
    runner = FakeInterpreters({newest: answer("3.10", "/pyenv/include/python3.10")})
    found = find_interpreter(10, runner=runner, places=tree)
    assert (found.path, found.where, found.version, found.include_dir) == (
        str(newest),
        PYENV,
        (3, 10),
        "/pyenv/include/python3.10",
    )
    assert runner.run == [str(newest)]  # one short process; no shim, no older patch release


def test_candidates_come_in_order_each_real_path_once(tree, tmp_path):
    pyenv_310 = tree.pyenv_root / "versions" / "3.10.13" / "bin" / "python3.10"
    (tmp_path / "bin" / "python3.10").symlink_to(pyenv_310)  # the same interpreter on PATH
    system = executable(tree.system_dir / "python3.10")
    found = candidates(10, tree)
    assert found == [
        (str(tmp_path / "bin" / "python3.10"), PATH),
        (str(tree.pyenv_root / "versions" / "3.10.4" / "bin" / "python3.10"), PYENV),
        (str(tmp_path / "uv" / "cpython-3.10.13-linux-x86_64-gnu" / "bin" / "python3.10"), UV),
        (str(system), SYSTEM),
    ]
    assert candidates(11, tree)[0] == (tree.own, OWN)


def test_a_shim_elsewhere_on_path_is_recognised_by_its_content(tree, tmp_path):
    shim = executable(tmp_path / "bin" / "python3.10", SHIM)
    assert str(shim) not in [path for path, _ in candidates(10, tree)]


def test_unfit_candidates_are_passed_over_with_the_reason(tree, tmp_path):
    on_path = executable(tmp_path / "bin" / "python3.12")
    system = executable(tree.system_dir / "python3.12")
    pyenv_312 = tree.pyenv_root / "versions" / "3.12.1" / "bin" / "python3.12"
    runner = FakeInterpreters(
        {
            on_path: answer("3.12", free_threaded=True),
            pyenv_312: answer("3.12", "/no/include", headers=False),
            system: answer("3.12", "/usr/include/python3.12"),
        }
    )
    assert find_interpreter(12, runner=runner, places=tree).path == str(system)
    del runner.answers[str(system)]
    with pytest.raises(ConfigError) as caught:
        find_interpreter(12, runner=runner, places=tree)
    message = str(caught.value)
    assert f"{on_path} (PATH) is free-threaded" in message
    assert f"{pyenv_312} (pyenv) has no headers (/no/include/Python.h)" in message
    assert f"{system} (system) does not run" in message


def test_a_free_threaded_build_is_found_only_when_asked_for(tree, tmp_path):
    on_path = executable(tmp_path / "bin" / "python3.12")
    runner = FakeInterpreters({on_path: answer("3.12", free_threaded=True)})
    assert find_interpreter(12, free_threaded=True, runner=runner, places=tree).path == str(on_path)
    with pytest.raises(ConfigError, match=r"python3\.12 \(PATH\) is free-threaded"):
        find_interpreter(12, runner=runner, places=tree)


def test_pypy_is_not_cpython(tree, tmp_path):
    pypy = executable(tmp_path / "bin" / "python3.12")
    runner = FakeInterpreters({pypy: answer("3.12", implementation="pypy")})
    with pytest.raises(ConfigError, match=r"is pypy, not CPython"):
        find_interpreter(12, runner=runner, places=tree)


def test_none_found_is_one_line_naming_what_was_found_where_and_how_to_add_one(tree):
    runner = FakeInterpreters({})
    with pytest.raises(ConfigError) as caught:
        find_interpreter(14, runner=runner, places=tree)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("no CPython 3.14 with headers found to build cp314 with ")
    assert "found: 3.10 (pyenv, uv); 3.11 (fatpack's own); 3.12 (pyenv)" in message
    for way in ("`pyenv install 3.14`", "`uv python install 3.14`", "`apt-get install python3.14-dev`"):
        assert way in message
    assert runner.commands == []  # no python3.14 anywhere: nothing to run, the shim above all


def test_a_candidate_that_cannot_run_is_named_with_what_it_said(tree):
    runner = FakeInterpreters({})
    with pytest.raises(ConfigError) as caught:
        find_interpreter(12, runner=runner, places=tree)
    assert "3.12.1/bin/python3.12 (pyenv) does not run (pyenv: python3.12: command not found)" in str(
        caught.value
    )


def test_the_build_python_is_asked_once_for_its_sysconfig():
    variables = {"INCLUDEPY": "/x/include/python3.10", "Py_ENABLE_SHARED": 0}
    said = {"minor": 10, "vars": variables, "include": "/x/include/python3.10"}
    runner = FakeInterpreters({Path("/env/bin/python"): said})
    python = build_python("/env/bin/python", runner)
    assert (python.minor, python.config_vars["INCLUDEPY"]) == (10, "/x/include/python3.10")
    assert python.include_dir == "/x/include/python3.10"
    assert len(runner.commands) == 1 and runner.commands[0][1] == "-I"


def test_a_relative_directory_on_path_is_never_searched(tree, tmp_path, monkeypatch):
    """`.` or `bin` on PATH names a directory relative to wherever fatpack runs (the project's own
    directory, often): its python3.10 is a file of the project, not an interpreter the user installed.
    Its path would also be run by name ('python3.10'), so looked up on PATH again: a pyenv shim first."""
    monkeypatch.chdir(tmp_path)
    executable(tmp_path / "python3.10")
    executable(tmp_path / "bin" / "python3.10")
    relative = Places(**{**tree.__dict__, "path": (".", "bin", *tree.path)})
    found = candidates(10, relative)
    assert all(Path(path).is_absolute() for path, _ in found)
    assert [where for _, where in found].count(PATH) == 1  # the absolute tmp_path/bin entry only
    assert (str(tmp_path / "bin" / "python3.10"), PATH) in found


def test_a_python_in_a_directory_anyone_can_write_to_is_never_run(tree, tmp_path):
    """/tmp on PATH: another local user's /tmp/python3.10 is not an interpreter this user installed."""
    shared = tmp_path / "shared"
    planted = executable(shared / "python3.10")
    shared.chmod(0o1777)  # as /tmp: sticky, world-writable
    newest = tree.pyenv_root / "versions" / "3.10.13" / "bin" / "python3.10"
    runner = FakeInterpreters({planted: answer("3.10"), newest: answer("3.10", "/pyenv/include/python3.10")})
    on_path = Places(**{**tree.__dict__, "path": (str(shared), *tree.path)})
    assert find_interpreter(10, runner=runner, places=on_path).path == str(newest)
    assert str(planted) not in runner.run
    with pytest.raises(ConfigError, match=r"python3\.10 \(PATH\) is in a directory anyone can write to"):
        find_interpreter(10, runner=FakeInterpreters({planted: answer("3.10")}), places=on_path)


def test_a_candidate_that_fails_with_a_traceback_is_named_with_its_exception(tree):
    """A broken build (no _json) fails the probe with a traceback: its last line says why, not
    'Traceback (most recent call last):'."""
    newest = tree.pyenv_root / "versions" / "3.12.1" / "bin" / "python3.12"
    traceback = (
        'Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
        '  File "/py/lib/python3.12/json/__init__.py", line 106, in <module>\n'
        "ModuleNotFoundError: No module named '_json'\n"
    )

    def runner(command: Sequence[str], **options: object) -> str:
        raise BuildError("exited with code 1", command, 1, traceback)

    with pytest.raises(ConfigError) as caught:
        find_interpreter(12, runner=runner, places=tree)
    assert f"{newest} (pyenv) does not run (ModuleNotFoundError: No module named '_json')" in str(
        caught.value
    )
