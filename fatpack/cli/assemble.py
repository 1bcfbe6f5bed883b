"""`fatpack assemble`: build every target's payloads and write one artifact."""

from __future__ import annotations

import argparse
import dataclasses

from fatpack.cli.options import add_build_arguments, options_from, print_progress
from fatpack.pipeline import assemble

HELP = "build all payloads and write one artifact, a py3-none-any wheel or an egg (its path is printed last)"


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_build_arguments(parser, default_out="dist")
    parser.add_argument(
        "--format",
        choices=("wheel", "egg"),
        default="wheel",
        help="wheel (default; what pip installs) or egg (for sys.path or a zipapp; pip cannot install eggs)",
    )


def execute(args: argparse.Namespace) -> int:
    options = dataclasses.replace(options_from(args), artifact_format=args.format)
    artifact = assemble(options, progress=print_progress)
    print(artifact)
    return 0
