"""`fatpack assemble`: build every target's payloads and write one artifact."""

from __future__ import annotations

import argparse

from fatpack.cli.options import add_build_arguments, options_from, print_progress
from fatpack.pipeline import assemble

HELP = "build all payloads and write one py3-none-any wheel (its path is printed last)"


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_build_arguments(parser, default_out="dist")


def execute(args: argparse.Namespace) -> int:
    artifact = assemble(options_from(args), progress=print_progress)
    print(artifact)
    return 0
