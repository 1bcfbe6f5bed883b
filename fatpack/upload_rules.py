"""What PyPI checks when a wheel is uploaded (warehouse's forklift), checked before anyone uploads.

The zip itself: no member name twice, no control character (0-31, 127) in a member name, no member
comment, no data descriptors, only STORED or DEFLATE, every local header agreeing with its central
directory entry, nothing after the end of the archive, and an archive whose members together are
over 64 MiB must not inflate more than 50 times its own size (the whole archive, as warehouse's
`_is_valid_dist_file` measures it: many small members count too).
The file name: every platform tag (compressed tag
sets expanded) from the list PyPI accepts. RECORD is checked by verify itself. Each violation names
the rule it breaks.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections import Counter
from dataclasses import dataclass

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

ARCHIVE = "(zip)"  # the member name of a problem with the archive as a whole
FILE_NAME = "(file name)"
RATIO_LIMIT = 50
RATIO_FLOOR = 64 * 1024 * 1024  # the ratio is checked for archives whose members add up to more
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_END_OF_CENTRAL_DIRECTORY = struct.Struct("<4s4H2LH")
_DATA_DESCRIPTOR_FLAG = 0x08
_UTF8_FLAG = 0x800
_ZIP64_SIZE = 0xFFFFFFFF

# warehouse/forklift/legacy.py: the platform tags PyPI accepts
_ALLOWED_PLATFORMS = frozenset(
    {
        "any",
        "win32",
        "win_arm64",
        "win_amd64",
        "win_ia64",
        "manylinux1_x86_64",
        "manylinux1_i686",
        "manylinux2010_x86_64",
        "manylinux2010_i686",
        "manylinux2014_x86_64",
        "manylinux2014_i686",
        "manylinux2014_aarch64",
        "manylinux2014_armv7l",
        "manylinux2014_ppc64",
        "manylinux2014_ppc64le",
        "manylinux2014_s390x",
        "linux_armv6l",
        "linux_armv7l",
    }
)
_MACOS = re.compile(r"^macosx_(\d+)_(\d+)_(?P<arch>.+)$")
_MACOS_ARCHES = frozenset(
    {"ppc", "ppc64", "i386", "x86_64", "arm64", "intel", "fat", "fat3", "fat64", "universal", "universal2"}
)
_LINUX = re.compile(r"^(?P<libc>many|musl)linux_(\d+)_(\d+)_(?P<arch>.+)$")
_LINUX_ARCHES = frozenset({"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64"})
_MANYLINUX_ARCHES = _LINUX_ARCHES | {"ppc64"}
_IOS = re.compile(r"^ios_(\d+)_(\d+)_(?P<arch>.+)_(iphoneos|iphonesimulator)$")
_ANDROID = re.compile(r"^android_(\d+)_(?P<arch>.+)$")


@dataclass(frozen=True)
class Violation:
    member: str  # the member at fault, or ARCHIVE / FILE_NAME
    rule: str  # "zip-duplicate", "zip-name-character", "zip-comment", "zip-data-descriptor",
    # "zip-compression", "zip-local-header", "zip-trailing-data", "zip-ratio", "platform-tag"
    message: str


def upload_violations(filename: str, data: bytes) -> list[Violation]:
    """Every rule of PyPI's upload checks that the archive `data`, called `filename`, breaks."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
    found = _duplicates(infos) + _trailing_data(data) + _ratio(infos, len(data))
    for info in infos:
        found += _member_violations(info, data)
    if filename.endswith(".whl"):
        found += _platform_tag_violations(filename)
    return found


def _duplicates(infos: list[zipfile.ZipInfo]) -> list[Violation]:
    counts = Counter(info.filename for info in infos)
    return [
        Violation(name, "zip-duplicate", f"appears {n} times in the zip; PyPI refuses duplicate names")
        for name, n in sorted(counts.items())
        if n > 1
    ]


def _ratio(infos: list[zipfile.ZipInfo], archive_size: int) -> list[Violation]:
    inflated = sum(info.file_size for info in infos)
    if inflated > RATIO_FLOOR and inflated > RATIO_LIMIT * max(archive_size, 1):
        return [
            Violation(
                ARCHIVE,
                "zip-ratio",
                f"inflates {inflated // max(archive_size, 1)} times its size; PyPI refuses more than "
                f"{RATIO_LIMIT} times once the members add up to over 64 MiB",
            )
        ]
    return []


_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f]")


