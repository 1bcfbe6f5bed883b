"""Naming a CPython version's SDK ([tool.fatpack.sdk] cp314 = PATH, --sdk cp314=PATH): an interpreter, a
PEP 739 build-details.json (fatpack/build_details.py) or a prefix. Fake trees; nothing is run unless a
fake runner answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_interpreters import FakeInterpreters, answer, executable

from fatpack.build_details import find_build_details, read_build_details
from fatpack.cli import options as cli_options
from fatpack.config import load_project
from fatpack.errors import ConfigError
from fatpack.interpreters import SDK, find_interpreter
from fatpack.sdk import VersionHeaders, headers_given, prepare_sdk
from fatpack.targets import TARGETS, PythonAbi


def never_run(command: Any, **options: Any) -> str:
    raise AssertionError(f"nothing is run: {command}")


def debian_root(root: Path, minor: int, multiarch: str = "x86_64-linux-gnu") -> Path:
    """Debian sid's python3.<minor> layout unpacked below `root` (not at /): its build-details.json as
    Debian writes it (absolute /usr paths, named per architecture), headers with the multiarch wrapper."""
    usr = root / "usr"
    include = usr / "include" / f"python3.{minor}"
    include.mkdir(parents=True)
    (include / "Python.h").write_text("/* Python.h */\n")
    (include / "patchlevel.h").write_text(f"#define PY_MAJOR_VERSION 3\n#define PY_MINOR_VERSION {minor}\n")
    (include / "pyconfig.h").write_text(f"#include <{multiarch}/python3.{minor}/pyconfig.h>\n")
    real = usr / "include" / multiarch / f"python3.{minor}" / "pyconfig.h"
    real.parent.mkdir(parents=True)
    real.write_text("/* the real pyconfig.h */\n")
    executable(usr / "bin" / f"python3.{minor}")
    details = {
        "schema_version": "1.0",
        "base_prefix": "/usr",
        "base_interpreter": f"/usr/bin/python3.{minor}",
        "platform": "linux-x86_64",
        "language": {"version": f"3.{minor}"},
        "implementation": {"name": "cpython", "_multiarch": multiarch},
        "abi": {"flags": []},
        "c_api": {"headers": f"/usr/include/python3.{minor}"},
    }
    path = usr / "lib" / f"python3.{minor}" / f"build-details..{multiarch}.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(details))
    return path


def test_an_unpacked_debian_installation_is_read_below_where_it_is(tmp_path):
    path = debian_root(tmp_path, 15)
    details = read_build_details(path)
    assert (details.version, details.implementation, details.free_threaded) == ((3, 15), "cpython", False)
    assert details.headers == tmp_path / "usr/include/python3.15"  # not the host's /usr/include
    assert details.interpreter == tmp_path / "usr/bin/python3.15"
    assert details.multiarch == "x86_64-linux-gnu"
    assert find_build_details(tmp_path / "usr", 15) == path
    assert find_build_details(tmp_path / "usr", 14) is None


def test_relative_paths_are_from_the_file_and_base_prefix_and_absolute_ones_kept(tmp_path):
    prefix = tmp_path / "python"
    path = prefix / "lib" / "python3.14" / "build-details.json"
    path.parent.mkdir(parents=True)
    relative = {
        "base_prefix": "../..",
        "base_interpreter": "bin/python3.14",
        "language": {"version": "3.14"},
        "implementation": {"name": "cpython"},
        "abi": {"flags": ["t"]},
        "c_api": {"headers": "include/python3.14t"},
    }
    path.write_text(json.dumps(relative))
    details = read_build_details(path)
    assert details.headers == prefix.resolve() / "include/python3.14t"
    assert details.interpreter == prefix.resolve() / "bin/python3.14"
    assert details.free_threaded
    # installed where it says: absolute paths as written
    path.write_text(json.dumps({**relative, "base_prefix": str(prefix), "c_api": {"headers": "/opt/h"}}))
    assert read_build_details(path).headers == Path("/opt/h")


def test_a_file_that_is_not_build_details_is_one_line(tmp_path):
    path = tmp_path / "build-details.json"
    path.write_text('{"schema_version": "1.0"}')
    with pytest.raises(ConfigError, match=r"is not a PEP 739 build-details.json \(it needs language.version"):
        read_build_details(path)


def test_fatpacks_own_compiles_take_the_headers_build_details_names_without_running_anything(tmp_path):
    """For [tool.fatpack] extensions the headers are enough: c_api.headers, Debian's multiarch wrapper
    resolved through the file's _multiarch."""
    path = debian_root(tmp_path, 15)
    headers = VersionHeaders(never_run, own_minor=11, given={"cp315": path})
    found = headers(PythonAbi(15, abi3=False))
    assert found is not None and found.include_dir == tmp_path / "usr/include/python3.15"
    assert (found.version, found.multiarch) == ((3, 15), "x86_64-linux-gnu")
    sdk = prepare_sdk(
        TARGETS["linux_x86_64"], PythonAbi(15, False), tmp_path / "work", never_run, headers=found
    )
    assert (sdk.include_dirs[0] / "pyconfig.h").read_text() == "/* the real pyconfig.h */\n"
    # the prefix works the same, and so does a bare include directory
    assert headers_given(tmp_path / "usr", 15, never_run).include_dir == found.include_dir
    assert headers_given(found.include_dir, 15, never_run).include_dir == found.include_dir


