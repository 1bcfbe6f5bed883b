"""The few exception classes fatpack raises; the CLI turns each into a one-line message."""

from __future__ import annotations

import copy
from collections.abc import Sequence


class FatpackError(Exception):
    """Root of every error fatpack reports to a user (never a traceback)."""


class ConfigError(FatpackError):
    """The project's configuration is missing, malformed or names something unknown."""


class ToolchainError(FatpackError):
    """A compiler or tool fatpack needs is missing or unusable."""


class BuildError(FatpackError):
    """A compiler or build command ran and failed."""

    def __init__(self, message: str, command: Sequence[str] = (), returncode: int = 0, output: str = ""):
        super().__init__(message)
        self.command = list(command)
        self.returncode = returncode
        self.output = output


class ArtifactError(FatpackError):
    """Writing or reading an artifact (wheel, payload directory) failed."""


def in_context(exc: FatpackError, context: str) -> FatpackError:
    """`exc` (same class, same command and output) with its line starting '<context>: '."""
    said = copy.copy(exc)
    said.args = (f"{context}: {exc}",)
    return said
