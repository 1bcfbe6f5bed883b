"""`fatpack test ARTIFACT`: the project's tests run against every (target, Python) cell the artifact
carries, each on a real interpreter of that platform; a table target x Python -> result (or --json)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional

from fatpack.config import TestConfig, read_pyproject, read_test_config
from fatpack.errors import ArtifactError, ConfigError
from fatpack.targets import parse_target
from fatpack.testing.cells import parse_python
from fatpack.testing.command import TestCommand
from fatpack.testing.environments import FAILED, NOT_RUN
from fatpack.testing.session import SuiteOptions, format_table, run_cells, summary

HELP = (
    "run the project's tests ([tool.fatpack.test] command) against every target and Python the artifact "
    "carries, each in a fresh environment on a real interpreter: CPythons found here for linux_x86_64, "
    "python.org's embeddable CPython under Wine for win_amd64, Debian's arm64 CPython under qemu-user for "
    "linux_aarch64; others are reported as not run"
)
# read by `fatpack test` and `fatpack assemble --test`
TEST_ENVIRONMENT = (
    (
        "FATPACK_TEST_INTERPRETERS",
        "where --test's provisioned interpreters (python.org's embeddable CPython, pip's wheel, the Wine "
        "prefix, Debian's arm64 CPython) are kept (default: $XDG_CACHE_HOME/fatpack/test-interpreters, "
        "else ~/.cache/fatpack/test-interpreters)",
    ),
)
ENVIRONMENT = (
    *TEST_ENVIRONMENT,
    (
        "PATH",
        "where wine, qemu-aarch64-static and python3.X for linux_x86_64 cells are found (also pyenv's "
        "and uv's Pythons)",
    ),
)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("artifact", type=Path, help="a wheel made by fatpack")
    parser.add_argument(
        "--project",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the project: its pyproject.toml's [tool.fatpack.test], `{project}` in the command and the "
        "directory it runs in (default: .)",
    )
    parser.add_argument(
        "--command",
        dest="test_command",  # `command` is the subcommand's name
        default=None,
        metavar="CMD",
        help="the test command, instead of [tool.fatpack.test] command ({project}: the project directory, "
        "{python}: the cell's interpreter; one command, no shell operators)",
    )
    parser.add_argument(
        "--requires",
        action="append",
        default=[],
        metavar="REQ",
        help="a test requirement pip installs beside the artifact, in addition to [tool.fatpack.test] "
        "requires (repeatable)",
    )
    parser.add_argument(
        "--target", action="append", default=[], metavar="T", help="test this target only (repeatable)"
    )
    parser.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="X.Y",
        help="run on CPython X.Y (repeatable): abi3 payloads on each version at or above their floor, "
        "version-specific ones only if theirs is named (default: each payload's own version; abi3: the "
        "lowest found)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="use only interpreters already provisioned (FATPACK_TEST_INTERPRETERS); a cell whose "
        "interpreter would be downloaded is not run",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--require-all", action="store_true", help="exit non-zero also when a cell could not be run"
    )


def execute(args: argparse.Namespace) -> int:
    if not args.artifact.is_file():
        raise ArtifactError(f"{args.artifact}: no such file")
    if args.artifact.suffix != ".whl":
        raise ArtifactError(
            f"{args.artifact.name} is not a wheel: fatpack test installs the artifact with pip "
            "(an egg, which goes on sys.path, is not tested)"
        )
    options = SuiteOptions(
        artifact=args.artifact,
        project=args.project,
        test=project_tests(args.project, args.test_command, tuple(args.requires)),
        targets=tuple(parse_target(t, "--target").name for t in args.target),
        pythons=tuple(parse_python(p) for p in args.python),
        offline=args.offline,
    )
    return run_and_report(options, as_json=args.json, require_all=args.require_all)


def project_tests(project: Path, command: Optional[str] = None, requires: tuple[str, ...] = ()) -> TestConfig:
    """The project's [tool.fatpack.test] with the command line's --command and --requires over it,
    every command checked: a ConfigError before anything is built or run."""
    test = _with_command_line(_test_config(project), command, requires)
    if not test.commands():
        raise ConfigError(
            f'no test command: add [tool.fatpack.test] command = "pytest {{project}}/tests" to '
            f"{project / 'pyproject.toml'}, or give --command"
        )
    for where, text in test.commands():
        TestCommand.parse(text, "--command" if command is not None else where)
    return test


def run_and_report(options: SuiteOptions, as_json: bool = False, require_all: bool = False) -> int:
    """Run every cell (progress on stderr), print the table or JSON; the exit status."""
    results = run_cells(options, progress=lambda message: print(message, file=sys.stderr, flush=True))
    counts = summary(results)
    if as_json:
        report = {"artifact": str(options.artifact), "cells": [r.as_dict() for r in results], **counts}
        print(json.dumps(report, indent=2))
    else:
        print(format_table(results))
        print(", ".join(f"{n} {status}" for status, n in counts.items()))
    failed = counts[FAILED] > 0 or (require_all and counts[NOT_RUN] > 0)
    return 1 if failed else 0


def _with_command_line(test: TestConfig, command: Optional[str], requires: tuple[str, ...]) -> TestConfig:
    """--command replaces every command of the table (its per-target ones too); --requires adds to
    every requirement list."""
    scoped = []
    for scope, override in test.overrides:
        scoped_command = "" if command is not None else override.command
        scoped_requires = (*override.requires, *requires) if override.requires else ()
        scoped.append((scope, TestConfig(scoped_command, scoped_requires)))
    base = command if command is not None else test.command
    return TestConfig(base, (*test.requires, *requires), tuple(scoped))


def _test_config(project: Path) -> TestConfig:
    if not project.is_dir():
        raise ConfigError(f"--project {project}: no such directory")
    pyproject = read_pyproject(project)
    if pyproject is None and (project / "pyproject.toml").is_file():
        raise ConfigError(f"{project / 'pyproject.toml'} cannot be read as TOML")
    return read_test_config(pyproject or {})
