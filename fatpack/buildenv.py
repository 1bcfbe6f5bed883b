"""The build environment a PEP 517 frontend makes for a project: a virtual environment holding its
`[build-system] requires` plus what the backend's `get_requires_for_build_wheel` adds, installed with
pip from the package index -- as `python -m build` does. fatpack reads setup.py and builds the project's
own reference wheel (fatpack/reference.py) with this environment's interpreter, so a setup.py that
imports its build requirements (setuptools_scm, Cython, pybind11) runs, and what it builds does not
depend on what happens to be installed beside fatpack.

Environments are cached in the user cache directory, one per (interpreter, sorted requirement set),
created under a file lock and marked complete only when every install succeeded: a run that dies
half-way leaves nothing another run would use. `isolation=False` (`--no-isolation`) uses fatpack's
own interpreter and installs nothing, as `python -m build --no-isolation` does.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import venv
import warnings
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from subprocess import CalledProcessError  # what venv raises when its own ensurepip run fails
from typing import Any, Callable, Optional

import build
import pyproject_hooks

from fatpack.cache import user_cache_dir
from fatpack.errors import ArtifactError, BuildError, ConfigError, ToolchainError
from fatpack.runner import CommandTimedOut, run_command

logger = logging.getLogger("fatpack")

COMPLETE_MARKER = "fatpack-env-complete"
PIP_TIMEOUT = 900  # seconds for one `pip install` of build requirements


@dataclass(frozen=True)
class BuildEnv:
    """An interpreter to run the project's backend and setup.py with."""

    python: str
    requirements: tuple[str, ...] = ()  # what was installed into it (sorted); () without isolation
    isolated: bool = True


def default_env_dir() -> Path:
    """$XDG_CACHE_HOME/fatpack/build-envs (else ~/.cache/fatpack/build-envs); FATPACK_BUILD_ENVS overrides."""
    return user_cache_dir("build-envs", "FATPACK_BUILD_ENVS")


def build_environment(
    project_dir: Path,
    isolation: bool = True,
    env_dir: Optional[Path] = None,
    interpreter: str = sys.executable,
) -> BuildEnv:
    """The project's build environment, made (or found in the cache) as `python -m build` makes one."""
    if not isolation:
        return BuildEnv(interpreter, isolated=False)
    env_dir = env_dir or default_env_dir()
    base = _hooks(project_dir, interpreter).build_system_requires
    env = cached_env(env_dir, base, interpreter)
    extra = get_requires_for_wheel(project_dir, env.python)
    if extra <= set(base):
        return env
    return cached_env(env_dir, base | extra, interpreter)


def get_requires_for_wheel(project_dir: Path, python: str) -> set[str]:
    """The backend's `get_requires_for_build_wheel`, run with `python` on a copy of the project
    (setuptools' hook runs egg_info, which writes *.egg-info where it runs)."""
    with tempfile.TemporaryDirectory(prefix="fatpack-requires-") as tmp:
        builder = _hooks(private_copy(project_dir, Path(tmp) / "source"), python)
        with backend_errors(project_dir, "get_requires_for_build_wheel"):
            return builder.get_requires_for_build("wheel")


# Outputs and tools' state in a project directory, never part of what its backend builds from. An
# sdist's *.egg-info is copied: setuptools reads its SOURCES.txt for package data (mmh3 ships its .c
# files so), as pip does building the sdist; a checkout's is not (a stale file list from an old build
# would add files its version control no longer lists: .git is not copied).
_NOT_COPIED_ANYWHERE = ("__pycache__", ".git", ".hg", ".svn", ".tox", ".nox", ".mypy_cache", ".pytest_cache")
_NOT_COPIED_AT_TOP = ("build", "dist", ".venv", "venv")


def private_copy(project_dir: Path, dest: Path) -> Path:
    """The project as its backend sees it, without version control, caches, virtual environments and
    the top-level build/ and dist/ output directories (links kept as links)."""
    top = project_dir.resolve()
    sdist = (top / "PKG-INFO").is_file()  # an unpacked sdist; a checkout's egg-info may be stale

    def ignored(directory: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n in _NOT_COPIED_ANYWHERE or (n.endswith(".egg-info") and not sdist)}
        if Path(directory).resolve() == top:
            skip |= {n for n in names if n in _NOT_COPIED_AT_TOP}
        return skip

    try:
        shutil.copytree(top, dest, symlinks=True, ignore=ignored)
    except (OSError, shutil.Error) as exc:
        raise ArtifactError(f"cannot copy {project_dir} to run its build backend on: {exc}") from None
    return dest


