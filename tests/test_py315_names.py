"""CPython 3.15's extension names (issue 22 item 3): what the loader reads from each interpreter's
EXTENSION_SUFFIXES, and the target's (never the build machine's) platform in a cross build's sysconfig.

The suffix lists are the real ones: Debian sid's python3.15 3.15.2 and python3.14 3.14.10 printed them
(tests/test_py315.py checks them again on those interpreters); the free-threaded, Windows and macOS
lists follow the same rule (PEP 803, FACTS), version-specific suffix first."""

from __future__ import annotations

from pathlib import Path

import pytest

from fatpack.crossenv import Tools, config_vars
from fatpack.interpreters import BuildPython
from fatpack.sdk import PythonSdk
from fatpack.targets import TARGETS
from runtime_loader import loader
from runtime_loader.loader import Host, parse_manifest, select_payload

SID_315 = [
    ".cpython-315-x86_64-linux-gnu.so",
    ".abi3-x86_64-linux-gnu.so",
    ".abi3.so",
    ".abi3t-x86_64-linux-gnu.so",
    ".abi3t.so",
    ".so",
]
SID_314 = [".cpython-314-x86_64-linux-gnu.so", ".abi3.so", ".abi3-x86_64-linux-gnu.so", ".so"]


@pytest.mark.parametrize(
    ("suffixes", "targets", "flags"),
    [
        (SID_315, ("linux_x86_64",), ""),
        (SID_314, ("linux_x86_64",), ""),
        (
            [".cpython-315t-x86_64-linux-gnu.so", ".abi3t-x86_64-linux-gnu.so", ".abi3t.so", ".so"],
            ("linux_x86_64",),
            "t",
        ),
        (
            [".cpython-315-aarch64-linux-gnu.so", ".abi3-aarch64-linux-gnu.so", ".abi3.so"],
            ("linux_aarch64",),
            "",
        ),
        ([".cp315-win_amd64.pyd", ".pyd"], ("win_amd64",), ""),
        ([".cpython-315-darwin.so", ".abi3-darwin.so", ".abi3.so", ".so"], None, ""),
    ],
)
def test_the_loader_reads_315s_platform_from_its_first_suffix(monkeypatch, suffixes, targets, flags):
    monkeypatch.setattr(loader, "extension_suffixes", lambda: suffixes)
    monkeypatch.setattr(loader, "_host_floors", lambda targets: {})
    host = loader.detect_host()
    if targets is None:  # macOS: the interpreter's own architecture, then universal2
        assert host.targets[1:] == ("macosx_universal2",) and host.targets[0].startswith("macosx_")
    else:
        assert host.targets == targets
    assert host.abiflags == flags


MANIFEST = """module\ttarget\tabi\tpython\trequires\tfile\tsha256
m\tlinux_x86_64\tabi3\t3.8\tglibc 2.17\tlinux_x86_64/abi3/m.abi3.so\ta
m\tlinux_x86_64\tcp315\t3.15\tglibc 2.17\tlinux_x86_64/cp315/m.cpython-315-x86_64-linux-gnu.so\tb
m\tlinux_x86_64\tcp314\t3.14\tglibc 2.17\tlinux_x86_64/cp314/m.cpython-314-x86_64-linux-gnu.so\tc
m\twin_amd64\tcp315\t3.15\t\twin_amd64/cp315/m.cp315-win_amd64.pyd\td
"""


def test_a_315_host_takes_its_version_specific_payload_then_abi3_and_a_315t_host_neither():
    entries = parse_manifest(MANIFEST)
    glibc = {"glibc": (2, 43)}
    best, _ = select_payload(entries, "m", Host(("linux_x86_64",), (3, 15), "", "cpython", glibc))
    assert best is not None and best.label == "cp315-linux_x86_64"
    without = [e for e in entries if e.abi != "cp315"]
    best, _ = select_payload(without, "m", Host(("linux_x86_64",), (3, 15), "", "cpython", glibc))
    assert best is not None and best.label == "cp38-abi3-linux_x86_64"
    best, rejected = select_payload(entries, "m", Host(("linux_x86_64",), (3, 15), "t", "cpython", glibc))
    assert best is None
    assert ("cp38-abi3-linux_x86_64", "abi3 cannot load on a 't' build of CPython") in {
        (e.label, why) for e, why in rejected
    }
    best, _ = select_payload(entries, "m", Host(("win_amd64",), (3, 15), "", "cpython", {}))
    assert best is not None and best.label == "cp315-win_amd64"


