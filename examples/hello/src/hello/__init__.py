"""fatpack example package: a pure-Python front over one C extension."""

from hello._core import add, built_for, greet, median, sizeof_long

__all__ = ["add", "built_for", "greet", "median", "sizeof_long"]
