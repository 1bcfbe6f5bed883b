import pytest

from fatpack.errors import ConfigError
from fatpack.targets import NEWEST_MINOR, TARGETS, PythonAbi, parse_abi_list, parse_abis, parse_target


def test_known_targets_have_triples_and_suffixes():
    assert parse_target("linux_x86_64").zig_triple == "x86_64-linux-gnu.2.17"
    assert parse_target("win_amd64").zig_triple == "x86_64-windows-gnu"
    assert TARGETS["win_amd64"].extension_suffix == ".pyd"
    assert TARGETS["linux_x86_64"].extension_suffix == ".so"


def test_unknown_target_names_value_and_suggests():
    with pytest.raises(
        ConfigError, match=r"unknown target 'win_amd46' in tool\.fatpack\.targets .*did you mean 'win_amd64'"
    ):
        parse_target("win_amd46", "tool.fatpack.targets")


@pytest.mark.parametrize(
    ("text", "minor", "abi3", "label", "limited"),
    [
        ("cp38-abi3", 8, True, "abi3", "0x03080000"),
        ("cp311", 11, False, "cp311", None),
        ("cp313-abi3", 13, True, "abi3", "0x030D0000"),
    ],
)
def test_parse_abi(text, minor, abi3, label, limited):
    abi = PythonAbi.parse(text)
    assert (abi.minor, abi.abi3, abi.label, abi.tag) == (minor, abi3, label, text)
    if limited:
        assert abi.limited_api_hex == limited


@pytest.mark.parametrize("text", ["py38", "cp38-abi4", "cp3", "cp27", "cp37-abi3", "abi3", ""])
def test_bad_abi_is_config_error(text):
    with pytest.raises(ConfigError, match=r"Python ABI"):
        PythonAbi.parse(text)


def test_every_cpython_from_shorthand():
    assert [a.tag for a in parse_abis("cp312+")] == [f"cp3{m}" for m in range(12, NEWEST_MINOR + 1)]
    assert [a.tag for a in parse_abis(f"cp3{NEWEST_MINOR}+")] == [f"cp3{NEWEST_MINOR}"]


def test_shorthand_mixed_with_abi3_fallback_and_duplicates():
    abis = parse_abi_list(["cp313", "cp311+", "cp39-abi3"])
    assert [a.tag for a in abis] == ["cp313", "cp311", "cp312"] + [
        f"cp3{m}" for m in range(14, NEWEST_MINOR + 1)
    ] + ["cp39-abi3"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cp37+", r"'cp37' in --python: fatpack supports CPython 3.8 and newer"),
        ("cp316+", r"'cp316\+' in --python: the newest CPython fatpack knows is 3.15; name it as 'cp316'"),
        ("cp311-abi3+", r"unknown Python ABI 'cp311-abi3\+' in --python"),
    ],
)
def test_bad_shorthand_is_one_line(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_abis(text, "--python")
