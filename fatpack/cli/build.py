"""`fatpack build`: stop after the per-target binaries."""

from __future__ import annotations

import argparse

from fatpack.cli.options import BUILD_ENVIRONMENT, add_build_arguments, options_from
from fatpack.cli.progress import Progress
from fatpack.pipeline import build
from fatpack.runner import run_command

HELP = "build the per-target binaries into OUT_DIR/<target>/ and stop (their paths are printed)"
ENVIRONMENT = BUILD_ENVIRONMENT


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_build_arguments(parser, default_out="build/fatpack")


def execute(args: argparse.Namespace) -> int:
    with Progress(tty=False if args.verbose else None) as progress:  # -v logs lines of its own
        payloads = build(options_from(args), progress.timed(run_command), progress.report)
    for payload in payloads:
        print(payload.path)
    return 0
