"""`fatpack verify ARTIFACT`: every payload checked against its target; one line per problem (or --json)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fatpack.verify import verify_artifact

ENVIRONMENT: tuple[tuple[str, str], ...] = ()
HELP = (
    "check every payload of a wheel or egg: format and architecture, PyInit export, RECORD and manifest "
    "hashes, Windows DLLs (UCRT only), manylinux libraries and glibc floor, abi3 symbols, macOS floor"
)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("artifact", type=Path, help="a wheel or egg made by fatpack")
    parser.add_argument("--json", action="store_true", help="print a JSON report instead of lines")


def execute(args: argparse.Namespace) -> int:
    report = verify_artifact(args.artifact)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        for problem in report.problems:
            print(f"{args.artifact.name}: {problem}", file=sys.stderr)
        if not report.problems:
            print(f"{args.artifact}: {report.payloads} payload(s) verified")
    return 1 if report.problems else 0
