"""The payload cache: an unchanged rebuild compiles nothing; any input that can change the binary
(source, header, flag, target, ABI, compiler version) compiles again."""

from pathlib import Path

import pytest

from fatpack.builders.zig import ZigBuilder
from fatpack.cache import PayloadCache
from fatpack.config import load_project
from fatpack.payloads import build_payloads, make_plan
from fatpack.targets import TARGETS, PythonAbi


@pytest.fixture
def cache(tmp_path) -> PayloadCache:
    return PayloadCache(tmp_path / "cache")


def compiles(project: Path, runner, cache, tmp_path, **plan) -> int:
    """Build once more; return how many compiler runs it took."""
    before = len(runner.commands)
    out = tmp_path / f"out{before}"
    payloads = build_payloads(
        make_plan(load_project(project), cache=cache, **plan), runner, tmp_path / f"w{before}", out
    )
    assert all(p.path.is_file() for p in payloads)
    return sum(1 for c in runner.commands[before:] if "cc" in c or "c++" in c)


def test_unchanged_rebuild_compiles_nothing(demo_project, runner, cache, tmp_path):
    assert compiles(demo_project, runner, cache, tmp_path) == 2
    assert compiles(demo_project, runner, cache, tmp_path) == 0


def test_source_change_invalidates(demo_project, runner, cache, tmp_path):
    compiles(demo_project, runner, cache, tmp_path)
    source = demo_project / "src/demo/_speed.c"
    source.write_text(source.read_text() + "/* edited */\n")
    assert compiles(demo_project, runner, cache, tmp_path) == 2


def test_header_beside_sources_invalidates(demo_project, runner, cache, tmp_path):
    header = demo_project / "src/demo/speed.h"
    header.write_text("#define X 1\n")
    compiles(demo_project, runner, cache, tmp_path)
    header.write_text("#define X 2\n")
    assert compiles(demo_project, runner, cache, tmp_path) == 2


def test_flag_change_invalidates(demo_project, runner, cache, tmp_path):
    compiles(demo_project, runner, cache, tmp_path)
    pyproject = demo_project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'define-macros = ["FAST"]\n')
    assert compiles(demo_project, runner, cache, tmp_path) == 2


def test_target_and_abi_are_part_of_the_key(demo_project, runner, cache, tmp_path):
    assert compiles(demo_project, runner, cache, tmp_path, targets=[TARGETS["linux_x86_64"]]) == 1
    assert compiles(demo_project, runner, cache, tmp_path, targets=[TARGETS["linux_aarch64"]]) == 1
    assert (
        compiles(
            demo_project,
            runner,
            cache,
            tmp_path,
            targets=[TARGETS["linux_x86_64"]],
            abis=[PythonAbi(9, True)],
        )
        == 1
    )
    assert compiles(demo_project, runner, cache, tmp_path, targets=[TARGETS["linux_x86_64"]]) == 0


def test_compiler_version_change_invalidates(demo_project, runner, cache, tmp_path, monkeypatch):
    compiles(demo_project, runner, cache, tmp_path)
    monkeypatch.setattr(ZigBuilder, "identity", lambda self: "zig 99.0.0")
    assert compiles(demo_project, runner, cache, tmp_path) == 2


def test_disabled_cache_always_compiles(demo_project, runner, tmp_path):
    off = PayloadCache(None)
    assert compiles(demo_project, runner, off, tmp_path) == 2
    assert compiles(demo_project, runner, off, tmp_path) == 2


def test_parallel_build_gives_the_same_payloads(demo_project, runner, tmp_path):
    config = load_project(demo_project)
    targets = [TARGETS[t] for t in ("linux_x86_64", "linux_aarch64", "win_amd64", "macosx_arm64")]
    serial = build_payloads(make_plan(config, targets, jobs=1), runner, tmp_path / "w1", tmp_path / "o1")
    parallel = build_payloads(make_plan(config, targets, jobs=4), runner, tmp_path / "w4", tmp_path / "o4")
    assert [p.relative_path for p in serial] == [p.relative_path for p in parallel]
    assert [p.path.read_bytes() for p in serial] == [p.path.read_bytes() for p in parallel]
