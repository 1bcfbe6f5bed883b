"""`fatpack build`: stop after the per-target binaries."""

from __future__ import annotations

import argparse

from fatpack.cli.options import add_build_arguments, options_from, print_progress
from fatpack.pipeline import build

HELP = "build the per-target binaries into OUT_DIR/<target>/ and stop"


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_build_arguments(parser, default_out="build/fatpack")


def execute(args: argparse.Namespace) -> int:
    for payload in build(options_from(args), progress=print_progress):
        print(payload.path)
    return 0