def test_a_setting_for_the_wrong_version_says_which_setting(tmp_path):
    path = debian_root(tmp_path, 14)
    with pytest.raises(ConfigError) as caught:
        headers_given(path, 15, never_run)
    assert (
        str(caught.value)
        == f"the sdk setting cp315 = {path}: {path} describes cpython 3.14, not CPython 3.15"
    )
    headers = VersionHeaders(never_run, own_minor=11, given={"cp315": tmp_path / "usr/include/python3.14"})
    with pytest.raises(ConfigError, match=r"holds the headers of 3\.14$"):
        headers(PythonAbi(15, abi3=False))


def test_a_cross_build_runs_the_interpreter_the_setting_names_and_no_other(tmp_path):
    path = debian_root(tmp_path, 15)
    python = tmp_path / "usr/bin/python3.15"
    runner = FakeInterpreters({python: answer("3.15", include=str(tmp_path / "usr/include/python3.15"))})
    for given in (path, tmp_path / "usr", python):  # build-details.json, prefix, interpreter
        found = find_interpreter(15, runner=runner, given=given)
        assert (found.path, found.where, found.version) == (str(python), SDK, (3, 15))
    assert runner.run == [str(python)] * 3


def test_a_named_interpreter_that_is_not_that_version_stops_the_run(tmp_path):
    python = executable(tmp_path / "bin" / "python3.14")
    runner = FakeInterpreters({python: answer("3.14")})
    with pytest.raises(ConfigError) as caught:
        find_interpreter(15, runner=runner, given=python)
    assert str(caught.value) == f"the sdk setting cp315 = {python}: {python} is 3.14"
    with pytest.raises(ConfigError, match=r"is not an executable file, a build-details.json or a prefix$"):
        find_interpreter(15, runner=runner, given=tmp_path / "nothing")
    missing = tmp_path / "build-details.json"
    with pytest.raises(ConfigError) as caught:
        find_interpreter(15, runner=runner, given=missing)
    assert (
        str(caught.value)
        == f"the sdk setting cp315 = {missing}: cannot read {missing}: No such file or directory"
    )


def test_the_not_found_line_names_the_sdk_setting(tmp_path):
    from fatpack.interpreters import Places

    places = Places("/own/python3.11", (), tmp_path / "pyenv", tmp_path / "uv", tmp_path / "usr-bin", "3.11")
    with pytest.raises(ConfigError) as caught:
        find_interpreter(15, runner=FakeInterpreters({}), places=places)
    assert str(caught.value).endswith(
        'or name one: [tool.fatpack.sdk] cp315 = "PATH" or --sdk cp315=PATH '
        "(an interpreter, its build-details.json or its prefix)"
    )


def test_the_sdk_table_takes_versions_and_windows_layouts(make_project):
    root = make_project(
        tool='python = ["cp315"]\n[tool.fatpack.sdk]\ncp315 = "py/python3.15"\nwin_amd64 = "win"\n'
    )
    config = load_project(root)
    assert config.python_sdks == {"cp315": root / "py/python3.15"}
    assert config.sdk_paths == {"win_amd64": root / "win"}


def test_an_sdk_key_neither_target_nor_version_is_named(make_project):
    root = make_project(tool='[tool.fatpack.sdk]\ncp3x = "p"\n')
    with pytest.raises(ConfigError, match=r"tool\.fatpack\.sdk.*or a CPython version such as 'cp314'"):
        load_project(root)


def test_the_command_line_sdk_option(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli_options._parse_sdk("cp314=py/python3.14") == ("cp314", str(tmp_path / "py/python3.14"))
    with pytest.raises(ConfigError, match=r"--sdk 'cp314': expected KEY=PATH"):
        cli_options._parse_sdk("cp314")


def test_a_setting_for_fatpacks_own_version_is_used_too(tmp_path, monkeypatch):
    """cp3XY named while fatpack runs on 3.XY: the named headers and interpreter, not fatpack's own."""
    import sys

    import fatpack.pipeline as pipeline
    from fatpack.buildenv import BuildEnv
    from fatpack.interpreters import Interpreter

    own = sys.version_info[1]
    include = tmp_path / "include" / f"python3.{own}"
    include.mkdir(parents=True)
    (include / "Python.h").write_text("")
    (include / "patchlevel.h").write_text(f"#define PY_MAJOR_VERSION 3\n#define PY_MINOR_VERSION {own}\n")
    key = f"cp3{own}"
    assert VersionHeaders(never_run, own_minor=own)(PythonAbi(own, abi3=False)) is None
    named = VersionHeaders(never_run, own_minor=own, given={key: include})(PythonAbi(own, abi3=False))
    assert named is not None and named.include_dir == include

    asked = []
    python = f"/named/python3.{own}"
    monkeypatch.setattr(
        pipeline,
        "find_interpreter",
        lambda minor, given=None, **kwargs: (
            asked.append(given) or Interpreter(python, SDK, (3, minor), "cpython", False, str(include), True)
        ),
    )
    monkeypatch.setattr(
        pipeline, "build_environment", lambda *args, interpreter, **kwargs: BuildEnv(interpreter)
    )
    options = pipeline.Options(tmp_path, tmp_path / "out", sdk={key: python})
    envs = pipeline.version_environments(options, BuildEnv("/own/python"), [PythonAbi(own, False)], never_run)
    assert envs == {PythonAbi(own, False): BuildEnv(python)} and asked == [Path(python)]
    plain = pipeline.Options(tmp_path, tmp_path / "out")
    assert pipeline.version_environments(
        plain, BuildEnv("/own/python"), [PythonAbi(own, False)], never_run
    ) == {PythonAbi(own, False): BuildEnv("/own/python")}
