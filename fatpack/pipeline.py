"""The two jobs users run, each one function: build payloads, or build and assemble one artifact."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import sys
import sysconfig
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from fatpack.archives import is_sdist, unpack_sdist
from fatpack.assembler import assemble_wheel
from fatpack.beforebuild import Prefix, run_before_build
from fatpack.build import ProgressCallback, TargetReport, build_payloads
from fatpack.buildenv import BuildEnv, build_environment
from fatpack.cache import PayloadCache, default_cache_dir
from fatpack.config import (
    DEFAULT_BUILDER,
    BeforeBuildConfig,
    ProjectConfig,
    declares_extensions,
    load_project,
    parse_sdk_table,
    read_before_build,
    read_pyproject,
)
from fatpack.crossbuild import (
    TargetWheel,
    build_target_wheels,
    build_versions,
    check_serves,
    chosen_abis,
    chosen_targets,
    drives_backend,
    one_per_slot,
    pypy_targets,
    pypy_versions,
    python_abi,
)
from fatpack.crossenv import NO_PYPY
from fatpack.egg import assemble_egg
from fatpack.errors import ArtifactError, ConfigError, FatpackError, in_context
from fatpack.fuse import fuse as fuse_prebuilt
from fatpack.fuse import write_fused_wheel
from fatpack.interpreters import build_python, find_interpreter, sdk_key
from fatpack.output import missing_ancestors, remove_empty, staged_output
from fatpack.packages import find_package_files
from fatpack.payloads import Payload
from fatpack.plan import BuildPlan, make_plan
from fatpack.reference import HostWheel, build_host_wheel, check_complete, has_own_build
from fatpack.reproducible import check_source_date_epoch
from fatpack.runner import Runner, run_command
from fatpack.targets import PYPY, PythonAbi, Target, host_target
from fatpack.verify import verify_artifact


@dataclass(frozen=True)
class Options:
    """What the command line chose; empty means 'as configured'."""

    project_dir: Path
    out_dir: Path
    targets: Sequence[Target] = ()
    abis: Sequence[PythonAbi] = ()
    builders: dict[str, str] = field(default_factory=dict)  # target name or "*" -> builder name
    artifact_format: str = "wheel"  # "wheel" | "egg"
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)  # targets built at the same time
    cache_dir: Optional[Path] = field(default_factory=default_cache_dir)  # None: compile everything
    tags: str = "any"  # "any": py3-none-any; "platforms": the payloads' platform tags
    thin: bool = False  # also write one wheel per target
    verify: bool = True  # run `fatpack verify` on what was written; remove it all if a check fails
    isolation: bool = True  # the project's own build runs in an isolated environment (fatpack/buildenv.py)
    before_build: Sequence[str] = ()  # commands run per target before compiling, over the project's
    sdk: dict[str, str] = field(default_factory=dict)  # --sdk KEY=PATH, over [tool.fatpack.sdk]'s KEY


TAG_CHOICES = ("any", "platforms")
logger = logging.getLogger("fatpack")


def project_env(options: Options) -> Optional[BuildEnv]:
    """The environment the project's own build runs in; None when fatpack is its build system
    ([tool.fatpack] declares the extensions, or build-backend is fatpack.backend)."""
    if not builds_itself(options):
        return None
    return build_environment(options.project_dir, options.isolation)


def builds_itself(options: Options) -> bool:
    data = read_pyproject(options.project_dir)
    return data is not None and not declares_extensions(data) and has_own_build(data)


def plan_for(options: Options, runner: Runner = run_command, env: Optional[BuildEnv] = None) -> BuildPlan:
    check_source_date_epoch()  # the compilers read it too, and fail on values fatpack would clamp
    config = load_project(options.project_dir, runner, env.python if env else sys.executable)
    if options.sdk:
        layouts, pythons = parse_sdk_table(options.sdk, Path.cwd(), "--sdk")
        config = dataclasses.replace(
            config, sdk_paths={**config.sdk_paths, **layouts}, python_sdks={**config.python_sdks, **pythons}
        )
    cache = PayloadCache(options.cache_dir)
    return make_plan(
        config, options.targets, options.abis, options.builders, options.jobs, cache, options.before_build
    )


@contextlib.contextmanager
def project_source(options: Options) -> Iterator[Options]:
    """The options as they are for a project directory; for an sdist, pointing at it unpacked."""
    if not is_sdist(options.project_dir):
        yield options
        return
    with tempfile.TemporaryDirectory(prefix="fatpack-sdist-") as tmp:
        yield dataclasses.replace(options, project_dir=unpack_sdist(options.project_dir, Path(tmp)))


def assemble(
    options: Options, runner: Runner = run_command, progress: Optional[ProgressCallback] = None
) -> Path:
    """Build every payload and write exactly one artifact (wheel or egg) into options.out_dir."""
    return assemble_artifacts(options, runner, progress)[0]


def assemble_artifacts(
    options: Options, runner: Runner = run_command, progress: Optional[ProgressCallback] = None
) -> list[Path]:
    """The artifact, then (with options.thin) one thin wheel per target from the same payloads. They
    are written and verified in a staging directory and only then renamed into options.out_dir."""
    with project_source(options) as source, staged_output(options.out_dir) as staging:
        written = _assemble_artifacts(source, staging.directory, runner, progress)
        return staging.commit(verified(written, options.verify))


def _assemble_artifacts(
    options: Options, staging: Path, runner: Runner, progress: Optional[ProgressCallback]
) -> list[Path]:
    cross = builds_itself(options) and cross_builds(options)  # before the environment: a refusal is quick
    env = project_env(options)
    if env is not None and cross:
        return _cross_assemble(options, env, staging, runner, progress)
    plan = plan_for(options, runner, env)
    if options.artifact_format == "egg" and (options.thin or options.tags != "any"):
        raise ConfigError("--thin and --tags apply to wheels, not eggs")
    with tempfile.TemporaryDirectory(prefix="fatpack-") as tmp:
        work = Path(tmp)
        prefix = host_prefix(plan, runner, work) if env is not None else None
        host = reference_wheel(options.project_dir, env, work / "reference", prefix)
        pure_files = (
            find_package_files(plan.config, exclude=(options.out_dir,))
            if host is None
            else host.files_besides(stub_names(plan.config))
        )
        payloads = build_payloads(plan, runner, work / "work", work / "payloads", progress)
        if options.artifact_format == "egg":
            if host is not None and any(".data/" in f.archive_name for f in pure_files):
                raise ConfigError(
                    f"{host.path.name} installs data files (.data/); an egg cannot carry them: "
                    "use --format wheel"
                )
            return [assemble_egg(plan.config, pure_files, payloads, staging)]

        def write(subset: Sequence[Payload], tags: str) -> Path:
            return assemble_wheel(plan.config, pure_files, subset, staging, tags, host=host)

        written = write_wheels(write, payloads, options.tags, options.thin)
        if host is not None:
            for wheel in written:
                check_complete(wheel, host)
        return written


def cross_builds(options: Options) -> bool:
    """Whether a project with a build of its own is built by its backend once per target
    (fatpack/crossbuild.py): for wheels with zig, fatpack's default builder. `--builder` naming
    another builder, or `--format egg`, keeps fatpack's own compiles of the extensions setup.py
    declares (fatpack/setuptools_project.py)."""
    data = read_pyproject(options.project_dir) or {}
    tool = data.get("tool", {}).get("fatpack", {}) if isinstance(data.get("tool"), dict) else {}
    configured = [tool.get("builder", DEFAULT_BUILDER), *dict(tool.get("builders", {})).values()]
    chosen = list(options.builders.values()) or configured
    if options.artifact_format != "wheel" or any(name != DEFAULT_BUILDER for name in chosen):
        return False
    return drives_backend(options.project_dir, data)


def _cross_assemble(
    options: Options, env: BuildEnv, staging: Path, runner: Runner, progress: Optional[ProgressCallback]
) -> list[Path]:
    """The host wheel (the reference), one wheel per target and Python version by the project's own
    backend cross-compiling, fused into the fat wheel (and thin ones), each checked against the
    reference. Each version-specific ABI asked for (cp310, cp312) is built by an environment made
    from a CPython of that version (fatpack/interpreters.py); the reference stays fatpack's Python's."""
    check_source_date_epoch()
    data = read_pyproject(options.project_dir) or {}
    targets = chosen_targets(data, options.targets)
    abis = chosen_abis(data, options.abis)
    envs = version_environments(options, env, abis, runner)  # first: a version found nowhere stops quickly
    pypy_envs = pypy_environments(options, abis, runner)
    with tempfile.TemporaryDirectory(prefix="fatpack-") as tmp:
        work = Path(tmp)
        prefixes = before_build_prefixes(options, read_before_build(data), targets, runner, work)
        host_prefix = next((p for t, p in prefixes.items() if t == host_target()), None)
        host_environ = host_prefix.environ(os.environ) if host_prefix else None
        host = build_host_wheel(options.project_dir, env, work / "reference", host_environ)
        wheels: list[TargetWheel] = []
        for built_for, version_env in envs.items():
            where = work / "targets" / built_for.tag
            with version_named(built_for, version_env, env):
                wheels += build_target_wheels(
                    options.project_dir, version_env, targets, where, runner, options.jobs, prefixes
                )
        left_out: list[tuple[Target, PythonAbi]] = []
        for built_for, pypy_env in pypy_envs.items():
            with version_named(built_for, pypy_env, env):
                pypy = build_python(pypy_env.python, runner)
                served, skipped = pypy_targets(pypy, targets)
                left_out += [(t, python_abi(pypy)) for t in skipped]
                where = work / "targets" / built_for.tag
                wheels += build_target_wheels(
                    options.project_dir, pypy_env, served, where, runner, options.jobs, prefixes, pypy
                )
        check_serves(wheels, abis, left_out)
        wheels = one_per_slot(wheels)
        fused = fuse_prebuilt([w.path for w in wheels], work / "fused")
        for wheel in wheels:
            if progress is not None:
                count = sum(1 for p in fused.payloads if p.target == wheel.target and p.abi == wheel.abi)
                python = wheel.abi.tag if len(envs) + len(pypy_envs) > 1 else ""
                progress(TargetReport(wheel.target, DEFAULT_BUILDER, count, wheel.seconds, python=python))
        for target, abi in left_out:
            if progress is not None:
                progress(TargetReport(target, DEFAULT_BUILDER, 0, 0.0, python=abi.tag, skipped=NO_PYPY))

        def write(subset: Sequence[Payload], tags: str) -> Path:
            return write_fused_wheel(fused, subset, staging, tags)

        written = write_wheels(write, fused.payloads, options.tags, options.thin)
        for artifact in written:
            check_complete(artifact, host)
        return written


def version_environments(
    options: Options, env: BuildEnv, abis: Sequence[PythonAbi], runner: Runner
) -> dict[PythonAbi, BuildEnv]:
    """The build environment of each Python the targets are built for (crossbuild.build_versions):
    `env` for fatpack's own (unless an sdk setting names another), else one made from a CPython
    3.<minor> of the kind (free-threaded for cp313t) found on this machine or named in the sdk settings.
    Every interpreter is found before any environment is made (pip installing from the index, minutes):
    a version found nowhere stops the run first."""
    given = python_sdks(options)
    own_free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    own = PythonAbi(sys.version_info[1], abi3=False, free_threaded=own_free_threaded)
    wanted = build_versions(abis, own.minor)
    keys = {p: sdk_key(p.minor, p.free_threaded) for p in wanted}
    others = [p for p in wanted if p != own or keys[p] in given]  # a setting names fatpack's own too
    found = {
        p: find_interpreter(p.minor, free_threaded=p.free_threaded, runner=runner, given=given.get(keys[p]))
        for p in others
    }
    envs = {}
    for python in wanted:
        if python not in found:
            envs[python] = env
            continue
        interpreter = found[python]
        logger.info("building %s with %s (%s)", python.tag, interpreter.path, interpreter.where)
        with version_named(python, BuildEnv(interpreter.path), env):
            envs[python] = build_environment(
                options.project_dir, options.isolation, interpreter=interpreter.path
            )
    return envs


def pypy_environments(
    options: Options, abis: Sequence[PythonAbi], runner: Runner
) -> dict[PythonAbi, BuildEnv]:
    """The build environment of each PyPy ABI asked for (`pp311`), made from a PyPy 3.<minor> found on
    this machine (fatpack/interpreters.py); every PyPy is found before any environment is made."""
    wanted = [PythonAbi(minor, False, implementation=PYPY) for minor in pypy_versions(abis)]
    found = {abi: find_interpreter(abi.minor, runner=runner, implementation=PYPY) for abi in wanted}
    envs = {}
    for abi, interpreter in found.items():
        logger.info("building %s with %s (%s)", abi.tag, interpreter.path, interpreter.where)
        with version_named(abi, BuildEnv(interpreter.path), BuildEnv("")):
            envs[abi] = build_environment(
                options.project_dir, options.isolation, interpreter=interpreter.path
            )
    return envs


def python_sdks(options: Options) -> dict[str, Path]:
    """The CPython versions named in [tool.fatpack.sdk], with --sdk's over them ('cp314' -> PATH)."""
    data = read_pyproject(options.project_dir) or {}
    tool = data.get("tool", {}).get("fatpack", {}) if isinstance(data.get("tool"), dict) else {}
    table = tool.get("sdk", {}) if isinstance(tool, dict) else {}
    _, configured = parse_sdk_table(table, options.project_dir, "tool.fatpack.sdk")
    _, asked = parse_sdk_table(options.sdk, Path.cwd(), "--sdk")
    return {**configured, **asked}


