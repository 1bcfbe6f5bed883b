from pathlib import Path

import pytest

from fatpack.config import load_project
from fatpack.errors import ConfigError
from fatpack.targets import TARGETS, PythonAbi


def test_defaults(demo_project: Path):
    config = load_project(demo_project)
    assert (config.name, config.version) == ("demo", "1.0")
    assert [t.name for t in config.targets] == ["linux_x86_64", "win_amd64"]
    assert config.abis == (PythonAbi(8, True),)
    assert config.builder == "zig" and config.strip is True
    (ext,) = config.extensions
    assert ext.name == "demo._speed" and ext.basename == "_speed"
    assert ext.sources == (demo_project / "src/demo/_speed.c",)


def test_all_extension_keys(make_project):
    root = make_project(
        tool="""
        targets = ["win_amd64"]
        python = ["cp38-abi3", "cp311"]
        builders = { win_amd64 = "zig" }
        [[tool.fatpack.extension]]
        name = "pkg.sub._x"
        sources = ["x.c"]
        include-dirs = ["inc"]
        define-macros = [["A", "1"], ["B"], "C", "D=2"]
        undef-macros = ["NDEBUG"]
        libraries = ["m"]
        library-dirs = ["lib"]
        extra-compile-args = ["-Wall"]
        extra-link-args = ["-Wl,-x"]
        language = "c++"
        """,
        files={"x.c": ""},
    )
    config = load_project(root)
    (ext,) = config.extensions
    assert ext.define_macros == (("A", "1"), ("B", None), ("C", None), ("D", "2"))
    assert ext.include_dirs == (root / "inc",) and ext.library_dirs == (root / "lib",)
    assert (ext.undef_macros, ext.libraries, ext.language) == (("NDEBUG",), ("m",), "c++")
    assert [a.tag for a in config.abis] == ["cp38-abi3", "cp311"]
    assert config.builder_for(config.targets[0]) == "zig"


@pytest.mark.parametrize(
    ("tool", "message"),
    [
        ('colour = "red"\n', r"unknown key tool.fatpack.colour"),
        ('targets = ["linux_x86_64", "win_amd46"]\n', r"unknown target 'win_amd46' in tool.fatpack.targets"),
        ('targets = "linux_x86_64"\n', r"tool.fatpack.targets must be a list of strings"),
        ("targets = []\n", r"tool.fatpack.targets is empty"),
        ('python = ["cp38-abi4"]\n', r"unknown Python ABI 'cp38-abi4' in tool.fatpack.python"),
        ("strip = 1\n", r"tool.fatpack.strip must be true or false"),
        ('builders = { win_amd46 = "zig" }\n', r"unknown target 'win_amd46' in tool.fatpack.builders"),
        (
            '[[tool.fatpack.extension]]\nname = "a.b"\nsources = ["x.c"]\nsourcez = []\n',
            r"unknown key tool.fatpack.extension\[0\].sourcez",
        ),
        (
            '[[tool.fatpack.extension]]\nname = "a.b-c"\nsources = ["x.c"]\n',
            r"'a.b-c' is not a dotted Python module name",
        ),
        (
            '[[tool.fatpack.extension]]\nname = "a.b"\nsources = ["missing.c"]\n',
            r"extension 'a.b': source missing.c does not exist",
        ),
        ('[[tool.fatpack.extension]]\nname = "a.b"\nsources = []\n', r"extension 'a.b' has no sources"),
        (
            '[[tool.fatpack.extension]]\nname = "a.b"\nsources = ["x.c"]\nlanguage = "rust"\n',
            r"language must be 'c' or 'c\+\+'",
        ),
        (
            '[[tool.fatpack.extension]]\nname = "a.b"\nsources = ["x.c"]\ndefine-macros = [1]\n',
            r"define-macros: 1 is not",
        ),
        (
            '[[tool.fatpack.extension]]\nname = "a.b"\nsources = ["x.c"]\n[[tool.fatpack.extension]]\nname = "a.b"\nsources = ["x.c"]\n',
            r"'a.b' is declared twice",
        ),
        ('[[tool.fatpack.extension]]\nsources = ["x.c"]\n', r"tool.fatpack.extension\[0\] has no 'name'"),
    ],
)
def test_config_errors_name_the_key_or_value(make_project, tool, message):
    root = make_project(tool=tool, files={"x.c": ""})
    with pytest.raises(ConfigError, match=message):
        load_project(root)


def test_broken_toml_names_the_file(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[project\nname = 'x'")
    with pytest.raises(ConfigError, match=r"pyproject.toml is not valid TOML"):
        load_project(tmp_path)


def test_missing_pyproject(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"pyproject.toml not found"):
        load_project(tmp_path)


def test_a_missing_version_is_called_missing_not_dynamic(make_project):
    # a version forgotten was refused as "dynamic versions unsupported", which it is not
    root = make_project(project='[project]\nname = "x"\n')
    with pytest.raises(ConfigError) as raised:
        load_project(root)
    assert (
        str(raised.value)
        == 'project.version is missing: add version = "1.0" (say) to [project] in pyproject.toml'
    )


def test_dynamic_version_is_refused(make_project):
    root = make_project(project='[project]\nname = "x"\ndynamic = ["version"]\n')
    with pytest.raises(ConfigError, match=r"project.version must be set statically"):
        load_project(root)


OS_EXTENSION = '[[tool.fatpack.extension]]\nname = "demo._x"\nsources = ["x.c"]\n'


def test_extension_os_list_and_per_os_sources(make_project):
    root = make_project(
        tool=OS_EXTENSION + 'os = ["windows"]\n[tool.fatpack.extension.windows]\nsources = ["win.c"]\n',
        files={"x.c": "", "win.c": ""},
    )
    (ext,) = load_project(root).extensions
    assert ext.oses == ("windows",)
    assert ext.builds_for(TARGETS["win_amd64"]) and not ext.builds_for(TARGETS["linux_x86_64"])
    assert [s.name for s in ext.for_target(TARGETS["win_amd64"]).sources] == ["x.c", "win.c"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('os = ["beos"]\n', r"extension 'demo._x': os 'beos' is not one of linux, windows, macos"),
        (
            '[tool.fatpack.extension.windows]\nsources = ["gone.c"]\n',
            r"extension 'demo._x'.windows: source gone.c does not exist",
        ),
        (
            '[tool.fatpack.extension.linux]\nsources = ["x.pyx"]\n',
            r"extension 'demo._x'.linux: Cython sources \(.pyx\) belong in the extension's own sources",
        ),
    ],
)
def test_bad_os_settings(make_project, extra, message):
    root = make_project(tool=OS_EXTENSION + extra, files={"x.c": "", "x.pyx": ""})
    with pytest.raises(ConfigError, match=message):
        load_project(root)


def test_python_shorthand_in_config(make_project):
    root = make_project(
        tool='python = ["cp313+", "cp310-abi3"]\n[[tool.fatpack.extension]]\nname = "m._x"\nsources = ["x.c"]\n',
        files={"x.c": ""},
    )
    assert [a.tag for a in load_project(root).abis] == ["cp313", "cp314", "cp315", "cp310-abi3"]
