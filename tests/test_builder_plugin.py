"""The builder plug-in contract (docs/writing-a-builder.md): a third-party builder registered through
entry points builds a project; duplicate names warn; unknown names get a suggestion; fatpack ships
its type hints (py.typed)."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MINIMAL_C, REPO

from fatpack import builders as builders_module
from fatpack.builders import Builder, CachingBuilder, available_builders, load_builder
from fatpack.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

EXAMPLE_PLUGIN = REPO / "examples" / "prebuilt-builder"


def register(plugin: Path, site: Path) -> None:
    """What `pip install plugin` leaves for entry-point discovery: a dist-info whose entry_points.txt
    is the plug-in's own [project.entry-points] table (the example's source is put on the path)."""
    project = tomllib.loads((plugin / "pyproject.toml").read_text())["project"]
    dist_info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    lines = []
    for group, entries in project["entry-points"].items():
        lines += [f"[{group}]"] + [f"{name} = {value}" for name, value in entries.items()]
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n")


def fatpack_build(project: Path, site: Path, out: Path) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(REPO), str(EXAMPLE_PLUGIN / "src"), str(site)])
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "fatpack",
            "build",
            str(project),
            "-o",
            str(out),
            "--builder",
            "prebuilt",
            "--target",
            "linux_x86_64",
            "--target",
            "win_amd64",
        ],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.compile
def test_the_example_plugin_builds_a_project_and_its_file_keys_the_cache(make_project, tmp_path):
    project = make_project(
        tool='[[tool.fatpack.extension]]\nname = "demo._core"\nsources = ["src/demo/_core.c"]\n',
        files={
            "src/demo/__init__.py": "",
            "src/demo/_core.c": MINIMAL_C % {"base": "_core"},
            "prebuilt/linux_x86_64/_core.so": "linux binary v1",
            "prebuilt/win_amd64/_core.pyd": "windows binary v1",
        },
    )
    site = tmp_path / "site"
    register(EXAMPLE_PLUGIN, site)
    out = tmp_path / "out"
    linux, windows = out / "linux_x86_64" / "demo._core.abi3.so", out / "win_amd64" / "demo._core.abi3.pyd"
    for run in ("first", "cached"):
        result = fatpack_build(project, site, out)
        assert result.returncode == 0, (run, result.stderr)
        assert linux.read_text() == "linux binary v1"
        assert windows.read_text() == "windows binary v1"
        assert ("1 from cache" in result.stderr) == (run == "cached"), result.stderr
    (project / "prebuilt/win_amd64/_core.pyd").write_text("windows binary v2")
    result = fatpack_build(project, site, out)
    assert result.returncode == 0, result.stderr
    assert windows.read_text() == "windows binary v2"  # the dependency file made the cache miss
    assert result.stderr.count("1 from cache") == 1  # linux's file did not change

    (project / "prebuilt/linux_x86_64/_core.so").unlink()
    result = fatpack_build(project, site, out)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: the prebuilt builder needs ")


def test_the_example_plugin_meets_the_protocol():
    sys.path.insert(0, str(EXAMPLE_PLUGIN / "src"))
    try:
        from fatpack_prebuilt import PrebuiltBuilder
    finally:
        sys.path.remove(str(EXAMPLE_PLUGIN / "src"))
    builder = PrebuiltBuilder(lambda *a, **k: "")
    assert isinstance(builder, Builder) and isinstance(builder, CachingBuilder)


class FakeEntryPoint:
    def __init__(self, name: str, value: str, cls: type) -> None:
        self.name, self.value, self.cls = name, value, cls

    def load(self) -> type:
        return self.cls


def test_two_builders_with_one_name_warn_naming_both(monkeypatch, caplog):
    class First:
        pass

    class Second:
        pass

    monkeypatch.setattr(
        builders_module,
        "_entry_points",
        lambda: [
            FakeEntryPoint("fast", "one_pkg:First", First),
            FakeEntryPoint("fast", "two_pkg:Second", Second),
        ],
    )
    with caplog.at_level(logging.WARNING, logger="fatpack.builders"):
        found = available_builders()
    assert found["fast"] is First
    assert "two builders are named 'fast': one_pkg:First and two_pkg:Second" in caplog.text


def test_a_plugin_cannot_take_a_builtin_name_silently(monkeypatch, caplog):
    monkeypatch.setattr(builders_module, "_entry_points", lambda: [FakeEntryPoint("zig", "evil:Zig", object)])
    with caplog.at_level(logging.WARNING, logger="fatpack.builders"):
        found = available_builders()
    assert found["zig"] is not object
    assert "two builders are named 'zig': fatpack.builders (zig) and evil:Zig" in caplog.text


def test_unknown_builder_suggests_the_closest(runner):
    with pytest.raises(
        ConfigError, match=r"unknown builder 'mignw' \(available: .*\); did you mean 'mingw'\?"
    ):
        load_builder("mignw", runner)


def test_fatpack_ships_its_type_hints():
    """PEP 561: plug-ins type-check against fatpack's Builder protocol only if fatpack ships py.typed."""
    assert (REPO / "fatpack" / "py.typed").is_file()
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["fatpack"]
