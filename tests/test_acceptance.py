"""The acceptance set's list and table (acceptance/run.py): the set itself runs outside the test suite."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from runtime_loader.loader import MANIFEST_HEADER

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
    header = next(line for line in table.splitlines() if line.startswith("| project |"))
    assert rows[2].endswith("| not run" + " |" * (header.count("|") - 4))
    assert all(row.count("|") == header.count("|") for row in rows[2:])


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


# --- step "members": the fat wheel's non-binary members against the project's own wheel (issue 24) ---

DI = "demo-1.0.dist-info"
OWN = {
    "demo/__init__.py": b"",
    "demo/_core.cpython-311-x86_64-linux-gnu.so": b"\x7fELF",
    "demo/libhelper.so.1": b"\x7fELF",
    "demo/data.json": b"{}",
    "demo-1.0.data/purelib/demo.pth": b"import demo",
    "demo-1.0.data/scripts/demo-tool": b"#!python",
    f"{DI}/METADATA": b"Name: demo",
    f"{DI}/WHEEL": b"Tag: cp311-cp311-linux_x86_64",
    f"{DI}/RECORD": b"own",
}
FAT = {
    "demo/__init__.py": b"",
    "demo/_core.py": b"# stub",
    "demo/_core.pyi": b"# stub",
    "demo/data.json": b"{}",
    "demo.pth": b"import demo",  # installed name of the own wheel's .data/purelib/ member
    "demo-1.0.data/scripts/demo-tool": b"#!python",
    "demo/_fatpack_demo/__init__.py": b"",
    "demo/_fatpack_demo/manifest.tsv": f"{MANIFEST_HEADER}\ndemo._core\tx\nlib:helper\tx\n".encode(),
    "demo/_fatpack_demo/win_amd64/_core.pyd": b"MZ",
    "demo/_fatpack_demo/win_amd64/helper.dll": b"MZ",
    f"{DI}/METADATA": b"Name: demo",
    f"{DI}/WHEEL": b"Tag: py3-none-any",
    f"{DI}/RECORD": b"fat",
}


def write_wheel(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_fat_wheel_holding_what_its_own_wheel_does_is_the_same(tmp_path):
    """Binaries, RECORD/WHEEL, the loader package and the stubs are fatpack's by design."""
    found = acceptance_run.compare(
        write_wheel(tmp_path / "fat.whl", FAT), write_wheel(tmp_path / "own.whl", OWN)
    )
    assert found.as_json() == {"same": True, "missing": [], "extra": []}


def test_a_member_lacking_or_added_is_named(tmp_path):
    fat = {k: v for k, v in FAT.items() if k != "demo/data.json"}
    fat["demo/stray.txt"] = b""
    fat["demo/_other.py"] = b""  # a stub-like name of no module in the manifest is no stub
    found = acceptance_run.compare(
        write_wheel(tmp_path / "fat.whl", fat), write_wheel(tmp_path / "own.whl", OWN)
    )
    assert found.as_json() == {
        "same": False,
        "missing": ["demo/data.json"],
        "extra": ["demo/_other.py", "demo/stray.txt"],
    }


