"""`fatpack` command line: one module per subcommand, errors turned into one line here."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import textwrap
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn, Optional

from fatpack import __version__
from fatpack.errors import BuildError, FatpackError

# imported by main(), inside its error handling: they load the build side and the binary parsers
# (half a second), and Ctrl-C meanwhile must end in one line, not a traceback
SUBCOMMAND_NAMES = ("assemble", "build", "inspect", "targets", "test", "verify")


def subcommands() -> dict[str, ModuleType]:
    return {name: importlib.import_module(f"fatpack.cli.{name}") for name in SUBCOMMAND_NAMES}


class ArgumentParser(argparse.ArgumentParser):
    """argparse with fatpack's one-line errors: `error: ...` and a pointer to --help, no usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def make_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="fatpack",
        description="Build one wheel holding native extension binaries for every target platform.",
    )
    parser.add_argument("--version", action="version", version=f"fatpack {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from fatpack.cli.options import environment_help

    for name, module in subcommands().items():
        command = sub.add_parser(
            name,
            help=module.HELP,
            description=textwrap.fill(module.HELP, width=80),
            epilog=environment_help(module.ENVIRONMENT) if module.ENVIRONMENT else None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.configure_parser(command)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    _never_fail_on_encoding()
    try:
        args = make_parser().parse_args(argv)
        _configure_logging(verbose=getattr(args, "verbose", False))
        return int(subcommands()[args.command].execute(args) or 0)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.command:
            print(f"command: {' '.join(exc.command)}", file=sys.stderr)
        if exc.output:
            print(exc.output.rstrip(), file=sys.stderr)
        return 1
    except FatpackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `fatpack inspect W | head`: the reader left; no traceback, as cat says nothing
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit flush must not fail too
        return 141


def _never_fail_on_encoding() -> None:
    """A file name that is not valid in the terminal's encoding is printed with escapes, not a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _configure_logging(verbose: bool) -> None:
    """fatpack's own messages only (not those of libraries it uses), to stderr."""
    logger = logging.getLogger("fatpack")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