def _hooks(project_dir: Path, python: str) -> build.ProjectBuilder:
    try:
        return build.ProjectBuilder(project_dir, python_executable=python, runner=captured_runner)
    except build.BuildException as exc:
        raise ConfigError(f"{project_dir}: {exc}") from None


@contextlib.contextmanager
def backend_errors(project_dir: Path, hook: str) -> Iterator[None]:
    """The backend's failures as one FatpackError naming the hook and its output's last line: a
    ConfigError when it only reads the project (the output is a traceback of setup.py), a BuildError
    carrying the whole output when it builds (the compiler's messages). The backend's warnings, which
    pyproject_hooks re-emits here, are logged (-v shows them): under `-W error` or PYTHONWARNINGS=error
    they would otherwise fail a build the project's own frontend completes."""
    log_backend_warnings()
    try:
        yield
    except build.BuildBackendException as exc:
        cause = exc.exception
        output = getattr(cause, "output", None) or b""
        text = output.decode("utf-8", "replace") if isinstance(output, bytes) else str(output)
        last = [line for line in text.strip().splitlines() if line.strip()][-1:] or [str(cause)]
        command = list(getattr(cause, "cmd", None) or ())
        returncode = int(getattr(cause, "returncode", 1) or 1)
        message = (
            f"the project's build backend failed in {hook} ({project_dir}): "
            f"{_setup_py_line(text, project_dir)}{last[0].strip()}"
        )
        if not hook.startswith("build_"):
            raise ConfigError(message) from None
        raise BuildError(message, command, returncode, text) from None
    except build.BuildException as exc:
        raise ConfigError(f"{project_dir}: {exc}") from None


_WARNINGS_LOCK = threading.Lock()
_LOG_BACKEND_WARNINGS = ("always", None, pyproject_hooks.BuildBackendWarning, None, 0)


def log_backend_warnings() -> None:
    """Route pyproject_hooks' BuildBackendWarning to fatpack's log, never raised, process-wide (again
    whenever the filter or hook was reset, as pytest does per test). Not `warnings.catch_warnings`:
    it swaps the process's filters on entry and exit, so with targets built in parallel threads one
    build's exit put `-W error` back under another's hook call, which then failed on a warning."""
    with _WARNINGS_LOCK:
        if _LOG_BACKEND_WARNINGS not in warnings.filters:
            warnings.filterwarnings("always", category=pyproject_hooks.BuildBackendWarning)
        if not getattr(warnings.showwarning, "fatpack_logs_backend_warnings", False):
            warnings.showwarning = _backend_warnings_to_log(warnings.showwarning)


def _backend_warnings_to_log(shown: Callable[..., None]) -> Callable[..., None]:
    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, pyproject_hooks.BuildBackendWarning):
            logger.info("the build backend warned (%s): %s", category.__name__, str(message).strip())
        else:
            shown(message, category, *args, **kwargs)

    show.fatpack_logs_backend_warnings = True  # type: ignore[attr-defined]
    return show


def _setup_py_line(traceback: str, project_dir: Path) -> str:
    """'setup.py line N: ' when the traceback's innermost frame is setup.py as setuptools' backend runs
    it (exec'd as "<string>"), else nothing: the exception alone does not say where."""
    frames = re.findall(r'^\s*File "([^"]*)", line (\d+)', traceback, re.M)
    if frames and frames[-1][0] == "<string>" and (project_dir / "setup.py").is_file():
        return f"setup.py line {frames[-1][1]}: "
    return ""


def captured_runner(
    cmd: Sequence[str], cwd: Optional[str] = None, extra_environ: Optional[Mapping[str, str]] = None
) -> None:
    """pyproject_hooks' quiet runner: the backend's output is kept for the error, not printed."""
    pyproject_hooks.quiet_subprocess_runner(cmd, cwd, extra_environ)


