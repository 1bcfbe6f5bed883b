"""The acceptance set's list and table (acceptance/run.py): the set itself runs outside the test suite."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("acceptance_run", REPO / "acceptance" / "run.py")
assert spec is not None and spec.loader is not None
acceptance_run = importlib.util.module_from_spec(spec)
sys.modules["acceptance_run"] = acceptance_run
spec.loader.exec_module(acceptance_run)


def test_the_set_is_pinned_and_says_how_to_check_each_project():
    acceptance = acceptance_run.load_projects()
    assert len(acceptance.projects) >= 28
    assert all(re.fullmatch(r"[0-9a-f]{64}", p.sha256) for p in acceptance.projects)
    assert all(p.check.strip() for p in acceptance.projects)
    requirements = acceptance.test_requires + tuple(r for p in acceptance.projects for r in p.test_requires)
    assert all("==" in r for r in requirements), [r for r in requirements if "==" not in r]
    assert all(d.reason.strip() for p in acceptance.projects for d in p.deselect)
    assert {"scikit-build-core", "meson-python"} <= {p.backend for p in acceptance.projects}
    # a project without its own tests says why
    assert all(p.note for p in acceptance.projects if not (p.tests or p.pyargs))


def test_an_unknown_key_is_refused(tmp_path):
    path = tmp_path / "projects.toml"
    path.write_text(
        'basis = "b"\ntest_requires = []\n[[project]]\nname = "x"\nversion = "1"\nsha256 = "0"\n'
        'backend = "setuptools"\ncheck = "pass"\ntest = ["tests"]\n'
    )
    with pytest.raises(ValueError, match="unknown keys \\['test'\\]"):
        acceptance_run.load_projects(path)


def test_before_build_goes_to_fatpack_run_from_the_checkout_keyed_on_the_scripts(tmp_path, monkeypatch):
    """A project's before_build (the C library its official wheels link) is fatpack's --before-build,
    run from this checkout's root (fatpack's own working directory for it is a copy of the sdist), with
    the scripts' digest in it: fatpack's prefix cache, keyed on the command, is not reused after a
    script of acceptance/before-build/ changed."""
    path = tmp_path / "projects.toml"
    path.write_text(
        'basis = "b"\ntest_requires = []\n[[project]]\nname = "x"\nversion = "1"\nsha256 = "0"\n'
        'backend = "setuptools"\ncheck = "pass"\nbefore_build = "pwd"\n'
        '[[project]]\nname = "y"\nversion = "1"\nsha256 = "0"\nbackend = "setuptools"\ncheck = "pass"\n'
    )
    with_library, plain = acceptance_run.load_projects(path).projects
    assert with_library.before_build == "pwd" and plain.before_build == ""
    scripts = tmp_path / "before-build"
    scripts.mkdir()
    (scripts / "lib.sh").write_text("make\n")
    monkeypatch.setattr(acceptance_run, "BEFORE_BUILD_DIR", scripts)
    command = acceptance_run.assemble_command(with_library, tmp_path / "x.tar.gz", tmp_path / "out")
    assert "--before-build" not in acceptance_run.assemble_command(plain, tmp_path / "x.tar.gz", tmp_path)
    given = command[command.index("--before-build") + 1]
    assert isinstance(given, str)
    elsewhere = tmp_path / "sdist-copy"
    elsewhere.mkdir()
    ran = subprocess.run(["sh", "-c", given], cwd=elsewhere, capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == str(REPO)
    (scripts / "lib.sh").write_text("make install\n")
    assert acceptance_run.before_build_command(with_library) != given


def test_each_before_build_of_the_set_names_a_script_there_is():
    for project in acceptance_run.load_projects().projects:
        for word in project.before_build.split():
            if word.startswith("acceptance/"):
                assert (REPO / word).is_file(), (project.name, word)


def result_of(passed, failed_ids, compiled=True):
    return {
        "installed": True,
        "compiled": compiled,
        "passed": passed,
        "failed": len(failed_ids),
        "skipped": 0,
        "failed_ids": failed_ids,
    }


def test_the_fat_wheel_is_judged_against_the_official_one():
    same_failure = {"official": result_of(10, ["t::a"]), "fat": result_of(10, ["t::a"])}
    new_failure = {"official": result_of(10, ["t::a"]), "fat": result_of(9, ["t::a", "t::b"])}
    fallback = {"official": result_of(10, []), "fat": result_of(10, [], compiled=False)}
    assert acceptance_run.matches(same_failure) is True
    assert acceptance_run.matches(new_failure) is False
    assert acceptance_run.matches(fallback) is False
    assert acceptance_run.matches({"official": result_of(1, []), "fat": {"installed": False}}) is None
    check_only = {"installed": True, "compiled": True, "no_suite": True}
    assert acceptance_run.matches({"official": check_only, "fat": check_only}) is True
    assert acceptance_run.matches({"official": check_only, "fat": {**check_only, "compiled": False}}) is False


def test_the_table_has_a_row_per_project_and_counts_what_ran():
    acceptance = acceptance_run.load_projects()
    first, second = acceptance.projects[:2]
    results = {
        first.name: {
            "version": first.version,
            "assemble": {"ok": True, "seconds": 12.3, "cause": ""},
            "platforms": {"linux": {"official": result_of(5, []), "fat": result_of(5, [])}},
        },
        second.name: {
            "version": second.version,
            "assemble": {"ok": False, "seconds": 4.0, "cause": "error: a | b"},
            "platforms": {
                "linux": {"official": result_of(7, []), "fat": {"installed": False, "cause": "not assembled"}}
            },
        },
    }
    table = acceptance_run.render(acceptance, results)
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == len(acceptance.projects)
    assert "**1 of 2** run" in table
    assert (
        "linux: the fat wheel passes its project's tests wherever the official wheel does, compiled module in use: **1 of 1**"
        in table
    )
    assert (
        rows[0].startswith(f"| {first.name} | {first.version} |") and "| 5 ✓ 0 ✗ | 5 ✓ 0 ✗ | yes |" in rows[0]
    )
    assert "error: a \\| b" in rows[1]  # a cause never breaks the table
    assert rows[2].endswith("| not run | | | | | | | | | |")


def test_junit_counts_errors_as_failures(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite tests="4" failures="1" errors="1" skipped="1">'
        '<testcase classname="t" name="ok"/><testcase classname="t" name="bad"><failure/></testcase>'
        '<testcase classname="t" name="err"><error/></testcase><testcase classname="t" name="s"><skipped/></testcase>'
        "</testsuite></testsuites>"
    )
    assert acceptance_run.junit_counts(junit) == {
        "passed": 1,
        "failed": 2,
        "skipped": 1,
        "failed_ids": ["t::bad", "t::err"],
    }
