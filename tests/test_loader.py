"""The runtime loader's choices, with pretend hosts (no binaries involved)."""

import pytest

from runtime_loader import loader
from runtime_loader.loader import Entry, Host, parse_manifest, select_payload

MANIFEST = """module\ttarget\tabi\tpython\tfile\tsha256
pkg._x\tlinux_x86_64\tabi3\t3.8\tlinux_x86_64/pkg._x.abi3.so\taa
pkg._x\tlinux_x86_64\tcp311\t3.11\tlinux_x86_64/pkg._x.cp311.so\tbb
pkg._x\twin_amd64\tabi3\t3.8\twin_amd64/pkg._x.abi3.pyd\tcc
pkg._x\twin_amd64\tabi3\t3.10\twin_amd64/pkg._x.abi3.pyd\tdd
pkg._y\twin_amd64\tcp312\t3.12\twin_amd64/pkg._y.cp312.pyd\tee
"""
ENTRIES = parse_manifest(MANIFEST)


def host(target, version, flags="", implementation="cpython"):
    return Host((target,), version, flags, implementation)


def chosen(module, h):
    entry = select_payload(ENTRIES, module, h)
    return None if entry is None else (entry.target, entry.abi, entry.python)


@pytest.mark.parametrize(
    ("h", "expected"),
    [
        (host("linux_x86_64", (3, 11)), ("linux_x86_64", "cp311", (3, 11))),  # version-specific wins
        (host("linux_x86_64", (3, 12)), ("linux_x86_64", "abi3", (3, 8))),
        (host("linux_x86_64", (3, 8)), ("linux_x86_64", "abi3", (3, 8))),
        (host("win_amd64", (3, 9)), ("win_amd64", "abi3", (3, 8))),
        (host("win_amd64", (3, 13)), ("win_amd64", "abi3", (3, 10))),  # newest abi3 floor that fits
        (host("linux_aarch64", (3, 11)), None),  # no payload for the arch
        (host("win_arm64", (3, 11)), None),
        (host("linux_x86_64", (3, 13), flags="t"), None),  # free-threaded cannot load abi3
        (host("linux_x86_64", (3, 11), implementation="pypy"), None),
    ],
)
def test_selection(h, expected):
    assert chosen("pkg._x", h) == expected


def test_version_specific_only_for_its_version():
    assert chosen("pkg._y", host("win_amd64", (3, 12))) == ("win_amd64", "cp312", (3, 12))
    assert chosen("pkg._y", host("win_amd64", (3, 13))) is None


def test_abi3_floor_is_respected():
    entries = parse_manifest("module\ttarget\tabi\tpython\tfile\tsha256\nm\tlinux_x86_64\tabi3\t3.10\tf\ts\n")
    assert select_payload(entries, "m", host("linux_x86_64", (3, 9))) is None
    assert select_payload(entries, "m", host("linux_x86_64", (3, 10))) is not None


def test_explain_lists_every_entry_considered():
    lines = []
    select_payload(ENTRIES, "pkg._x", host("win_amd64", (3, 9)), lines.append)
    assert "  skip cp38-abi3-linux_x86_64: built for linux_x86_64" in lines
    assert "  skip cp310-abi3-win_amd64: needs Python >= 3.10" in lines
    assert "  candidate cp38-abi3-win_amd64" in lines


@pytest.mark.parametrize(
    ("suffix", "targets", "flags"),
    [
        (".cpython-311-x86_64-linux-gnu.so", ("linux_x86_64",), ""),
        (".cpython-312-aarch64-linux-gnu.so", ("linux_aarch64",), ""),
        (".cpython-313t-x86_64-linux-gnu.so", ("linux_x86_64",), "t"),
        (".cpython-311-x86_64-linux-musl.so", ("musllinux_x86_64",), ""),
        (".cp311-win_amd64.pyd", ("win_amd64",), ""),
        (".cp38-win32.pyd", ("win32",), ""),
        (".cp313t-win_arm64.pyd", ("win_arm64",), "t"),
        ("_d.cp311-win_amd64.pyd", ("win_amd64",), "d"),
        (".so", (), ""),
    ],
)
def test_host_from_extension_suffix(suffix, targets, flags):
    assert loader._platform_from_suffix(suffix) == (targets, flags)


def test_host_key_names_version_and_target():
    assert host("linux_aarch64", (3, 12)).key == "cp312-linux_aarch64"
    assert Host((), (3, 11)).key == "cp311-unknown"


def test_this_host_is_detected():
    detected = loader.detect_host()
    assert detected.targets == ("linux_x86_64",)


def test_manifest_must_have_header():
    with pytest.raises(ImportError, match="not a fatpack manifest"):
        parse_manifest("pkg._x\tlinux_x86_64\tabi3\t3.8\tf\ts\n")


def test_entry_label():
    assert Entry("m", "win_amd64", "abi3", "3.8", "f", "s").label == "cp38-abi3-win_amd64"
    assert Entry("m", "win_amd64", "cp311", "3.11", "f", "s").label == "cp311-win_amd64"
