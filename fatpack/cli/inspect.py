"""`fatpack inspect ARTIFACT`: the matrix of modules x targets x Pythons an artifact carries, then a table
of its payloads (or --json)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fatpack.errors import ArtifactError
from fatpack.inspection import format_matrix, format_table, inspect_artifact

ENVIRONMENT: tuple[tuple[str, str], ...] = ()
HELP = (
    "list the payloads a wheel or egg carries: a matrix per module (targets x Pythons), then each payload's "
    "ABI, lowest Python, glibc/macOS floor and size"
)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("artifact", type=Path, help="a wheel or egg made by fatpack")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def execute(args: argparse.Namespace) -> int:
    if not args.artifact.exists():  # as `fatpack verify` says it, not as an OSError's repr
        raise ArtifactError(f"{args.artifact}: no such file")
    rows = inspect_artifact(args.artifact)
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], indent=2))
    else:
        matrix = format_matrix(rows)
        print(f"{matrix}\n\n{format_table(rows)}" if matrix else format_table(rows))
    return 0
