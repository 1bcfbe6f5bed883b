"""The project's build environment, made as `python -m build` makes one: build-system.requires plus
get_requires_for_build_wheel, cached by requirement set; --no-isolation uses fatpack's Python."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fakewheels import make_wheel
from projectwheel import backend_project, own_wheel_files

from fatpack import buildenv
from fatpack.buildenv import COMPLETE_MARKER, build_environment, cached_env, env_key
from fatpack.cli import main
from fatpack.config import load_project
from fatpack.errors import ConfigError
from fatpack.pipeline import Options, plan_for, project_env


def probe_requirement(tmp_path: Path) -> str:
    """A requirement pip installs from a local wheel (no index): `probe`, absent from fatpack's Python."""
    wheel = make_wheel(
        tmp_path / "wheels", "fatpack_probe-1.0-py3-none-any.whl", {"fatpack_probe.py": b"OK = 1\n"}
    )
    return f"fatpack_probe @ {wheel.as_uri()}"


def imports(python: str, module: str) -> bool:
    return subprocess.run([python, "-I", "-c", f"import {module}"], capture_output=True).returncode == 0


def test_backend_requirements_are_installed_and_the_environment_is_reused(tmp_path, monkeypatch):
    requirement = probe_requirement(tmp_path)
    root = backend_project(tmp_path / "demo", own_wheel_files(), requires=(requirement,))
    envs = tmp_path / "envs"
    env = build_environment(root, env_dir=envs)
    assert env.requirements == (requirement,) and env.isolated
    assert imports(env.python, "fatpack_probe") and not imports(sys.executable, "fatpack_probe")
    assert not imports(env.python, "setuptools")  # pip alone, plus what was asked for

    def no_pip(*args):  # the second run finds both environments complete
        raise AssertionError("pip ran again")

    monkeypatch.setattr(buildenv, "pip_install", no_pip)
    monkeypatch.setattr(buildenv, "_make_venv", no_pip)
    assert build_environment(root, env_dir=envs) == env


def test_one_environment_per_requirement_set_in_any_order():
    assert env_key(["b", "a"], sys.executable) == env_key(["a", "b", "a"], sys.executable)
    assert env_key(["a"], sys.executable) != env_key(["a", "b"], sys.executable)


def test_an_environment_left_incomplete_is_made_again(tmp_path):
    envs = tmp_path / "envs"
    env = cached_env(envs, [], sys.executable)
    home = Path(env.python).parent.parent
    (home / COMPLETE_MARKER).unlink()  # as if a run died while installing
    (home / "half-installed").write_text("")
    assert cached_env(envs, [], sys.executable) == env
    assert (home / COMPLETE_MARKER).is_file() and not (home / "half-installed").exists()


def test_no_isolation_uses_fatpacks_python_and_installs_nothing(tmp_path):
    root = backend_project(tmp_path / "demo", own_wheel_files(), requires=("not-installed-anywhere",))
    env = build_environment(root, isolation=False, env_dir=tmp_path / "envs")
    assert env.python == sys.executable and not env.isolated
    assert not (tmp_path / "envs").exists()


def test_fatpack_declared_projects_need_no_build_environment(demo_project, tmp_path):
    assert project_env(Options(demo_project, tmp_path / "out")) is None


@pytest.mark.compile
@pytest.mark.network  # installs setuptools from the package index
def test_setup_py_importing_a_build_requirement_is_read_in_the_build_environment(tmp_path, capsys):
    """ujson's setup.py imports setuptools_scm, named in build-system.requires (issue 23, class 1)."""
    setup_py = (
        "import fatpack_probe\nfrom setuptools import setup, Extension\n"
        "setup(name='demo', version='1.0', packages=['demo'], ext_modules=[Extension('demo._core', ['demo/_core.c'])])\n"
    )
    requires = ("setuptools", probe_requirement(tmp_path))
    root = backend_project(tmp_path / "demo", own_wheel_files(), setup_py=setup_py, build_requires=requires)
    (root / "demo" / "__init__.py").write_text("")
    with pytest.raises(ConfigError, match="No module named 'fatpack_probe'"):
        load_project(root)  # fatpack's own Python, as before
    options = Options(root, tmp_path / "out")
    config = plan_for(options, env=project_env(options)).config
    assert [e.name for e in config.extensions] == ["demo._core"]
    assert main(["assemble", str(root), "--no-isolation", "-o", str(tmp_path / "out")]) == 1
    assert "No module named 'fatpack_probe'" in capsys.readouterr().err