@contextlib.contextmanager
def version_named(abi: PythonAbi, version_env: BuildEnv, own: BuildEnv) -> Iterator[None]:
    """A failure of the project's build on another Python than fatpack's own says which one: setup.py
    failing on 3.12 only (`import imp`) is otherwise reported as if on the Python the user ran."""
    try:
        yield
    except FatpackError as exc:
        if version_env is own:
            raise
        # a build environment's python links to the interpreter the environment was made from
        python = os.path.realpath(version_env.python)
        raise in_context(exc, f"{abi.tag} (built with {python})") from None


def before_build_prefixes(
    options: Options, config: BeforeBuildConfig, targets: Sequence[Target], runner: Runner, work: Path
) -> dict[Target, Prefix]:
    """Each target's before-build prefix (the host's too: the reference build needs the libraries as much),
    for the targets that have commands; `--before-build` replaces the project's for every target."""
    host = host_target()
    wanted = [*targets, *([host] if host is not None and host not in targets else [])]
    cache_root = PayloadCache(options.cache_dir).root
    prefixes: dict[Target, Prefix] = {}
    for target in wanted:
        commands = tuple(options.before_build) or config.for_target(target)
        if commands:
            where = work / "before-build" / target.name
            prefixes[target] = run_before_build(
                commands, target, options.project_dir, runner, cache_root, where
            )
    return prefixes


