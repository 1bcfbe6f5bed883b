"""The runtime loader's choices, with pretend hosts (no binaries involved)."""

import pytest

from runtime_loader import loader
from runtime_loader.loader import Entry, Host, parse_manifest, select_payload

MANIFEST = """module\ttarget\tabi\tpython\trequires\tfile\tsha256
pkg._x\tlinux_x86_64\tabi3\t3.8\tglibc 2.17\tlinux_x86_64/pkg._x.abi3.so\taa
pkg._x\tlinux_x86_64\tcp311\t3.11\tglibc 2.17\tlinux_x86_64/pkg._x.cp311.so\tbb
pkg._x\twin_amd64\tabi3\t3.8\t\twin_amd64/pkg._x.abi3.pyd\tcc
pkg._x\twin_amd64\tabi3\t3.10\t\twin_amd64/pkg._x.abi3.pyd\tdd
pkg._y\twin_amd64\tcp312\t3.12\t\twin_amd64/pkg._y.cp312.pyd\tee
"""
ENTRIES = parse_manifest(MANIFEST)


def host(target, version, flags="", implementation="cpython", floors=None):
    if floors is None:
        floors = {"glibc": (2, 36)} if target.startswith("linux_") else {}
    return Host((target,), version, flags, implementation, floors)


def chosen(module, h, entries=ENTRIES):
    entry, _ = select_payload(entries, module, h)
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
    entries = parse_manifest(
        "module\ttarget\tabi\tpython\trequires\tfile\tsha256\nm\tlinux_x86_64\tabi3\t3.10\t\tf\ts\n"
    )
    assert chosen("m", host("linux_x86_64", (3, 9)), entries) is None
    assert chosen("m", host("linux_x86_64", (3, 10)), entries) is not None


def test_every_entry_passed_over_has_a_reason():
    best, rejected = select_payload(ENTRIES, "pkg._x", host("win_amd64", (3, 9)))
    assert best.label == "cp38-abi3-win_amd64"
    reasons = {(e.label, r) for e, r in rejected}
    assert ("cp38-abi3-linux_x86_64", "built for linux_x86_64") in reasons
    assert ("cp310-abi3-win_amd64", "needs Python >= 3.10") in reasons
    assert len(rejected) == 3


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
        parse_manifest("pkg._x\tlinux_x86_64\tabi3\t3.8\t\tf\ts\n")


def test_manifest_columns_added_later_are_ignored():
    (entry,) = parse_manifest(MANIFEST.splitlines()[0] + "\tfuture\n" + MANIFEST.splitlines()[1] + "\tx\n")
    assert entry.sha256 == "aa"


def test_entry_label():
    assert Entry("m", "win_amd64", "abi3", "3.8", "", "f", "s").label == "cp38-abi3-win_amd64"
    assert Entry("m", "linux_x86_64", "cp311", "3.11", "glibc 2.17", "f", "s").label == "cp311-linux_x86_64"


ALL = parse_manifest(
    "module\ttarget\tabi\tpython\trequires\tfile\tsha256\n"
    + "".join(
        f"m\t{target}\tabi3\t3.8\t{requires}\t{target}/m.abi3\tx\n"
        for target, requires in [
            ("linux_x86_64", "glibc 2.17"),
            ("linux_aarch64", "glibc 2.28"),
            ("musllinux_x86_64", ""),
            ("musllinux_aarch64", ""),
            ("win_amd64", ""),
            ("win_arm64", ""),
            ("win32", ""),
            ("macosx_x86_64", "macos 10.9"),
            ("macosx_arm64", "macos 11.0"),
        ]
    )
)
UNIVERSAL = parse_manifest(
    "module\ttarget\tabi\tpython\trequires\tfile\tsha256\nm\tmacosx_universal2\tabi3\t3.8\tmacos 10.9\tu/m.abi3\tx\n"
)


