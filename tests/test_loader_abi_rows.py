"""The loader never takes a payload whose manifest `abi` it does not know, nor a PyPy payload for
another PyPy ABI when the PyPy also lists an untagged suffix (review h19). Loader-only imports, so this
file runs on CPython 3.8 too."""

import pytest

from runtime_loader.loader import Host, parse_manifest, select_payload

HEADER = "module\ttarget\tabi\tpython\trequires\tfile\tsha256\n"


def chosen(rows, version, flags="", implementation="cpython", suffixes=()):
    entries = parse_manifest(HEADER + "".join(f"m\tlinux_x86_64\t{r}\tx\n" for r in rows))
    host = Host(("linux_x86_64",), version, flags, implementation, {}, suffixes)
    best, rejected = select_payload(entries, "m", host)
    return (best.abi if best else None), [reason for _, reason in rejected]


@pytest.mark.parametrize(
    ("row", "version"),
    [
        ("cp313td\t3.13\t\tlinux_x86_64/m.cpython-313td-x86_64-linux-gnu.so", (3, 13)),  # debug ft
        ("cp311d\t3.11\t\tlinux_x86_64/m.cpython-311d-x86_64-linux-gnu.so", (3, 11)),  # debug
        ("gp311\t3.11\t\tlinux_x86_64/m.graalpy311-x86_64-linux.so", (3, 11)),  # another interpreter
        ("abi4\t3.11\t\tlinux_x86_64/m.abi4.so", (3, 11)),  # a future stable ABI
        ("cp312\t3.11\t\tlinux_x86_64/m.cpython-312-x86_64-linux-gnu.so", (3, 11)),  # abi and python disagree
        ("library\t3.11\t\tlinux_x86_64/libm.so", (3, 11)),  # a bundled library is never a module
    ],
)
def test_an_abi_this_loader_does_not_know_is_never_loaded_on_a_gil_cpython(row, version):
    best, reasons = chosen([row], version)
    assert best is None
    assert reasons and "not one this loader knows" in reasons[0]


def test_a_315_abi3t_row_is_not_taken_for_a_version_specific_payload():
    # PEP 803's abi3t: unknown to this loader; before the fix it outranked the abi3 payload as 'cp315'
    rows = ["abi3\t3.8\t\tlinux_x86_64/m.abi3.so", "abi3t\t3.15\t\tlinux_x86_64/m.abi3t.so"]
    assert chosen(rows, (3, 15))[0] == "abi3"


def test_the_known_abis_still_load():
    assert chosen(["cp311\t3.11\t\tf.so"], (3, 11))[0] == "cp311"
    assert chosen(["cp313t\t3.13\t\tf.so"], (3, 13), flags="t")[0] == "cp313t"
    assert chosen(["abi3\t3.8\t\tf.so"], (3, 12))[0] == "abi3"
    pypy = (".pypy311-pp80-x86_64-linux-gnu.so",)
    assert (
        chosen(["pp311\t3.11\t\tf.pypy311-pp80-x86_64-linux-gnu.so"], (3, 11), "", "pypy", pypy)[0] == "pp311"
    )


@pytest.mark.parametrize("untagged", [".so", ".abi3.so"])
def test_a_pypy_listing_an_untagged_suffix_still_refuses_another_pypy_abi(untagged):
    # Debian's and upstream's PyPy list one suffix; one that also lists '.so' must not take any .so
    suffixes = (".pypy311-pp73-x86_64-linux-gnu.so", untagged)
    row = "pp311\t3.11\t\tlinux_x86_64/pp311/m.pypy311-pp80-x86_64-linux-gnu.so"
    best, reasons = chosen([row], (3, 11), "", "pypy", suffixes)
    assert best is None
    assert "another PyPy ABI" in reasons[0]
