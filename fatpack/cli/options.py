"""Arguments shared by `fatpack build` and `fatpack assemble`."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from fatpack.errors import ConfigError
from fatpack.payloads import TargetReport
from fatpack.pipeline import Options
from fatpack.targets import PythonAbi, parse_target


def add_build_arguments(parser: argparse.ArgumentParser, default_out: str, many_inputs: bool = False) -> None:
    if many_inputs:
        parser.add_argument(
            "inputs",
            nargs="*",
            type=Path,
            metavar="INPUT",
            help="a project directory (default: .), its sdist (.tar.gz), or prebuilt wheels to fuse",
        )
    else:
        parser.add_argument(
            "project_dir", nargs="?", default=".", type=Path, help="project directory (default: .)"
        )

    parser.add_argument(
        "-o", "--out-dir", type=Path, default=None, help=f"output directory (default: {default_out})"
    )
    parser.add_argument(
        "--target", action="append", default=[], metavar="T", help="build only this target (repeatable)"
    )
    parser.add_argument(
        "--python", action="append", default=[], metavar="P", help="'cpXY-abi3' or 'cpXY' (repeatable)"
    )
    parser.add_argument(
        "--builder",
        action="append",
        default=[],
        metavar="[TARGET=]NAME",
        help="builder for all targets, or TARGET=NAME for one (repeatable)",
    )
    parser.add_argument(
        "-j", "--jobs", type=int, default=None, metavar="N", help="targets built at once (default: CPUs)"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="compile everything; ignore the payload cache"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show compiler commands")
    parser.set_defaults(default_out=default_out)


def options_from(args: argparse.Namespace) -> Options:
    default_out = (
        Path(args.default_out) if args.project_dir.is_file() else args.project_dir / args.default_out
    )
    out_dir = args.out_dir if args.out_dir is not None else default_out

    if args.jobs is not None and args.jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, not {args.jobs}")
    options = Options(
        project_dir=args.project_dir,
        out_dir=out_dir,
        targets=tuple(parse_target(t, "--target") for t in args.target),
        abis=tuple(PythonAbi.parse(p, "--python") for p in args.python),
        builders=dict(_parse_builder(b) for b in args.builder),
    )
    if args.jobs is not None:
        options = dataclasses.replace(options, jobs=args.jobs)
    if args.no_cache:
        options = dataclasses.replace(options, cache_dir=None)
    return options


def _parse_builder(text: str) -> tuple[str, str]:
    target, sep, name = text.rpartition("=")
    if not sep:
        return ("*", name)
    if not name:
        raise ConfigError(f"--builder {text!r}: expected NAME or TARGET=NAME")
    return (parse_target(target, "--builder").name, name)


def print_progress(report: TargetReport) -> None:
    status = "failed" if report.error else "done"
    if report.error:
        detail = str(report.error).split(": ")[0]
    else:
        detail = f"{report.payloads} payload(s)" + (f", {report.cached} from cache" if report.cached else "")
    print(
        f"{report.target.name:<16} {status:<6} {report.seconds:6.1f}s  [{report.builder}] {detail}",
        file=sys.stderr,
    )
