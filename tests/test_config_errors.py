"""A configuration with several mistakes is reported in one error naming every one of them."""

import re

import pytest

from fatpack.config import load_project
from fatpack.errors import ConfigError


def test_every_mistake_is_reported_at_once(make_project):
    root = make_project(
        tool="""
        targets = ["linux_x86_64", "win_amd65"]
        strip = "yes"
        [[tool.fatpack.extension]]
        name = "demo._a"
        sources = ["a.c"]
        include-dir = ["inc"]
        [[tool.fatpack.extension]]
        name = "demo._b"
        sources = ["missing.c"]
        [[tool.fatpack.extension]]
        name = "demo._c"
        sources = ["a.c"]
        link-with = ["nowhere"]
        """,
        files={"a.c": ""},
    )
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    message = str(caught.value)
    assert message.startswith("5 problems in the configuration: ")
    for part in (
        r"unknown key tool\.fatpack\.extension\[0\]\.include-dir .*did you mean 'include-dirs'\?",
        r"extension 'demo._b': source missing\.c does not exist",
        r"extension 'demo._c': link-with names 'nowhere'",
        r"win_amd65",
        r"tool\.fatpack\.strip must be true or false, not 'yes'",
    ):
        assert re.search(part, message), part


def test_one_mistake_reads_as_before(make_project):
    root = make_project(tool='strip = "yes"\n')
    with pytest.raises(ConfigError, match=r"^tool\.fatpack\.strip must be true or false, not 'yes'$"):
        load_project(root)


def test_a_broken_library_is_not_blamed_twice(make_project):
    """An extension linking a library whose own table is wrong gets no second 'no library declares'."""
    root = make_project(
        tool="""
        [[tool.fatpack.library]]
        name = "extra"
        sources = ["gone.c"]
        [[tool.fatpack.extension]]
        name = "demo._a"
        sources = ["a.c"]
        link-with = ["extra"]
        """,
        files={"a.c": ""},
    )
    with pytest.raises(ConfigError, match=r"^library 'extra': source gone\.c does not exist$"):
        load_project(root)
