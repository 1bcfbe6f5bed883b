"""`fatpack assemble`: build every target's payloads and write one artifact -- or fuse prebuilt wheels."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Optional

from fatpack.cli.options import BUILD_ENVIRONMENT, add_build_arguments, options_from
from fatpack.cli.progress import Progress
from fatpack.cli.test import TEST_ENVIRONMENT, project_tests, run_and_report
from fatpack.config import TestConfig
from fatpack.errors import ConfigError
from fatpack.pipeline import TAG_CHOICES, assemble_artifacts, fuse
from fatpack.runner import run_command
from fatpack.testing.session import SuiteOptions

HELP = (
    "build all payloads and write one artifact, a py3-none-any wheel or an egg (its path is printed last); "
    "given wheels, fuse them into one"
)

ENVIRONMENT = (
    *BUILD_ENVIRONMENT,
    *TEST_ENVIRONMENT,
    ("SOURCE_DATE_EPOCH", "the time stamp of the artifact's members (default: 1980-01-01)"),
    # Read by the package this writes, when it is imported (runtime_loader/):
    ("FATPACK_DEBUG", "=1 at import: the loader prints the host, each payload passed over and its choice"),
    ("FATPACK_VERIFY", "=1 at import: the loader checks the payload's sha256 against the manifest first"),
    (
        "FATPACK_CACHE_DIR",
        "at import from a zip or egg: where payloads are extracted (default: $XDG_CACHE_HOME/fatpack or "
        "~/.cache/fatpack; ~/Library/Caches/fatpack on macOS; %LOCALAPPDATA%\\fatpack\\Cache on Windows)",
    ),
)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_build_arguments(parser, default_out="dist", many_inputs=True)
    parser.add_argument(
        "--format",
        choices=("wheel", "egg"),
        default="wheel",
        help="wheel (default; what pip installs) or egg (for sys.path or a zipapp; pip cannot install eggs)",
    )
    parser.add_argument(
        "--tags",
        choices=TAG_CHOICES,
        default="any",
        help="any: py3-none-any (default); platforms: tag the wheel with the platforms it carries "
        "(py3-none-manylinux_2_17_x86_64.win_amd64), so pip elsewhere falls back to the sdist",
    )
    parser.add_argument(
        "--thin", action="store_true", help="also write one wheel per target, tagged for its platform"
    )
    parser.add_argument(
        "--test",
        action="store_true",
        help="then run the project's tests against every target and Python of the wheel, as `fatpack test` "
        "does ([tool.fatpack.test]; the table before the wheel's path; exit 1 if a cell failed)",
    )
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="skip `fatpack verify` on what was written (by default a failed check removes it)",
    )


def execute(args: argparse.Namespace) -> int:
    wheels = [p for p in args.inputs if p.suffix == ".whl"]
    status = 0
    if wheels:
        if args.test:
            raise ConfigError("--test runs a project's tests: give its directory, not wheels to fuse")
        artifacts = _fuse(args, wheels)
    else:
        if len(args.inputs) > 1:
            raise ConfigError("give one project directory, or wheels to fuse")
        args.project_dir = args.inputs[0] if args.inputs else Path(".")
        tests = _tests_asked(args)
        options = dataclasses.replace(
            options_from(args),
            artifact_format=args.format,
            tags=args.tags,
            thin=args.thin,
            verify=not args.no_verify,
        )
        with Progress(tty=False if args.verbose else None) as progress:  # -v logs lines of its own
            artifacts = assemble_artifacts(options, progress.timed(run_command), progress.report)
        if tests is not None:
            status = run_and_report(SuiteOptions(artifacts[0], args.project_dir, tests))
    for artifact in artifacts:
        print(artifact)
    return status


def _tests_asked(args: argparse.Namespace) -> Optional[TestConfig]:
    """With --test, the project's tests, checked before anything is built; None without."""
    if not args.test:
        return None
    if not args.project_dir.is_dir() or args.format != "wheel":
        what = "an egg" if args.format != "wheel" else f"{args.project_dir.name}"
        raise ConfigError(f"--test runs a project directory's tests against its wheel, not {what}")
    return project_tests(args.project_dir)


def _fuse(args: argparse.Namespace, wheels: list[Path]) -> list[Path]:
    others = [str(p) for p in args.inputs if p.suffix != ".whl"]
    if others:
        raise ConfigError(f"{others[0]}: give either wheels to fuse or one project, not both")
    building = [
        flag
        for flag, value in (("--target", args.target), ("--python", args.python), ("--builder", args.builder))
        if value
    ]
    if building or args.format != "wheel":
        raise ConfigError(
            f"{(building or ['--format'])[0]} applies to building a project, not to fusing wheels"
        )
    out_dir = args.out_dir if args.out_dir is not None else Path("dist")
    return fuse(wheels, out_dir, tags=args.tags, thin=args.thin, verify=not args.no_verify)
