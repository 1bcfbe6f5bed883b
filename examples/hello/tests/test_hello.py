"""The example's own tests: `fatpack test dist/hello-1.0-py3-none-any.whl` runs them on every target's
real interpreter (the installed wheel is imported, not src/)."""

import sys

import hello


def test_add():
    assert hello.add(2, 40) == 42


def test_greet():
    assert hello.greet("fatpack") == "Hello, fatpack!"


def test_median():
    assert hello.median([5, 1, 4, 2, 3]) == 3


def test_built_for_this_os():
    expected = {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux")
    assert hello.built_for() == expected


def test_c_long_is_the_platforms():
    assert hello.sizeof_long() == (4 if sys.platform == "win32" else 8)