BUILD_315 = {
    "VERSION": "3.15",
    "SOABI_PLATFORM": "x86_64-linux-gnu",
    "EXT_SUFFIX": ".cpython-315-x86_64-linux-gnu.so",
}


@pytest.mark.parametrize(
    ("target", "platform", "suffix"),
    [
        ("linux_aarch64", "aarch64-linux-gnu", ".cpython-315-aarch64-linux-gnu.so"),
        ("musllinux_x86_64", "x86_64-linux-musl", ".cpython-315-x86_64-linux-musl.so"),
        ("macosx_arm64", "darwin", ".cpython-315-darwin.so"),
        ("win_amd64", "", ".cp315-win_amd64.pyd"),
    ],
)
def test_a_cross_builds_sysconfig_names_the_targets_platform_not_the_build_machines(
    tmp_path, target, platform, suffix
):
    """A 3.15 build interpreter's SOABI_PLATFORM (x86_64-linux-gnu) names the platform of abi3 suffixes
    setuptools derives: the cross sysconfig must say the target's."""
    python = BuildPython("python3.15", 15, dict(BUILD_315))
    variables = config_vars(
        TARGETS[target], python, PythonSdk((tmp_path,), ()), Tools("cc", "c++", "ar"), tmp_path
    )
    assert variables["SOABI_PLATFORM"] == platform
    assert variables["EXT_SUFFIX"] == suffix
    older = config_vars(
        TARGETS[target],
        BuildPython("python3.13", 13, {}),
        PythonSdk((tmp_path,), ()),
        Tools("cc", "c++", "ar"),
        tmp_path,
    )
    assert "SOABI_PLATFORM" not in older  # not invented for a Python that has none


def _sitecustomize_suffix(monkeypatch, variables):
    """The abi3 suffix the cross build's sitecustomize gives setuptools for these sysconfig variables
    (its source run without its last line, `_install()`, which imports the real setuptools)."""
    import sys
    import sysconfig
    import types

    build_ext = types.ModuleType("setuptools.command.build_ext")
    build_ext.get_abi3_suffix = lambda: "unpatched"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "setuptools.command.build_ext", build_ext)
    monkeypatch.setattr(sysconfig, "get_config_var", variables.get)
    path = Path(__file__).parent.parent / "fatpack" / "crossenv_site" / "sitecustomize.py"
    source = path.read_text()
    assert source.endswith("\n_install()\n")
    site = types.ModuleType("fatpack_test_sitecustomize")
    site.__file__ = str(path)
    exec(compile(source[: -len("_install()\n")], str(path), "exec"), site.__dict__)
    site._abi3_suffix_from_ext_suffix()
    return build_ext.get_abi3_suffix()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("ext_suffix", "expected"),
    [
        (".cpython-315-aarch64-linux-gnu.so", ".abi3.so"),
        (".cpython-315-darwin.so", ".abi3.so"),
        (".cp315-win_amd64.pyd", ".pyd"),
    ],
)
def test_a_315_abi3_module_keeps_the_name_every_gil_cpython_imports(monkeypatch, ext_suffix, expected):
    """`.abi3.so`, not `.abi3-<platform>.so` (3.14+ only): the abi3 payload serves 3.8 and up."""
    variables = {"EXT_SUFFIX": ext_suffix, "SOABI_PLATFORM": "aarch64-linux-gnu"}
    assert _sitecustomize_suffix(monkeypatch, variables) == expected