@pytest.mark.compile  # ensurepip: 5-20 s
def test_without_a_usable_pip_beside_fatpack_the_environment_gets_its_own(tmp_path, monkeypatch):
    """fatpack installed by a tool that gives it no pip (uv): the venv gets pip from ensurepip, and
    the setuptools ensurepip adds before 3.12 is removed, so it never satisfies a requirement."""
    monkeypatch.setattr(buildenv, "_usable_outer_pip", lambda interpreter: False)
    requirement = probe_requirement(tmp_path)
    env = cached_env(tmp_path / "envs", [requirement], sys.executable)
    assert imports(env.python, "fatpack_probe") and imports(env.python, "pip")
    assert not imports(env.python, "setuptools")


@pytest.mark.parametrize(
    ("last_lines", "expected"),
    [
        (
            '  File "<string>", line 4\n    def (\n        ^\nSyntaxError: invalid syntax\n',
            "setup.py line 4: SyntaxError: invalid syntax",
        ),
        (
            '  File "<string>", line 7, in <module>\nRuntimeError: boom\n',
            "setup.py line 7: RuntimeError: boom",
        ),
        ("ModuleNotFoundError: No module named 'numpy'\n", "ModuleNotFoundError: No module named 'numpy'"),
    ],
)
def test_a_failing_setup_py_is_named_with_its_line(tmp_path, last_lines, expected):
    # setuptools' backend execs setup.py as "<string>": the error gave the exception alone, not where
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    frames = (
        'Traceback (most recent call last):\n  File "/x/setuptools/build_meta.py", line 335, in run_setup\n'
        "    exec(code, locals())\n"
    )
    cause = subprocess.CalledProcessError(
        1, ["python", "_in_process.py"], output=(frames + last_lines).encode()
    )
    hooks = buildenv.backend_errors(tmp_path, "get_requires_for_build_wheel")
    with pytest.raises(ConfigError) as raised, hooks:
        raise buildenv.build.BuildBackendException(cause)
    assert str(raised.value) == (
        f"the project's build backend failed in get_requires_for_build_wheel ({tmp_path}): {expected}"
    )


def test_a_backend_warning_is_logged_while_another_targets_build_ends(caplog):
    """Targets build in parallel threads: one build ending must not put `-W error` (pytest's setting
    here) back under another's hook call, which then failed on setuptools' deprecation warning."""
    import logging
    import threading
    import warnings

    import pyproject_hooks

    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    raised: list[BaseException] = []

    def first() -> None:
        with buildenv.backend_errors(Path("p"), "build_wheel"):
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def second() -> None:
        a_in.wait(10)
        try:
            with buildenv.backend_errors(Path("p"), "build_wheel"):
                b_in.set()
                a_out.wait(10)
                warnings.warn_explicit(
                    "License classifiers are deprecated.", pyproject_hooks.BuildBackendWarning, "setup.py", 1
                )
        except BaseException as exc:  # what the thread would have died of
            raised.append(exc)

    with caplog.at_level(logging.INFO, logger="fatpack"):
        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
    assert raised == []
    assert (
        "the build backend warned (BuildBackendWarning): License classifiers are deprecated." in caplog.text
    )


def test_the_private_copy_keeps_an_sdists_egg_info(tmp_path):
    """setuptools reads SOURCES.txt of the sdist's egg-info for package data (mmh3 5.3.1 ships its .c
    files so): without it the fat wheel lacked two files the project's own wheel has."""
    project = tmp_path / "p"
    (project / "src" / "m.egg-info").mkdir(parents=True)
    (project / "src" / "m.egg-info" / "SOURCES.txt").write_text("src/m/m.c\n")
    (project / "build").mkdir()
    checkout = buildenv.private_copy(project, tmp_path / "checkout")
    assert not (checkout / "src" / "m.egg-info").exists()  # a checkout's may list files of an old build
    (project / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: m\nVersion: 1\n")
    copy = buildenv.private_copy(project, tmp_path / "copy")
    assert (copy / "src" / "m.egg-info" / "SOURCES.txt").read_text() == "src/m/m.c\n"
    assert not (copy / "build").exists()


def test_another_interpreters_venv_is_not_a_venv_py_where_fatpack_runs(tmp_path, monkeypatch):
    """fatpack runs in the project's directory, often: `python3.10 -m venv` there ran the project's own
    venv.py (`-m` puts the current directory first on sys.path), not the standard library's."""
    project = tmp_path / "project"
    project.mkdir()
    marker = tmp_path / "ran"
    (project / "venv.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    other = tmp_path / "python3.x"  # another interpreter than fatpack's own, by its real path
    other.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    other.chmod(0o755)
    monkeypatch.chdir(project)
    buildenv._make_venv(tmp_path / "env", str(other), with_pip=False)
    assert not marker.exists()
    assert (tmp_path / "env" / "pyvenv.cfg").is_file()