def reference_wheel(
    project_dir: Path, env: Optional[BuildEnv], work: Path, prefix: Optional[Prefix] = None
) -> Optional[HostWheel]:
    """The project's own wheel for this host, built by its backend in `env` (None: no build of its own),
    compiled against `prefix`, the host target's before-build prefix, if it has one."""
    if env is None:
        return None
    logger.info("building the project's own wheel with its backend (the reference)")
    return build_host_wheel(project_dir, env, work, prefix.environ(os.environ) if prefix else None)


def host_prefix(plan: BuildPlan, runner: Runner, work: Path) -> Optional[Prefix]:
    """The host target's before-build prefix, when the project has before-build commands: the project's
    own (reference) build needs the C libraries as much as fatpack's builds for each target do."""
    host = host_target()
    commands = plan.before_build_for(host) if host else ()
    if host is None or not commands:
        return None
    root = plan.config.root
    return run_before_build(commands, host, root, runner, plan.cache.root, work / "before-build-host")


def stub_names(config: ProjectConfig) -> frozenset[str]:
    return frozenset(ext.name.replace(".", "/") + ".py" for ext in config.extensions)


def fuse(
    wheels: Sequence[Path], out_dir: Path, tags: str = "any", thin: bool = False, verify: bool = True
) -> list[Path]:
    """Fuse prebuilt per-platform wheels of one project into one wheel (and thin ones, if asked)."""
    inputs = frozenset(w.resolve() for w in wheels)
    with tempfile.TemporaryDirectory(prefix="fatpack-fuse-") as tmp, staged_output(out_dir, inputs) as out:
        fused = fuse_prebuilt(wheels, Path(tmp))

        def write(subset: Sequence[Payload], tags: str) -> Path:
            return write_fused_wheel(fused, subset, out.directory, tags)

        written = write_wheels(write, fused.payloads, tags, thin)
        return out.commit(verified(written, verify))


