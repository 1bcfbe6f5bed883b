"""`fatpack targets`: the supported targets, their zig triples and how they are verified here."""

from __future__ import annotations

import argparse

from fatpack.targets import TARGETS

HELP = "list supported targets"


def configure_parser(parser: argparse.ArgumentParser) -> None:
    pass


def execute(args: argparse.Namespace) -> int:
    for target in TARGETS.values():
        print(f"{target.name:<16} {target.zig_triple:<24} {target.description}; {target.how_verified}")
    return 0
