import sys

import winbug


def test_payload_of_this_platform():
    assert winbug.platform() == ("windows" if sys.platform == "win32" else "other")


def test_double():
    assert winbug.double(21) == 42
