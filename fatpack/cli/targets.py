"""`fatpack targets`: the supported targets, their zig triples and what runs their payloads."""

from __future__ import annotations

import argparse

from fatpack.targets import DEFAULT_TARGETS, TARGETS, Target

HELP = "list supported targets: name, zig triple, what runs it"
ENVIRONMENT: tuple[tuple[str, str], ...] = ()


def configure_parser(parser: argparse.ArgumentParser) -> None:
    pass


def execute(args: argparse.Namespace) -> int:
    rows = [
        ("target", "zig triple", "runs on"),
        *((t.name, _triple(t), t.description) for t in TARGETS.values()),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for name, triple, runs_on in rows:
        print(f"{name:<{widths[0]}}  {triple:<{widths[1]}}  {runs_on}")
    print(
        f"\ndefault: {', '.join(DEFAULT_TARGETS)}; choose with `targets = [...]` in [tool.fatpack] "
        "or --target"
    )
    return 0


def _triple(target: Target) -> str:
    """zig's -target, or for a merged target the slices it is made of."""
    return target.zig_triple or " + ".join(TARGETS[s].zig_triple.split("-")[0] for s in target.slices)