@pytest.fixture
def acceptance_cache(tmp_path, monkeypatch):
    """cache_dir(), the results and the table below tmp_path; a project whose sdist is a placeholder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(acceptance_run, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(acceptance_run, "REPORT", tmp_path / "docs" / "acceptance.md")
    (tmp_path / "docs").mkdir()
    project = acceptance_run.load_projects().projects[0]
    sdist = tmp_path / "demo-1.0.tar.gz"
    monkeypatch.setattr(acceptance_run, "fetch_sdist", lambda p: sdist)
    monkeypatch.setattr(acceptance_run, "unpack_sdist", lambda s, dest: dest)
    return project, acceptance_run.cache_dir()


def fake_build(wheel_members, calls, returncode=0, output=""):
    """In place of acceptance_run.run: `python -m build --wheel --outdir OUT SRC` writing OUT/own.whl."""

    def run(command, **kwargs):
        calls.append([str(c) for c in command])
        if returncode == 0:
            out = Path(command[command.index("--outdir") + 1])
            write_wheel(out / "demo-1.0-cp311-cp311-linux_x86_64.whl", wheel_members)
        return acceptance_run.Outcome(returncode, output, 0.1)

    return run


def test_members_only_compares_an_assembled_wheel_with_the_own_wheel_built_once(
    acceptance_cache, monkeypatch, capsys
):
    project, cache = acceptance_cache
    write_wheel(cache / "fat" / project.key / "demo-1.0-py3-none-any.whl", FAT)
    calls: list[list[str]] = []
    monkeypatch.setattr(acceptance_run, "run", fake_build(OWN, calls))
    acceptance_run.main(["--members-only", "--only", project.name])
    acceptance_run.main(["--members-only", "--only", project.name])
    assert len(calls) == 1, "the own wheel is cached in own/<key>/"
    assert calls[0][1:5] == ["-m", "build", "--wheel", "--outdir"]
    assert sorted(p.name for p in (cache / "own" / project.key).iterdir()) == [
        "demo-1.0-cp311-cp311-linux_x86_64.whl"
    ]
    result = json.loads(acceptance_run.result_path(project).read_text())
    assert result["members"] == {
        "same": True,
        "missing": [],
        "extra": [],
        "own_wheel": "demo-1.0-cp311-cp311-linux_x86_64.whl",
    }
    assert "assemble" not in result, "--members-only assembles nothing"
    assert f"{project.key}: members: same" in capsys.readouterr().out  # with no assembly in the result


def test_members_only_leaves_a_project_without_a_fat_wheel_alone(acceptance_cache, monkeypatch):
    project, _ = acceptance_cache
    calls: list[list[str]] = []
    monkeypatch.setattr(acceptance_run, "run", fake_build(OWN, calls))
    acceptance_run.main(["--members-only", "--only", project.name])
    assert calls == []
    assert not acceptance_run.result_path(project).exists()


def test_an_own_wheel_that_fails_to_build_is_recorded_with_its_cause(acceptance_cache, monkeypatch):
    project, cache = acceptance_cache
    fat = write_wheel(cache / "fat" / project.key / "demo-1.0-py3-none-any.whl", FAT)
    calls: list[list[str]] = []
    monkeypatch.setattr(acceptance_run, "run", fake_build(OWN, calls, 1, "building...\nERROR: no compiler\n"))
    members = acceptance_run.compare_members(project, Path("x.tar.gz"), fat)
    assert members == {"cause": "own wheel: ERROR: no compiler"}
    assert not (cache / "own" / project.key).exists()
    assert "no compiler" in (cache / "logs" / f"{project.key}-own.log").read_text()


def test_the_table_counts_the_fat_wheels_holding_their_own_wheels_members():
    acceptance = acceptance_run.load_projects()
    a, b, c, d = acceptance.projects[:4]
    assembled = {"ok": True, "seconds": 1.0, "cause": ""}
    results = {
        a.name: {
            "version": a.version,
            "assemble": assembled,
            "members": {"same": True, "missing": [], "extra": []},
        },
        b.name: {
            "version": b.version,
            "assemble": assembled,
            "members": {"same": False, "missing": ["b/x.py", "b/y.py"], "extra": ["b/z|.txt"]},
        },
        c.name: {"version": c.version, "assemble": assembled, "members": {"cause": "own wheel: ERROR: boom"}},
        d.name: {"version": d.version, "assemble": assembled},  # assembled, not compared yet
    }
    table = acceptance_run.render(acceptance, results)
    assert (
        "**1 of 4** assembled fat wheels hold exactly the non-binary members of the project's own wheel (2 compared)"
        in table
    )
    header = next(line for line in table.splitlines() if line.startswith("| project |"))
    column = [cell.strip() for cell in header.split("|")].index("members")
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| ")}
    cell = {name: rows[name].split("|")[column].strip() for name in (a.name, b.name, c.name, d.name)}
    assert cell == {a.name: "same", b.name: "**2 missing, 1 extra**", c.name: "no own wheel", d.name: "-"}
    assert "fat wheel lacks: b/x.py, b/y.py; fat wheel has in addition: b/z\\|.txt" in rows[b.name]
    assert "members: own wheel: ERROR: boom" in rows[c.name]


def test_an_own_wheel_build_that_times_out_says_so(acceptance_cache, monkeypatch):
    project, cache = acceptance_cache
    fat = write_wheel(cache / "fat" / project.key / "demo-1.0-py3-none-any.whl", FAT)
    monkeypatch.setattr(acceptance_run, "run", fake_build(OWN, [], None, "ERROR: half a line\n"))
    members = acceptance_run.compare_members(project, Path("x.tar.gz"), fat)
    assert members == {"cause": f"own wheel: timed out after {acceptance_run.OWN_WHEEL_TIMEOUT} s"}


def test_the_assemble_cause_is_fatpacks_own_line_when_it_printed_one():
    output = (
        "error: win_amd64: the project's own build failed cross-compiling: X is defined both in a.h and ...\n"
        "command: sh -c ...\nerror: Command '['zig-cc', ...]' failed with exit code 1\n"
    )
    assert acceptance_run.assemble_cause(output, 1).startswith("error: win_amd64: the project's own build")
    traceback = "Traceback ...\nx.c:3:10: error: 'a.h' file not found\nerror: command failed\n"
    assert acceptance_run.assemble_cause(traceback, 1) == (
        "error: command failed (x.c:3:10: error: 'a.h' file not found)"
    )
    assert acceptance_run.assemble_cause("", 3) == "exit 3"
