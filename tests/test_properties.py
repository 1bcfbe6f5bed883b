"""Property tests: whatever the input, config parsing and wheel reading end in a fatpack error (which the
CLI prints as one line) or succeed -- never another exception."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fatpack import config as config_module
from fatpack.config import load_project, parse_project
from fatpack.errors import FatpackError
from fatpack.fuse import fuse
from fatpack.inspection import inspect_artifact
from fatpack.verify import verify_artifact
from fatpack.wheelfiles import read_wheel

SETTINGS = settings(
    max_examples=int(os.environ.get("FATPACK_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
FATPACK_KEYS = sorted(config_module._TOOL_KEYS)
EXTENSION_KEYS = [*sorted(config_module._EXTENSION_KEYS), "linux", "win_amd64"]  # + override tables
extension_tables = st.dictionaries(st.sampled_from(EXTENSION_KEYS), values, max_size=6)
fatpack_tables = st.dictionaries(
    st.sampled_from(FATPACK_KEYS),
    st.one_of(values, st.lists(extension_tables, max_size=3)),
    max_size=6,
)
projects = st.fixed_dictionaries(
    {
        "project": st.one_of(
            values, st.dictionaries(st.sampled_from(["name", "version", "dynamic"]), values, max_size=3)
        )
    }
)


def expect_fatpack_error_or_success(call) -> None:
    try:
        call()
    except FatpackError as exc:
        assert "\n" not in str(exc).strip() or "TOML" in str(exc)


@SETTINGS
@given(project=projects, tool=fatpack_tables)
def test_config_parsing_raises_only_config_errors(project, tool, tmp_path):
    data = {**project, "tool": {"fatpack": tool}}
    expect_fatpack_error_or_success(lambda: parse_project(data, tmp_path))


@SETTINGS
@given(text=st.text(max_size=300))
def test_any_pyproject_text_raises_only_config_errors(text, tmp_path):
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    expect_fatpack_error_or_success(lambda: load_project(tmp_path))


member_names = st.one_of(
    st.text(min_size=1, max_size=30),
    st.sampled_from(
        [
            "demo/_x.pyd",
            "demo/_x.cpython-311-x86_64-linux-gnu.so",
            "demo-1.0.dist-info/METADATA",
            "../x",
            "/abs",
            "demo.libs/a.so.1",
            "demo-1.0.data/platlib/a.dll",
            "demo/_fatpack/manifest.tsv",
        ]
    ),
)
contents = st.one_of(
    st.binary(max_size=64), st.sampled_from([b"\x7fELF" + bytes(60), b"MZ" + bytes(100), b"module\ttarget\n"])
)
wheel_names = st.sampled_from(
    [
        "demo-1.0-cp311-cp311-win_amd64.whl",
        "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        "demo-1.0-py3-none-any.whl",
        "demo.whl",
        "x-1-cp38-abi3-macosx_11_0_arm64.whl",
    ]
)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return buffer.getvalue()


@SETTINGS
@given(
    names=st.lists(wheel_names, min_size=1, max_size=3, unique=True),
    members=st.lists(st.dictionaries(member_names, contents, max_size=6), min_size=3, max_size=3),
)
def test_reading_and_fusing_any_zip_raises_only_fatpack_errors(names, members, tmp_path):
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        work = Path(tmp)
        paths = []
        for name, files in zip(names, members):
            path = work / name
            path.write_bytes(zip_bytes(files))
            paths.append(path)
            expect_fatpack_error_or_success(lambda p=path: read_wheel(p))
            expect_fatpack_error_or_success(lambda p=path: verify_artifact(p))
            expect_fatpack_error_or_success(lambda p=path: inspect_artifact(p))
        expect_fatpack_error_or_success(lambda: fuse(paths, work / "staging"))


@SETTINGS
@given(data=st.binary(max_size=200))
def test_any_bytes_as_a_wheel_raise_only_fatpack_errors(data, tmp_path):
    path = tmp_path / "demo-1.0-cp311-cp311-win_amd64.whl"
    path.write_bytes(data)
    expect_fatpack_error_or_success(lambda: read_wheel(path))
    expect_fatpack_error_or_success(lambda: verify_artifact(path))


# --- the command line, whatever the environment and file names --------------------------------------

PATH_VARIABLES = ("FATPACK_BUILD_CACHE", "XDG_CACHE_HOME", "HOME")
ENV_VARIABLES = ("SOURCE_DATE_EPOCH", *PATH_VARIABLES)
# what an environment variable can hold: no NUL; surrogates only as os.environ decodes stray bytes
env_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=16)
env_values = st.one_of(
    env_text,
    st.integers().map(str),
    st.sampled_from(
        ["{file}", "{file}/below", "{dir}", "-1", "1e3", "0x10", " 12 ", "99999999999999", "\udcff"]
    ),
)
# a file or directory name: anything but NUL and '/'
file_names = st.one_of(
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/"), min_size=1, max_size=24
    ).filter(lambda name: name not in (".", "..")),
    # bytes that are not UTF-8 (as os.fsdecode gives them), and names that look like something else
    st.sampled_from(
        ["out-\udcff", "\udcfe\udcff", "-o", "--help", "p.tar.gz", "w-1.0-py3-none-any.whl", " "]
    ),
)


@pytest.fixture(scope="module")
def cli_project(tmp_path_factory) -> Path:
    """examples/hello for linux_x86_64, its extension 'built' by copying a binary zig made once: the
    properties below run the whole command line many times without compiling each time."""
    from conftest import EXAMPLE

    from fatpack.pipeline import Options, assemble
    from fatpack.targets import parse_target

    root = tmp_path_factory.mktemp("cli") / "hello"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("dist", "build", "__pycache__"))
    wheel = assemble(Options(root, root.parent / "dist", targets=(parse_target("linux_x86_64"),)))
    with zipfile.ZipFile(wheel) as zf:
        (root / "prebuilt.so").write_bytes(zf.read("hello/_fatpack/linux_x86_64/hello._core.abi3.so"))
    copy = 'cp "$FATPACK_PROJECT_DIR/prebuilt.so" "$FATPACK_OUT_DIR/$FATPACK_OUTPUT"'
    pyproject = (
        (root / "pyproject.toml")
        .read_text()
        .replace('sources = ["src/hello/_core.c"]', f"sources = []\ncommand = ['sh', '-c', '{copy}']")
    )
    (root / "pyproject.toml").write_text(pyproject)
    return root


def run_cli(args: list[str], capsys) -> None:
    """main() returns 0, or non-zero with exactly one `error:` line; no exception escapes it."""
    from fatpack.cli import main

    try:
        code = main(args)
    except SystemExit as exc:  # argparse
        code = exc.code if isinstance(exc.code, int) else 1
    err = capsys.readouterr().err
    ours = err.split("\ncommand: ")[0]  # after a failed command's line comes that tool's own output
    if code != 0:
        assert len([line for line in ours.splitlines() if line.startswith("error: ")]) == 1, err
    assert "Traceback" not in err


def env_value(value: str, variable: str, base: Path) -> str:
    value = value.replace("{file}", str(base / "afile")).replace("{dir}", str(base))
    if variable in PATH_VARIABLES and not value.startswith(str(base)):
        value = str(base / value.replace("/", "_").lstrip(".")) if value.strip(".") else str(base)
    return value


@settings(SETTINGS, max_examples=min(SETTINGS.max_examples, 25))
@given(variables=st.dictionaries(st.sampled_from(ENV_VARIABLES), env_values, min_size=1, max_size=3))
def test_any_environment_gives_success_or_one_error_line(
    variables, cli_project, tmp_path, monkeypatch, capsys
):
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        base = Path(tmp)
        (base / "afile").write_text("a file")
        monkeypatch.chdir(base)  # anything relative lands here
        for variable in ("SOURCE_DATE_EPOCH", "FATPACK_BUILD_CACHE", "XDG_CACHE_HOME"):
            monkeypatch.delenv(variable, raising=False)
        monkeypatch.setenv("HOME", str(base))  # the default cache is never the user's real ~/.cache
        for variable, value in variables.items():
            monkeypatch.setenv(variable, env_value(value, variable, base))
        run_cli(["assemble", str(cli_project), "--target", "linux_x86_64", "-o", str(base / "out")], capsys)


@settings(SETTINGS, max_examples=min(SETTINGS.max_examples, 25))
@given(project_name=file_names, out_name=file_names, data=st.binary(max_size=64))
def test_any_file_names_give_success_or_one_error_line(
    project_name, out_name, data, cli_project, tmp_path, capsys
):
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        base = Path(tmp)
        project = base / project_name
        shutil.copytree(cli_project, project)
        out = base / "outputs" / out_name
        run_cli(["assemble", str(project), "--target", "linux_x86_64", "-o", str(out)], capsys)
        # the same names as inputs that are no project: a file of arbitrary bytes
        stray = base / "outputs" / (out_name + ".whl")
        stray.parent.mkdir(exist_ok=True)
        if not stray.exists():
            stray.write_bytes(data)
            run_cli(["assemble", str(stray), "-o", str(base / "fused")], capsys)
            run_cli(["verify", str(stray)], capsys)
            run_cli(["inspect", str(stray)], capsys)