def _member_violations(info: zipfile.ZipInfo, data: bytes) -> list[Violation]:
    found = []
    if _CONTROL_CHARACTERS.search(info.filename):
        found.append(
            Violation(
                info.filename,
                "zip-name-character",
                "has a control character in its name; PyPI refuses characters 0-31 and 127",
            )
        )
    if info.comment:
        found.append(Violation(info.filename, "zip-comment", "has a comment; PyPI refuses member comments"))
    if info.flag_bits & _DATA_DESCRIPTOR_FLAG:
        found.append(
            Violation(info.filename, "zip-data-descriptor", "uses a data descriptor; PyPI refuses them")
        )
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        found.append(
            Violation(
                info.filename,
                "zip-compression",
                f"compression method {info.compress_type}; PyPI accepts only STORED (0) and DEFLATE (8)",
            )
        )
    mismatch = _local_header_mismatch(info, data)
    if mismatch:
        found.append(
            Violation(
                info.filename,
                "zip-local-header",
                f"local header disagrees with the central directory: {mismatch}",
            )
        )
    return found


def _local_header_mismatch(info: zipfile.ZipInfo, data: bytes) -> str:
    offset = info.header_offset
    if offset < 0 or offset + _LOCAL_HEADER.size > len(data):
        return "no local header at its offset"
    signature, _, flags, method, _, _, crc, csize, usize, name_length, _ = _LOCAL_HEADER.unpack_from(
        data, offset
    )
    if signature != b"PK\x03\x04":
        return "no local header at its offset"
    name = data[offset + _LOCAL_HEADER.size : offset + _LOCAL_HEADER.size + name_length]
    encoding = "utf-8" if info.flag_bits & _UTF8_FLAG else "cp437"
    if name != info.orig_filename.encode(encoding, "replace"):
        return f"name {name.decode(encoding, 'replace')!r}"
    if method != info.compress_type:
        return f"compression method {method}, not {info.compress_type}"
    if (flags ^ info.flag_bits) & ~_DATA_DESCRIPTOR_FLAG & 0xFFFF:
        return f"flags {flags:#x}, not {info.flag_bits:#x}"
    if not flags & _DATA_DESCRIPTOR_FLAG:
        if crc != info.CRC:
            return f"CRC {crc:#010x}, not {info.CRC:#010x}"
        if csize != _ZIP64_SIZE and (csize, usize) != (info.compress_size, info.file_size):
            return f"sizes {csize}/{usize}, not {info.compress_size}/{info.file_size}"
    return ""


def _trailing_data(data: bytes) -> list[Violation]:
    position = data.rfind(b"PK\x05\x06")
    if position < 0 or position + _END_OF_CENTRAL_DIRECTORY.size > len(data):
        return [Violation(ARCHIVE, "zip-trailing-data", "no end-of-central-directory record")]
    comment_length = _END_OF_CENTRAL_DIRECTORY.unpack_from(data, position)[-1]
    extra = len(data) - (position + _END_OF_CENTRAL_DIRECTORY.size + comment_length)
    if extra > 0:
        return [
            Violation(
                ARCHIVE, "zip-trailing-data", f"{extra} bytes after the end of the zip; PyPI refuses them"
            )
        ]
    return []


def _platform_tag_violations(filename: str) -> list[Violation]:
    try:
        tags = parse_wheel_filename(filename)[3]
    except InvalidWheelFilename as exc:
        return [Violation(FILE_NAME, "platform-tag", f"not a valid wheel file name: {exc}")]
    return [
        Violation(FILE_NAME, "platform-tag", f"platform tag {platform!r} is not one PyPI accepts")
        for platform in sorted({tag.platform for tag in tags})
        if not platform_allowed(platform)
    ]


def platform_allowed(platform: str) -> bool:
    """Whether PyPI accepts `platform` as a wheel's platform tag."""
    if platform in _ALLOWED_PLATFORMS:
        return True
    macos = _MACOS.match(platform)
    if macos:
        return macos.group("arch") in _MACOS_ARCHES
    linux = _LINUX.match(platform)
    if linux:
        arches = _MANYLINUX_ARCHES if linux.group("libc") == "many" else _LINUX_ARCHES
        return linux.group("arch") in arches
    ios = _IOS.match(platform)
    if ios:
        return ios.group("arch") in ("arm64", "x86_64")
    android = _ANDROID.match(platform)
    if android:
        return android.group("arch") in ("armeabi_v7a", "arm64_v8a", "x86", "x86_64")
    return False