def env_key(requirements: Collection[str], interpreter: str) -> str:
    """A directory name for this (interpreter, requirement set): the same set in any order is one env."""
    text = "\n".join([os.path.realpath(interpreter), sys.version, *sorted(set(requirements))])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cached_env(env_dir: Path, requirements: Collection[str], interpreter: str) -> BuildEnv:
    """The venv for this requirement set in env_dir: reused when complete, else (re)made under a lock."""
    wanted = tuple(sorted(set(requirements)))
    path = env_dir / env_key(wanted, interpreter)
    python = str(path / "bin" / "python")
    try:
        env_dir.mkdir(parents=True, exist_ok=True)
        lock_file = open(env_dir / f"{path.name}.lock", "w")  # noqa: SIM115  # held until made
    except OSError as exc:
        why = exc.strerror or exc
        raise ToolchainError(f"cannot use the build environment cache {env_dir}: {why}") from None
    with lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if (path / COMPLETE_MARKER).is_file():
            return BuildEnv(python, wanted)
        shutil.rmtree(path, ignore_errors=True)
        logger.info("making the build environment: %s", " ".join(wanted) or "(no requirements)")
        outer_pip = _usable_outer_pip(interpreter)
        _make_venv(path, interpreter, with_pip=not outer_pip)
        if not outer_pip:  # ensurepip before 3.12 adds setuptools: a clean environment holds pip alone
            _run([python, "-m", "pip", "uninstall", "-y", "-q", "setuptools"], "make a build environment")
        if wanted:
            pip_install(python, wanted, outer_pip)
        (path / COMPLETE_MARKER).write_text("\n".join(wanted) + "\n", encoding="utf-8")
    return BuildEnv(python, wanted)


def _usable_outer_pip(interpreter: str) -> bool:
    """Whether fatpack's own pip can install into another environment (`pip --python`, pip >= 22.3),
    as `build` does: the environment then needs no pip of its own and is made in a fraction of the time."""
    if os.path.realpath(interpreter) != os.path.realpath(sys.executable):
        return False
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return False
    try:
        parts = version("pip").split(".")[:2]
        return (int(parts[0]), int(parts[1])) >= (22, 3)
    except (PackageNotFoundError, ValueError, IndexError):
        return False


def _make_venv(path: Path, interpreter: str, with_pip: bool) -> None:
    """A venv made by `interpreter` (the Python the project is built with)."""
    if os.path.realpath(interpreter) == os.path.realpath(sys.executable):
        try:
            venv.EnvBuilder(with_pip=with_pip, clear=True, symlinks=True).create(path)
            return
        except (OSError, CalledProcessError) as exc:
            raise ToolchainError(f"cannot make a build environment at {path}: {exc}") from None
    # -I: not the venv.py of the directory fatpack runs in (often the project's), nor PYTHONPATH's
    _run([interpreter, "-I", "-m", "venv", "--clear", str(path)], "make a build environment")


def pip_install(python: str, requirements: Sequence[str], outer_pip: bool = False) -> None:
    """Install the requirements into `python`'s environment, from the index pip is set up for: with
    fatpack's own pip (`--python`) or the environment's."""
    pip = [sys.executable, "-m", "pip", "--python", python] if outer_pip else [python, "-m", "pip"]
    command = [*pip, "install", "--disable-pip-version-check", "--no-input", "-q", *requirements]
    _run(command, f"install the build requirements ({', '.join(requirements)})")


def _run(command: list[str], what: str) -> None:
    """pip or venv through fatpack's Runner (own process group, bounded by PIP_TIMEOUT); its last
    output line names what went wrong."""
    try:
        run_command(command, timeout=PIP_TIMEOUT)
    except CommandTimedOut:
        raise ToolchainError(f"cannot {what}: it did not finish in {PIP_TIMEOUT:g} s") from None
    except BuildError as exc:
        lines = [line for line in exc.output.strip().splitlines() if line.strip()]
        last = lines[-1].strip() if lines else f"exit status {exc.returncode}"
        raise BuildError(f"cannot {what}: {last}", command, exc.returncode, exc.output) from None