def verified(artifacts: list[Path], verify: bool) -> list[Path]:
    """The artifacts, after `fatpack verify` found nothing wrong in each; else an ArtifactError (the
    caller's staging directory, and with it every artifact of this run, is then removed)."""
    if not verify:
        return artifacts
    for artifact in artifacts:
        problems = verify_artifact(artifact).problems
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ArtifactError(
                f"{artifact.name} failed verification, not written: {problems[0]}{more}; "
                "--no-verify keeps it for `fatpack verify`"
            )
    return artifacts


WheelWriter = Callable[[Sequence[Payload], str], Path]


def write_wheels(write: WheelWriter, payloads: Sequence[Payload], tags: str, thin: bool) -> list[Path]:
    """The fat wheel, then with `thin` one wheel per target tagged for its platform."""
    written = [write(payloads, tags)]
    if thin:
        for target in sorted({p.target for p in payloads}, key=lambda t: t.name):
            one = write([p for p in payloads if p.target == target], "platforms")
            if one not in written:
                written.append(one)
    return written


def build(
    options: Options, runner: Runner = run_command, progress: Optional[ProgressCallback] = None
) -> list[Payload]:
    """Build every payload into options.out_dir/<target>/...; nothing is written there on failure."""
    with project_source(options) as source, tempfile.TemporaryDirectory(prefix="fatpack-") as tmp:
        plan = plan_for(source, runner, project_env(source))
        work = Path(tmp)
        staged = build_payloads(plan, runner, work / "work", work / "payloads", progress)
        return _move_into(staged, work / "payloads", options.out_dir)


