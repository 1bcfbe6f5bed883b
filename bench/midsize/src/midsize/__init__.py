"""midsize: a mid-sized C library with Python bindings, used by fatpack's benchmarks."""

from midsize._core import *  # noqa: F403