@pytest.mark.parametrize(
    ("suffix", "floors", "expected"),
    [
        (".cpython-311-x86_64-linux-gnu.so", {"glibc": (2, 17)}, "linux_x86_64"),
        (".cpython-311-aarch64-linux-gnu.so", {"glibc": (2, 36)}, "linux_aarch64"),
        (".cpython-311-x86_64-linux-musl.so", {}, "musllinux_x86_64"),  # musl never takes a glibc payload
        (".cpython-312-aarch64-linux-musl.so", {}, "musllinux_aarch64"),
        (".cp311-win_amd64.pyd", {}, "win_amd64"),  # x64 Python on an ARM64 machine reports win_amd64
        (".cp311-win_arm64.pyd", {}, "win_arm64"),
        (".cp38-win32.pyd", {}, "win32"),
    ],
)
def test_every_target_chosen_by_the_interpreters_platform(suffix, floors, expected):
    targets, flags = loader._platform_from_suffix(suffix)
    h = Host(targets, (3, 12), flags, "cpython", floors)
    assert chosen("m", h, ALL)[0] == expected


@pytest.mark.parametrize(
    ("machine", "macos", "expected"),
    [("arm64", (14, 1), "macosx_arm64"), ("x86_64", (10, 15), "macosx_x86_64")],
)
def test_macos_by_interpreter_arch(monkeypatch, machine, macos, expected):
    monkeypatch.setattr(
        loader.os, "uname", lambda: type("u", (), {"machine": machine, "release": "23.1.0"})()
    )
    targets, _ = loader._platform_from_suffix(".cpython-311-darwin.so")
    assert targets == (f"macosx_{machine}", "macosx_universal2")
    assert chosen("m", Host(targets, (3, 11), floors={"macos": macos}), ALL)[0] == expected
    # a package carrying only a universal2 payload serves both architectures
    assert chosen("m", Host(targets, (3, 11), floors={"macos": macos}), UNIVERSAL)[0] == "macosx_universal2"


def test_glibc_too_old_says_exactly_that():
    h = Host(("linux_aarch64",), (3, 11), floors={"glibc": (2, 17)})
    best, rejected = select_payload(ALL, "m", h)
    assert best is None
    assert loader.no_payload_message("m", h, rejected) == (
        "m: no usable native payload for this interpreter (cp311-linux_aarch64): "
        "cp38-abi3-linux_aarch64 needs glibc 2.28, this host has 2.17"
    )


def test_macos_too_old_says_exactly_that():
    h = Host(("macosx_arm64", "macosx_universal2"), (3, 11), floors={"macos": (10, 15)})
    best, rejected = select_payload(ALL, "m", h)
    assert best is None
    assert "cp38-abi3-macosx_arm64 needs macOS 11.0, this host has 10.15" in loader.no_payload_message(
        "m", h, rejected
    )


def test_no_payload_for_platform_lists_what_is_carried():
    h = Host(("linux_riscv64",), (3, 12), floors={"glibc": (2, 39)})
    best, rejected = select_payload(ALL[:2], "m", h)
    assert best is None
    assert loader.no_payload_message("m", h, rejected) == (
        "m: no native payload for this interpreter (cp312-linux_riscv64); "
        "the package carries: cp38-abi3-linux_aarch64, cp38-abi3-linux_x86_64"
    )


@pytest.mark.parametrize(
    ("release", "macos"),
    [("23.1.0", (14, 0)), ("20.6.0", (11, 0)), ("19.6.0", (10, 15)), ("13.4.0", (10, 9))],
)
def test_macos_version_from_darwin_kernel(monkeypatch, release, macos):
    monkeypatch.setattr(loader.os, "uname", lambda: type("u", (), {"machine": "arm64", "release": release})())
    assert loader._host_floors(("macosx_arm64",)) == {"macos": macos}


def test_this_hosts_glibc_is_read():
    import os

    floors = loader._host_floors(("linux_x86_64",))
    assert floors["glibc"] == tuple(int(p) for p in os.confstr("CS_GNU_LIBC_VERSION").split()[1].split("."))
