import pytest

from fatpack.errors import ConfigError
from fatpack.targets import TARGETS, PythonAbi, parse_target


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
