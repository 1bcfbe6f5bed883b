#!/usr/bin/env python3
"""fatpack's public acceptance set (issue 23): popular native projects from their unchanged sdists.

    python acceptance/run.py [--only NAME ...] [--platform linux|wine ...] [--force | --retest]
                             [--official-again] [--members-only | --render-only]

For each project of acceptance/projects.toml:
  1. download the pinned sdist (sha256 checked) and the official cp311 wheels for manylinux x86_64 and
     win_amd64, cached in $XDG_CACHE_HOME/fatpack-acceptance (else ~/.cache/fatpack-acceptance);
  2. `fatpack assemble SDIST --target linux_x86_64 --target win_amd64 --python cp311` with the fatpack of
     this checkout (timed; on failure its one-line error is kept); a project's `before_build` (a shell
     command, as a CI configuration's CIBW_BEFORE_BUILD: the C library its official wheels link, built
     by a script of acceptance/before-build/) goes to fatpack as `--before-build`, run from this
     checkout's root (fatpack runs it per target with that target's cross toolchain exported);
  3. "members" (issue 24): the project's own wheel, built from the same sdist by its backend on this host
     (`python -m build --wheel`, cached in own/), and the non-binary members of the fat wheel compared
     with it (acceptance/wheelmembers.py, the rule the tests use too); `--members-only` runs just this
     step, for every project whose fat wheel is assembled already, and assembles nothing;
  4. per platform -- `linux`: a fresh venv of the host's CPython 3.11; `wine`: python.org's embeddable
     CPython 3.11 under Wine (tests/winepython.py) -- install the OFFICIAL wheel, run the project's
     compiled-module check and its own tests (copied out of the sdist, so the installed package is the one
     imported), then the same with the FAT wheel.
Results: acceptance/results/NAME.json, one per project and platform step (a step already there is
skipped unless --force; --retest runs the tests again with the wheel assembled before; an official
wheel's result is kept unless --official-again, as fatpack plays no part in it); the table of every
result is rendered into docs/acceptance.md.

Needs: the README's setup (fatpack's dependencies), network access to PyPI, python3.11 (pyenv or the
host's) for `linux`, wine for `wine`. Not part of the test suite: a full run takes hours.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

# wheelmembers.py beside this script: also when the tests load this file by its path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from wheelmembers import compare

if sys.version_info >= (3, 11):
    import tomllib
else:  # fatpack's own dependency on older Pythons
    import tomli as tomllib


REPO = Path(__file__).resolve().parent.parent
PROJECTS = REPO / "acceptance" / "projects.toml"
RESULTS = REPO / "acceptance" / "results"
REPORT = REPO / "docs" / "acceptance.md"
PLATFORMS = ("linux", "wine")
VARIANTS = ("official", "fat")
PYTHON = "3.11"
ASSEMBLE_TIMEOUT = 45 * 60
OWN_WHEEL_TIMEOUT = 45 * 60
TEST_TIMEOUT = 15 * 60
INSTALL_TIMEOUT = 15 * 60
CHECK_TIMEOUT = 5 * 60
# pip's platform tags for the official wheels; abi `none` is left out so a pure-Python wheel never counts.
WHEEL_PLATFORMS = {
    "linux": [
        "manylinux_2_28_x86_64",
        "manylinux_2_27_x86_64",
        "manylinux_2_24_x86_64",
        "manylinux_2_17_x86_64",
        "manylinux2014_x86_64",
        "manylinux_2_12_x86_64",
        "manylinux2010_x86_64",
        "manylinux_2_5_x86_64",
        "manylinux1_x86_64",
    ],
    "wine": ["win_amd64"],
}
CONFIG_FILES = ("pyproject.toml", "setup.cfg", "tox.ini", "pytest.ini", "conftest.py")


@dataclasses.dataclass(frozen=True)
class Deselect:
    test: str
    reason: str


@dataclasses.dataclass(frozen=True)
class Project:
    name: str
    version: str
    sha256: str
    backend: str
    check: str
    tests: tuple[str, ...] = ()
    pyargs: tuple[str, ...] = ()
    copy: tuple[str, ...] = ()
    test_requires: tuple[str, ...] = ()
    pytest_args: tuple[str, ...] = ()
    deselect: tuple[Deselect, ...] = ()
    before_build: str = ""
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"


@dataclasses.dataclass(frozen=True)
class Acceptance:
    basis: str
    test_requires: tuple[str, ...]
    projects: tuple[Project, ...]


def load_projects(path: Path = PROJECTS) -> Acceptance:
    data = tomllib.loads(path.read_text())
    fields = {f.name for f in dataclasses.fields(Project)}
    projects = []
    for entry in data["project"]:
        unknown = set(entry) - fields
        if unknown:
            raise ValueError(f"{path}: project {entry.get('name')!r} has unknown keys {sorted(unknown)}")
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()}
        values["deselect"] = tuple(Deselect(**d) for d in entry.get("deselect", ()))
        projects.append(Project(**values))
    names = [p.name for p in projects]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"{path}: projects listed twice: {sorted(duplicates)}")
    return Acceptance(data["basis"], tuple(data["test_requires"]), tuple(projects))


# ---------------------------------------------------------------------------------------------- running


@dataclasses.dataclass(frozen=True)
class Outcome:
    returncode: int | None  # None: timed out
    output: str
    seconds: float


def run(
    command: list[str | Path],
    *,
    timeout: int,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Outcome:
    """Run in its own process group; at the time limit the whole group (a test suite's children) ends."""
    start = time.monotonic()
    with subprocess.Popen(
        [str(c) for c in command],
        stdin=subprocess.PIPE,  # Wine wants a pipe, not a file, as stdin
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        cwd=cwd,
        env=env,
        start_new_session=True,
    ) as proc:
        try:
            output, _ = proc.communicate("", timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
            return Outcome(None, output + f"\ntimed out after {timeout} s", time.monotonic() - start)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    return Outcome(proc.returncode, output, time.monotonic() - start)


def last_line(text: str, prefix: str = "") -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if prefix:
        marked = [line for line in lines if line.startswith(prefix)]
        if marked:
            return marked[-1][:300]
    return lines[-1][:300] if lines else ""


def assemble_cause(output: str, returncode: int) -> str:
    """fatpack's own one-line message (the first line it prints on failure); else the last `error:`
    line, with the compiler's first error when that line does not hold it."""
    lines = output.lstrip().splitlines()
    if lines and lines[0].startswith("error: "):
        return lines[0][:400]
    cause = last_line(output, "error:") or f"exit {returncode}"
    detail = compiler_error(output)
    return f"{cause} ({detail})" if detail and detail not in cause else cause


def compiler_error(text: str) -> str:
    """The first error a compiler printed, without the temporary directory it compiled in."""
    for line in text.splitlines():
        match = re.search(r"(\S+:\d+:\d+: (?:fatal )?error: .*|(?:lld-link|ld\.lld|ld): error: .*)", line)
        if match:
            return re.sub(r"^.*?/(fatpack|tmp)[^/]*/[^/]+/", "", match.group(1))[:200]
    return ""


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "fatpack-acceptance"


def pip(*args: str | Path) -> Outcome:
    return run([sys.executable, "-m", "pip", *args], timeout=INSTALL_TIMEOUT)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch_sdist(project: Project) -> Path:
    dest = cache_dir() / "sdists" / project.key
    found = [p for p in dest.glob("*.tar.gz") if sha256(p) == project.sha256]
    if not found:
        shutil.rmtree(dest, ignore_errors=True)
        got = pip(
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"{project.name}=={project.version}",
            "-d",
            dest,
        )
        found = [p for p in dest.glob("*.tar.gz") if sha256(p) == project.sha256]
        if not found:
            raise RuntimeError(
                f"no sdist of {project.key} with sha256 {project.sha256}: {last_line(got.output)}"
            )
    return found[0]


def fetch_official(project: Project, platform: str) -> Path | None:
    dest = cache_dir() / "official" / platform / project.key
    found = sorted(dest.glob("*.whl"))
    if not found:
        tags = [a for tag in WHEEL_PLATFORMS[platform] for a in ("--platform", tag)]
        pip(
            "download",
            "-q",
            "--no-deps",
            "--only-binary",
            ":all:",
            *tags,
            "--python-version",
            PYTHON,
            "--implementation",
            "cp",
            "--abi",
            "cp311",
            "--abi",
            "abi3",
            f"{project.name}=={project.version}",
            "-d",
            dest,
        )
        found = sorted(dest.glob("*.whl"))
    return found[0] if found else None


BEFORE_BUILD_DIR = REPO / "acceptance" / "before-build"


def before_build_command(project: Project) -> str:
    """The project's before_build as fatpack runs it: from this checkout's root (fatpack's working
    directory for it is a copy of the sdist), with the digest of acceptance/before-build/ in it, so
    fatpack's cache of the prefix (keyed on the command and the sdist) is not reused after a script
    changed."""
    digest = hashlib.sha256()
    for path in sorted(BEFORE_BUILD_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(BEFORE_BUILD_DIR).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return (
        f"cd {shlex.quote(str(REPO))} && "
        f"FATPACK_ACCEPTANCE_SCRIPTS={digest.hexdigest()[:16]} && {project.before_build}"
    )


def assemble_command(project: Project, sdist: Path, out: Path) -> list[str | Path]:
    command: list[str | Path] = [
        sys.executable,
        "-m",
        "fatpack",
        "assemble",
        sdist,
        "-o",
        out,
        "--target",
        "linux_x86_64",
        "--target",
        "win_amd64",
        "--python",
        "cp311",
    ]
    if project.before_build:
        command += ["--before-build", before_build_command(project)]
    return command


def assemble(project: Project, sdist: Path, force: bool) -> dict[str, Any]:
    out = cache_dir() / "fat" / project.key
    wheels = sorted(out.glob("*.whl"))
    if wheels and not force:
        return {"ok": True, "wheel": str(wheels[0]), "seconds": None, "cause": ""}
    shutil.rmtree(out, ignore_errors=True)
    # The set's own payload cache: another user of fatpack on this machine cannot make its times warm.
    env = {**os.environ, "PYTHONPATH": str(REPO), "FATPACK_BUILD_CACHE": str(cache_dir() / "builds")}
    command = assemble_command(project, sdist, out)
    got = run(command, timeout=ASSEMBLE_TIMEOUT, env=env, cwd=cache_dir())
    (cache_dir() / "logs").mkdir(parents=True, exist_ok=True)
    (cache_dir() / "logs" / f"{project.key}-assemble.log").write_text(got.output)
    wheels = sorted(out.glob("*.whl"))
    ok = got.returncode == 0 and bool(wheels)
    cause = "" if ok else assemble_cause(got.output, got.returncode)
    return {
        "ok": ok,
        "wheel": str(wheels[0]) if ok else None,
        "seconds": round(got.seconds, 1),
        "cause": cause,
    }


# ----------------------------------------------------------------------------------------------- members


def own_wheel(project: Project, sdist: Path) -> tuple[Path | None, str]:
    """(the wheel the project's own backend builds from the pinned sdist on this host, else None and the
    cause). `python -m build --wheel` in an isolated environment of the project's build requirements,
    as tests/test_reference_projects.py builds zope.interface's; cached in own/<key>/ (it does not
    depend on fatpack, so --force keeps it)."""
    out = cache_dir() / "own" / project.key
    wheels = sorted(out.glob("*.whl"))
    if wheels:
        return wheels[0], ""
    with tempfile.TemporaryDirectory(prefix=f"acc-own-{project.name}-") as tmp:
        work = Path(tmp)
        source = unpack_sdist(sdist, work / "sdist")
        command: list[str | Path] = [sys.executable, "-m", "build", "--wheel", "--outdir", work / "out"]
        got = run([*command, source], timeout=OWN_WHEEL_TIMEOUT, cwd=work)
        (cache_dir() / "logs").mkdir(parents=True, exist_ok=True)
        (cache_dir() / "logs" / f"{project.key}-own.log").write_text(got.output)
        built = sorted((work / "out").glob("*.whl"))
        if got.returncode is None:
            return None, f"timed out after {OWN_WHEEL_TIMEOUT} s"
        if got.returncode != 0 or not built:
            return None, last_line(got.output, "ERROR") or f"exit {got.returncode}"
        staging = out.with_name(out.name + ".part")  # a wheel in own/<key>/ is always a whole one
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        shutil.copy2(built[0], staging / built[0].name)
        shutil.rmtree(out, ignore_errors=True)
        staging.rename(out)
    return out / built[0].name, ""


def compare_members(project: Project, sdist: Path, fat: Path) -> dict[str, Any]:
    """The result's "members": {"same", "missing" (the fat wheel lacks), "extra" (it has in addition)},
    fatpack's own files aside (see acceptance/wheelmembers.py); or {"cause"} if no own wheel was built."""
    own, cause = own_wheel(project, sdist)
    if own is None:
        return {"cause": f"own wheel: {cause}"}
    return {**compare(fat, own).as_json(), "own_wheel": own.name}


def fat_wheel(project: Project) -> Path | None:
    wheels = sorted((cache_dir() / "fat" / project.key).glob("*.whl"))
    return wheels[0] if wheels else None


def run_members(project: Project) -> None:
    """--members-only: compare an already assembled fat wheel; a project without one is left as it is."""
    fat = fat_wheel(project)
    if fat is None:
        print(f"{project.key}: no assembled fat wheel, members not compared", flush=True)
        return
    data = read_result(project)
    print(f"{project.key}: members", flush=True)
    data["members"] = compare_members(project, fetch_sdist(project), fat)
    write_result(project, data)
    print(f"{project.key}: members: {members_text(data['members'])}", flush=True)


# --------------------------------------------------------------------------------------------- platforms


def unpack_sdist(sdist: Path, dest: Path) -> Path:
    """The sdist's top directory, extracted below dest."""
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # Python < 3.11.4
            tar.extractall(dest)
    return next(dest.iterdir())


def copy_tests(project: Project, sdist: Path, work: Path) -> Path:
    """The project's test paths and its pytest configuration, without the source package beside them."""
    root = unpack_sdist(sdist, work / "sdist")
    tests = work / "tests-run"
    tests.mkdir()
    for name in CONFIG_FILES:
        if (root / name).is_file():
            shutil.copy2(root / name, tests / name)
    for rel in (*project.copy, *project.tests):
        if (tests / rel).exists():
            continue
        source = root / rel
        if source.is_dir():
            shutil.copytree(source, tests / rel)
        else:
            (tests / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tests / rel)
    return tests


def pytest_command(project: Project, junit: str) -> list[str]:
    command = [
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "-rN",
        f"--junitxml={junit}",
        "-o",
        "junit_family=xunit1",
    ]
    for d in project.deselect:
        command += ["--deselect", d.test]
    command += list(project.pytest_args)
    if project.pyargs:
        command += ["--pyargs", *project.pyargs]
    else:
        command += list(project.tests)
    return command


def junit_counts(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return None
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) for s in suites)
    errors = sum(int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    bad = []
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            bad.append(f"{case.get('classname')}::{case.get('name')}")
    return {
        "passed": total - failed - errors - skipped,
        "failed": failed + errors,
        "skipped": skipped,
        "failed_ids": sorted(bad),
    }


class Interpreter:
    """Where one wheel is installed and its tests run: a venv (linux) or an embeddable CPython (wine)."""

    def path(self, path: Path) -> str:
        return str(path)

    def python(self, args: list[str], *, timeout: int, cwd: Path) -> Outcome:
        raise NotImplementedError

    def install(self, wheel: Path, requirements: tuple[str, ...]) -> Outcome:
        raise NotImplementedError


class LinuxVenv(Interpreter):
    def __init__(self, where: Path):
        base = find_python311()
        got = run([base, "-m", "venv", where], timeout=300)
        if got.returncode != 0:
            raise RuntimeError(f"venv: {last_line(got.output)}")
        self.exe = where / "bin" / "python"

    def python(self, args: list[str], *, timeout: int, cwd: Path) -> Outcome:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        return run([self.exe, *args], timeout=timeout, cwd=cwd, env=env)

    def install(self, wheel: Path, requirements: tuple[str, ...]) -> Outcome:
        return self.python(
            ["-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel), *requirements],
            timeout=INSTALL_TIMEOUT,
            cwd=wheel.parent,
        )


def find_python311() -> Path:
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in sorted(pyenv.glob(f"{PYTHON}.*/bin/python{PYTHON}"), reverse=True):
        return candidate
    found = shutil.which(f"python{PYTHON}")
    if found is None:
        raise RuntimeError(f"no CPython {PYTHON} found (pyenv or PATH)")
    return Path(found)


class WinePython(Interpreter):
    def __init__(self, where: Path):
        sys.path.insert(0, str(REPO / "tests"))
        import winepython  # type: ignore[import-not-found]  # the tests' recipe: python.org's embeddable CPython, pip from its own wheel

        self.embed = winepython.WindowsPython(PYTHON, where)
        self.pip = winepython.windows_path(winepython.pip_wheel(PYTHON)) + "\\pip"
        self._windows_path = winepython.windows_path

    def path(self, path: Path) -> str:
        return str(self._windows_path(path))

    def python(self, args: list[str], *, timeout: int, cwd: Path) -> Outcome:
        inherited = {k: v for k, v in os.environ.items() if k not in ("FATPACK_CACHE_DIR", "PYTHONPATH")}
        env = {**inherited, "WINEPREFIX": str(self.embed.prefix), "WINEDEBUG": "-all"}
        return run([self.embed.wine, self.embed.exe, *args], timeout=timeout, cwd=cwd, env=env)

    def install(self, wheel: Path, requirements: tuple[str, ...]) -> Outcome:
        return self.python(
            [
                self.pip,
                "install",
                "-q",
                "--disable-pip-version-check",
                "--no-warn-script-location",
                self.path(wheel),
                *requirements,
            ],
            timeout=INSTALL_TIMEOUT,
            cwd=self.embed.root,
        )


def run_variant(
    project: Project,
    acceptance: Acceptance,
    platform: str,
    wheel: Path,
    sdist: Path,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"acc-{project.name}-") as tmp:
        work = Path(tmp)
        interpreter: Interpreter = (
            LinuxVenv(work / "venv") if platform == "linux" else WinePython(work / "py")
        )
        got = interpreter.install(wheel, acceptance.test_requires + project.test_requires)
        if got.returncode != 0:
            return {"installed": False, "cause": "install: " + last_line(got.output, "ERROR")}
        tests = copy_tests(project, sdist, work)
        check = interpreter.python(["-c", project.check], timeout=CHECK_TIMEOUT, cwd=tests)
        result: dict[str, Any] = {"installed": True, "compiled": check.returncode == 0}
        if check.returncode != 0:
            result["check_error"] = last_line(check.output)
        if not (project.tests or project.pyargs):
            return {**result, "no_suite": True}
        junit = tests / "junit.xml"
        got = interpreter.python(
            pytest_command(project, interpreter.path(junit)), timeout=TEST_TIMEOUT, cwd=tests
        )
        counts = junit_counts(junit)
        result["test_seconds"] = round(got.seconds, 1)
        result["pytest_exit"] = got.returncode
        if counts is None:
            result["cause"] = "tests: " + last_line(got.output)
        else:
            result.update(counts)
            if got.returncode not in (0, 1):
                result["cause"] = f"pytest exit {got.returncode}: {last_line(got.output)}"
        if got.returncode not in (0, 1):
            result["output_tail"] = got.output.splitlines()[-30:]
        return result


# ---------------------------------------------------------------------------------------------- results


def result_path(project: Project) -> Path:
    return RESULTS / f"{project.name}.json"


def read_result(project: Project) -> dict[str, Any]:
    path = result_path(project)
    if path.is_file():
        data: dict[str, Any] = json.loads(path.read_text())
        if data.get("version") == project.version:
            return data
    return {"name": project.name, "version": project.version, "backend": project.backend}


def write_result(project: Project, data: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result_path(project).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def run_project(
    project: Project,
    acceptance: Acceptance,
    platforms: list[str],
    force: bool,
    retest: bool = False,
    official_again: bool = False,
) -> None:
    data = read_result(project)
    todo = [p for p in platforms if force or retest or p not in data.get("platforms", {})]
    compared = "members" in data or not data.get("assemble", {}).get("ok")
    if "assemble" in data and not todo and compared and not force:
        print(f"{project.key}: done (--force to run again)")
        return
    sdist = fetch_sdist(project)
    earlier = data.get("assemble", {})
    if earlier and not earlier["ok"] and not force:  # it failed before: test the official wheel only
        built = {**earlier, "wheel": None}
    else:
        print(f"{project.key}: assembling", flush=True)
        built = assemble(project, sdist, force or not earlier)
        fresh = built["seconds"] is not None
        if not fresh:  # the wheel of an earlier run: keep that run's time
            built["seconds"] = earlier.get("seconds")
        data["assemble"] = {k: v for k, v in built.items() if k != "wheel"}
        if not built["ok"]:
            data.pop("members", None)  # it described a wheel that is gone
        elif fresh or "members" not in data:
            print(f"{project.key}: members", flush=True)
            data["members"] = compare_members(project, sdist, Path(built["wheel"]))
        write_result(project, data)
    print(f"{project.key}: assembled={built['ok']} {built['seconds']} s {built['cause']}", flush=True)
    if "members" in data:
        print(f"{project.key}: members: {members_text(data['members'])}", flush=True)
    for platform in todo:
        outcome: dict[str, Any] = {}
        before = data.get("platforms", {}).get(platform, {})
        if before.get("official") and not official_again:  # the pinned wheel and tests: fatpack plays no part
            outcome["official"] = before["official"]
        official = fetch_official(project, platform)
        candidates = {"official": official, "fat": Path(built["wheel"]) if built["ok"] else None}
        for variant in VARIANTS:
            wheel = candidates[variant]
            if variant in outcome:
                continue
            if wheel is None:
                outcome[variant] = {
                    "installed": False,
                    "cause": "no official cp311 wheel" if variant == "official" else "not assembled",
                }
                continue
            print(f"{project.key}: {platform} {variant}", flush=True)
            outcome[variant] = run_variant(project, acceptance, platform, wheel, sdist)
            print(f"{project.key}: {platform} {variant}: {summary_cell(outcome[variant])}", flush=True)
        data.setdefault("platforms", {})[platform] = outcome
        write_result(project, data)


# ---------------------------------------------------------------------------------------------- the table


def summary_cell(variant: dict[str, Any] | None) -> str:
    if not variant:
        return "not run"
    if not variant.get("installed"):
        cause = variant.get("cause", "")
        if cause.startswith("no official"):
            return "no wheel"
        return "not assembled" if cause == "not assembled" else "install failed"
    if "passed" not in variant:
        return "no suite" if variant.get("no_suite") else "no result"
    return f"{variant['passed']} ✓ {variant['failed']} ✗"


def matches(platform: dict[str, Any] | None) -> bool | None:
    """The fat wheel fails no test the official one passes, and its compiled module is in use."""
    fat: dict[str, Any] = (platform or {}).get("fat", {})
    if not fat.get("installed") or not ("passed" in fat or fat.get("no_suite")):
        return None
    official: dict[str, Any] = (platform or {}).get("official", {})
    if not fat.get("compiled"):
        return False
    if fat.get("no_suite"):
        return True
    if "passed" not in official:
        return bool(fat["failed"] == 0)
    fails_more = set(fat["failed_ids"]) - set(official["failed_ids"])
    return not fails_more and bool(fat["passed"] >= official["passed"])


def mark(value: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "-"}[value]


def members_cell(data: dict[str, Any]) -> str:
    """The fat wheel against the project's own wheel, if the result says it was assembled."""
    members = data.get("members")
    if not data.get("assemble", {}).get("ok") or not members:
        return "-"
    return members_text(members)


def members_text(members: dict[str, Any]) -> str:
    """`same`, or how many members differ."""
    if "same" not in members:
        return "no own wheel"
    if members["same"]:
        return "same"
    counts = [f"{len(members[k])} {k}" for k in ("missing", "extra") if members[k]]
    return f"**{', '.join(counts)}**"


def first_of(names: list[str], shown: int = 3) -> str:
    return ", ".join(names[:shown]) + (f" (+{len(names) - shown})" if len(names) > shown else "")


def compiled_cell(data: dict[str, Any]) -> str:
    cells = []
    for platform in PLATFORMS:
        fat = data.get("platforms", {}).get(platform, {}).get("fat", {})
        if fat.get("installed"):
            cells.append(f"{platform}: {'yes' if fat.get('compiled') else '**no**'}")
    return ", ".join(cells) or "-"


def causes(data: dict[str, Any]) -> str:
    found = []
    if data.get("assemble", {}).get("cause"):
        found.append(data["assemble"]["cause"])
    members = data.get("members", {}) if data.get("assemble", {}).get("ok") else {}
    if members.get("cause"):
        found.append(f"members: {members['cause']}")
    for key, what in (("missing", "fat wheel lacks"), ("extra", "fat wheel has in addition")):
        if members.get(key):
            found.append(f"{what}: {first_of(members[key])}")
    for platform, outcome in data.get("platforms", {}).items():
        for variant in VARIANTS:
            entry = outcome.get(variant, {})
            if entry.get("cause") and entry["cause"] != "not assembled":
                found.append(f"{platform} {variant}: {entry['cause']}")
            if entry.get("check_error"):
                found.append(f"{platform} {variant} check: {entry['check_error']}")
        fat = outcome.get("fat", {})
        extra = sorted(
            set(fat.get("failed_ids", [])) - set(outcome.get("official", {}).get("failed_ids", []))
        )
        if extra:
            found.append(f"{platform}: fails where official passes: {first_of(extra)}")
    return "; ".join(c.replace("|", "\\|").replace("\n", " ") for c in found)


def render(acceptance: Acceptance, results: dict[str, dict[str, Any]]) -> str:
    rows = []
    assembled = ran = compared = same = 0
    per_platform = {p: [0, 0] for p in PLATFORMS}
    for project in acceptance.projects:
        data = results.get(project.name)
        if data is None or data.get("version") != project.version or "assemble" not in data:
            rows.append(
                f"| {project.name} | {project.version} | {project.backend} | not run | | | | | | | | | | |"
            )
            continue
        ran += 1
        ok = bool(data["assemble"]["ok"])
        assembled += int(ok)
        if ok and "same" in data.get("members", {}):
            compared += 1
            same += int(bool(data["members"]["same"]))
        cells = []
        for platform in PLATFORMS:
            outcome = data.get("platforms", {}).get(platform)
            cells += [summary_cell((outcome or {}).get("official")), summary_cell((outcome or {}).get("fat"))]
            good = matches(outcome)
            cells.append(mark(good))
            if good is not None:
                per_platform[platform][0] += int(good)
                per_platform[platform][1] += 1
        seconds = data["assemble"].get("seconds")
        rows.append(
            f"| {project.name} | {project.version} | {project.backend} | {'yes' if ok else '**no**'} | "
            f"{members_cell(data)} | "
            + " | ".join(cells)
            + f" | {compiled_cell(data)} | {'' if seconds is None else f'{seconds:.0f}'} | {causes(data)} |"
        )
    head = [
        "# Acceptance: popular native projects from their unchanged sdists",
        "",
        "Generated by `python acceptance/run.py` (issue 23) from `acceptance/results/*.json`; the set, its",
        "pins and how each project's own tests run are in `acceptance/projects.toml`. Do not edit by hand.",
        "",
        f"Basis of the set: {acceptance.basis}",
        "",
        f"- Assembled (`fatpack assemble SDIST --target linux_x86_64 --target win_amd64 --python cp311`): "
        f"**{assembled} of {ran}** run ({len(acceptance.projects)} in the set).",
        f"- Members (issue 24): **{same} of {assembled}** assembled fat wheels hold exactly the non-binary "
        f"members of the project's own wheel ({compared} compared).",
    ]
    for platform in PLATFORMS:
        passing, total = per_platform[platform]
        head.append(
            f"- {platform}: the fat wheel passes its project's tests wherever the official wheel does, "
            f"compiled module in use: **{passing} of {total}** tested."
        )
    head += [
        "",
        "Tests: `passed ✓ failed ✗` (errors count as failed; skips are not shown) of the project's own",
        "suite, official cp311 wheel vs the fat wheel; Linux: a venv of CPython 3.11; wine: python.org's",
        "embeddable CPython 3.11 under Wine. *fat ok*: no test fails with the fat wheel that passes with the",
        "official one, and the compiled-module check passes. *s*: wall seconds of `fatpack assemble`.",
        "*members*: the fat wheel's members besides native binaries, RECORD/WHEEL and fatpack's loader and",
        "stubs, against the wheel the project's own backend builds from the same sdist on this host",
        "(`python -m build --wheel`): `same`, or how many it lacks (*missing*) or has in addition (*extra*).",
        "",
        "| project | version | backend | assembled | members | Linux official | Linux fat | Linux fat ok "
        "| Wine official | Wine fat | Wine fat ok | compiled (fat) | s | causes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---:|---|",
    ]
    return "\n".join(head + rows) + "\n"


def load_results() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="these projects only")
    parser.add_argument("--platform", action="append", choices=PLATFORMS, help="default: both")
    again = parser.add_mutually_exclusive_group()
    again.add_argument("--force", action="store_true", help="run again what has a result")
    again.add_argument(
        "--retest", action="store_true", help="run the tests again, with the wheel assembled before"
    )
    parser.add_argument(
        "--official-again", action="store_true", help="also re-test the official wheels (kept by default)"
    )
    only = parser.add_mutually_exclusive_group()
    only.add_argument(
        "--members-only",
        action="store_true",
        help="only compare the members of fat wheels assembled before with the projects' own wheels",
    )
    only.add_argument("--render-only", action="store_true", help="only write docs/acceptance.md")
    args = parser.parse_args(argv)
    acceptance = load_projects()
    projects = acceptance.projects
    if args.only:
        unknown = set(args.only) - {p.name for p in projects}
        if unknown:
            parser.error(f"not in {PROJECTS.name}: {', '.join(sorted(unknown))}")
        projects = tuple(p for p in projects if p.name in args.only)
    if not args.render_only:
        for project in projects:
            try:
                if args.members_only:
                    run_members(project)
                else:
                    run_project(
                        project,
                        acceptance,
                        args.platform or list(PLATFORMS),
                        args.force,
                        args.retest,
                        args.official_again,
                    )
            except (RuntimeError, OSError) as exc:
                print(f"{project.key}: {exc}", file=sys.stderr)
            REPORT.write_text(render(acceptance, load_results()))
    REPORT.write_text(render(acceptance, load_results()))
    print(f"wrote {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