def _move_into(staged: Sequence[Payload], staging: Path, out_dir: Path) -> list[Payload]:
    """Copy every payload into out_dir under a temporary name first, then rename them all: a payload
    that cannot be written leaves out_dir as it was, the payloads of the earlier build included."""
    finals = [out_dir / payload.path.relative_to(staging) for payload in staged]
    created = list(dict.fromkeys(d for f in finals for d in missing_ancestors(f.parent)))
    # names no other run uses: builds into one OUT_DIR at the same time must not share a temporary file
    temporaries = [f.with_name(f".{f.name}.{os.getpid()}.{os.urandom(8).hex()}.tmp") for f in finals]
    final = out_dir
    try:
        for payload, final, temporary in zip(staged, finals, temporaries):
            final.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(payload.path, temporary)
        for temporary, final in zip(temporaries, finals):
            os.replace(temporary, final)
    except BaseException as exc:
        for temporary in temporaries:
            with contextlib.suppress(OSError):
                temporary.unlink()
        remove_empty(sorted(created, key=lambda d: len(d.parts), reverse=True))
        if isinstance(exc, OSError):
            raise ArtifactError(f"cannot write {final}: {exc.strerror or exc}") from None
        raise
    return [Payload(p.module, p.target, p.abi, final) for p, final in zip(staged, finals)]
