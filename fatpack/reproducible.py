"""One fixed timestamp for everything fatpack archives: SOURCE_DATE_EPOCH when set, else 1980-01-01.

Two builds of the same input are then byte-identical. A zip entry can only hold dates from 1980 to
2107, so the value is clamped to that range; a value that is not a whole number, or that the
compilers refuse (negative, or after the year 9999), is a ConfigError. fatpack checks it
before anything is compiled (`check_source_date_epoch`).
"""

from __future__ import annotations

import os
import re
import time

from fatpack.errors import ConfigError

ZIP_EARLIEST = 315532800  # 1980-01-01 00:00:00 UTC, the earliest date a zip entry can hold
ZIP_LATEST = 4354819198  # 2107-12-31 23:59:58 UTC, the latest (two-second resolution)
COMPILER_LATEST = 253402300799  # 9999-12-31 23:59:59 UTC, the largest value clang and zig accept


def source_date_epoch() -> int:
    """SOURCE_DATE_EPOCH clamped to zip's range; 1980-01-01 when it is not set."""
    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not text:
        return ZIP_EARLIEST
    if not re.fullmatch(r"[+-]?[0-9]+", text):  # int() alone also takes '1_0', other scripts' digits
        raise ConfigError(f"SOURCE_DATE_EPOCH {text[:40]!r} is not a whole number of seconds since 1970")
    sign, digits = ("-", text[1:]) if text[0] in "+-" else ("", text)
    digits = digits.lstrip("0") or "0"
    # gcc and clang (zig cc) refuse a negative value or one past 9999 (and int() refuses 4300 digits)
    if (sign and digits != "0") or len(digits) > len(str(COMPILER_LATEST)) or int(digits) > COMPILER_LATEST:
        raise ConfigError(
            f"SOURCE_DATE_EPOCH {text[:40]!r} is out of range: "
            f"compilers take 0 to {COMPILER_LATEST} (year 9999)"
        )
    return min(max(int(digits), ZIP_EARLIEST), ZIP_LATEST)


def check_source_date_epoch() -> None:
    """Refuse a SOURCE_DATE_EPOCH the compilers would refuse, before anything is compiled."""
    source_date_epoch()


def zip_date_time() -> tuple[int, int, int, int, int, int]:
    """The fixed timestamp as a zip entry's date_time."""
    t = time.gmtime(source_date_epoch())
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
