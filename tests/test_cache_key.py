"""Extension settings are defined once (ExtensionConfig's fields): every one reaches the payload cache's
command key unless cache.NOT_IN_KEY says why not, every one is a pyproject key, and the README shows
every key."""

import dataclasses
import re
from pathlib import Path

import pytest
from conftest import REPO

from fatpack.cache import NOT_IN_KEY, cache_key
from fatpack.config import ExtensionConfig, _parse_extension, extension_keys
from fatpack.targets import TARGETS, PythonAbi

# a different value for each field that must change the key
CHANGED = {
    "name": "pkg.other",
    "include_dirs": (Path("/elsewhere/other"),),
    "define_macros": (("EXTRA", "1"),),
    "undef_macros": ("NDEBUG",),
    "libraries": ("z",),
    "library_dirs": (Path("/opt/lib"),),
    "extra_compile_args": ("-Wall",),
    "extra_link_args": ("-Wl,--as-needed",),
    "language": "c++",
}


def key(extension: ExtensionConfig) -> str:
    return cache_key(
        extension, TARGETS["linux_x86_64"], PythonAbi.parse("cp38-abi3"), True, "zig", "zig 1", "sdk"
    )


def test_every_setting_is_in_the_key_or_left_out_on_purpose():
    fields = {f.name for f in dataclasses.fields(ExtensionConfig)}
    assert fields - set(NOT_IN_KEY) == set(CHANGED), (
        "a new setting: add it to CHANGED, or to NOT_IN_KEY with why"
    )
    assert set(NOT_IN_KEY) <= fields


@pytest.mark.parametrize("name", sorted(CHANGED))
def test_changing_a_keyed_setting_changes_the_key(tmp_path, name):
    source = tmp_path / "m.c"
    source.write_text("int x;\n")
    base = ExtensionConfig("pkg.mod", (source,))
    assert key(dataclasses.replace(base, **{name: CHANGED[name]})) != key(base)


SAMPLES = {
    "name": "pkg.mod",
    "sources": ["m.c"],
    "include-dirs": ["inc"],
    "define-macros": ["A=1"],
    "undef-macros": ["B"],
    "libraries": ["z"],
    "library-dirs": ["lib"],
    "extra-compile-args": ["-Wall"],
    "extra-link-args": ["-s"],
    "language": "c++",
    "link-with": ["extra"],
    "builder": "native",
    "command": ["sh", "build.sh"],
    "os": ["linux"],
}


def test_every_extension_key_fills_its_field(tmp_path):
    """A key the parser accepts (derived from the fields) must also be read into its field."""
    assert set(extension_keys()) == set(SAMPLES), "a new key: add a sample value"
    (tmp_path / "m.c").write_text("")
    parsed = _parse_extension(dict(SAMPLES), tmp_path, "tool.fatpack.extension[0]")
    default = ExtensionConfig("pkg.mod", ())
    for key_name, field_name in extension_keys().items():
        if key_name != "name":
            assert getattr(parsed, field_name) != getattr(default, field_name), key_name


def test_the_readme_shows_every_extension_key():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("[[tool.fatpack.extension]]") :]
    block = block[: block.index("```")]
    shown = set(re.findall(r"^([a-z-]+) =", block, re.MULTILINE))
    assert set(extension_keys()) <= shown


def test_setuptools_extensions_become_known_keys():
    from fatpack.setuptools_project import _extension_table

    extension = {
        "name": "pkg.mod",
        "sources": ["m.cpp"],
        "include_dirs": ["inc"],
        "define_macros": [("A", "1")],
        "undef_macros": ["B"],
        "libraries": ["z"],
        "library_dirs": ["lib"],
        "extra_compile_args": ["-Wall"],
        "extra_link_args": ["-s"],
    }
    assert set(_extension_table(extension, "setup.py")) <= set(extension_keys())
