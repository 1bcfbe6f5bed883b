"""One fixed timestamp for everything fatpack archives: SOURCE_DATE_EPOCH when set, else 1980-01-01.

Two builds of the same input are then byte-identical. A zip entry can only hold dates from 1980 to
2107, so the value is clamped to that range for archives. The compilers fatpack runs read
SOURCE_DATE_EPOCH too (clang and zig for __DATE__/__TIME__) and refuse anything but 0 to 253402300799, so
fatpack refuses the same values up front (`check_source_date_epoch`), before anything is compiled.
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
    # int() alone also takes '1_0' and other scripts' digits; a sign is refused as compilers refuse it
    if not re.fullmatch(r"[0-9]+", text) or int(text) > COMPILER_LATEST:
        raise ConfigError(
            f"SOURCE_DATE_EPOCH {text[:40]!r} is not a whole number of seconds since 1970 "
            f"(0 to {COMPILER_LATEST}, as compilers require)"
        )
    return min(max(int(text), ZIP_EARLIEST), ZIP_LATEST)


def check_source_date_epoch() -> None:
    """Refuse a SOURCE_DATE_EPOCH the compilers would refuse, before anything is compiled."""
    source_date_epoch()


def zip_date_time() -> tuple[int, int, int, int, int, int]:
    """The fixed timestamp as a zip entry's date_time."""
    t = time.gmtime(source_date_epoch())
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
