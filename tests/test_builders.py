"""Builders seen through the injected runner: the commands they would run, without compiling."""

import sys
from pathlib import Path

import pytest

from fatpack.build import build_payloads
from fatpack.builders import available_builders, load_builder
from fatpack.config import load_project
from fatpack.errors import ConfigError, FatpackError
from fatpack.plan import make_plan
from fatpack.targets import TARGETS, PythonAbi


def build(project: Path, runner, tmp_path: Path, **plan):
    config = load_project(project)
    return build_payloads(make_plan(config, **plan), runner, tmp_path / "work", tmp_path / "out")


def compiler_runs(runner):
    return [c for c in runner.commands if "cc" in c or "c++" in c or c[0] == "cc"]


def compile_commands(runner):
    """Each source is compiled on its own (`-c`, with a dependency file for the cache)..."""
    return [c for c in compiler_runs(runner) if "-c" in c]


def link_commands(runner):
    """...then the objects are linked."""
    return [c for c in compiler_runs(runner) if "-c" not in c]


def test_zig_commands_per_target(demo_project, runner, tmp_path):
    payloads = build(demo_project, runner, tmp_path)
    linux, windows = compile_commands(runner)
    linux_link, windows_link = link_commands(runner)
    assert linux[:4] == linux_link[:4] == [sys.executable, "-m", "ziglang", "cc"]
    assert linux[linux.index("-target") + 1] == "x86_64-linux-gnu.2.17"
    assert windows[windows.index("-target") + 1] == "x86_64-windows-gnu"
    assert windows_link[windows_link.index("-target") + 1] == "x86_64-windows-gnu"
    for command in (linux, windows):
        assert "-DPy_LIMITED_API=0x03080000" in command and "-O2" in command
        assert command[command.index("-c") + 1] == str(demo_project / "src/demo/_speed.c")
        assert command[command.index("-MF") + 1].endswith(".d") and "-MD" in command
    for command in (linux_link, windows_link):
        assert "-s" in command and "-O2" in command and "-shared" in command
    assert "-fPIC" in linux and "-fPIC" not in windows
    # Windows links python3.dll's import library, made from the .def export list, and uses its own pyconfig
    assert any(arg.endswith("libpython3.a") for arg in windows_link)
    assert any(arg.startswith("-I") and arg.endswith("sdk-win_amd64/include") for arg in windows)
    dlltool = next(c for c in runner.commands if "dlltool" in c)
    assert dlltool[4:6] == ["-m", "i386:x86-64"]
    assert dlltool[dlltool.index("-d") + 1].endswith("windows_exports/python3.def")
    assert [p.relative_path for p in payloads] == [
        "linux_x86_64/demo._speed.abi3.so",
        "win_amd64/demo._speed.abi3.pyd",
    ]
    assert all(p.path.is_file() for p in payloads)


def test_version_specific_abi_links_versioned_dll(demo_project, runner, tmp_path):
    host = PythonAbi(sys.version_info[1], abi3=False)
    build(demo_project, runner, tmp_path, abis=[host], targets=[TARGETS["win_amd64"]])
    (windows,) = compile_commands(runner)
    (link,) = link_commands(runner)
    assert not any("Py_LIMITED_API" in arg for arg in windows)
    assert any(arg.endswith(f"libpython3{host.minor}.a") for arg in link)


def test_extension_options_reach_the_compiler(make_project, runner, tmp_path):
    root = make_project(
        tool="""
        targets = ["linux_x86_64"]
        [[tool.fatpack.extension]]
        name = "p._m"
        sources = ["m.cpp"]
        include-dirs = ["inc"]
        define-macros = [["A", "1"], "B"]
        undef-macros = ["C"]
        libraries = ["z"]
        library-dirs = ["lib"]
        extra-compile-args = ["-Wall"]
        extra-link-args = ["-Wl,--as-needed"]
        language = "c++"
        """,
        files={"m.cpp": ""},
    )
    build(root, runner, tmp_path)
    compile_command, link = runner.commands
    assert compile_command[3] == link[3] == "c++"
    for arg in (f"-I{root / 'inc'}", "-DA=1", "-DB", "-UC", "-Wall"):
        assert arg in compile_command and arg not in link
    for arg in ("-lz", f"-L{root / 'lib'}", "-Wl,--as-needed"):
        assert arg in link and arg not in compile_command


def test_strip_false_keeps_symbols(make_project, runner, tmp_path):
    root = make_project(
        tool='targets = ["linux_x86_64"]\nstrip = false\n[[tool.fatpack.extension]]\nname = "p._m"\nsources = ["m.c"]\n',
        files={"m.c": ""},
    )
    build(root, runner, tmp_path)
    assert not any("-s" in command for command in runner.commands)


def test_native_builder_uses_host_compiler(demo_project, runner, tmp_path):
    build(
        demo_project, runner, tmp_path, targets=[TARGETS["linux_x86_64"]], builder_overrides={"*": "native"}
    )
    compile_command, link = runner.commands
    assert not any("ziglang" in c or "-target" in c for c in (compile_command, link))
    assert "-DPy_LIMITED_API=0x03080000" in compile_command


def test_native_builder_identity_runs_through_the_runner(runner):
    """The compiler's `--version` banner (the cache key's identity) is asked through the injected Runner."""
    from fatpack.builders.native import NativeBuilder

    builder = NativeBuilder(runner)
    identity = builder.identity(TARGETS["linux_x86_64"])
    builder.identity(TARGETS["linux_x86_64"])  # asked once per builder
    assert runner.commands == [[*builder.compiler("c"), "--version"]]
    assert identity.endswith("(recorded) 1.0")


def test_native_builder_refuses_foreign_target(demo_project, runner, tmp_path):
    with pytest.raises(
        ConfigError, match=r"native builder only builds for this host \(linux_x86_64\), not win_amd64"
    ):
        build(demo_project, runner, tmp_path, builder_overrides={"win_amd64": "native"})
    assert runner.commands == []  # checked before anything ran


def test_unknown_builder(demo_project, runner, tmp_path):
    with pytest.raises(ConfigError, match=r"unknown builder 'msvc' \(available: .*native.*zig"):
        build(demo_project, runner, tmp_path, builder_overrides={"*": "msvc"})


def test_builtin_builders_registered_as_entry_points():
    from importlib import metadata

    names = {ep.name for ep in metadata.entry_points(group="fatpack.builders")}
    assert {"zig", "native"} <= names
    assert {"zig", "native"} <= set(available_builders())


def test_third_party_builder_through_entry_point(demo_project, runner, tmp_path, monkeypatch):
    """A builder registered under fatpack.builders is used when config names it."""
    from fatpack import builders as builders_module

    class EchoBuilder:
        name = "echo"

        def __init__(self, runner):
            self.runner = runner

        def check(self, target):
            pass

        def build(self, job):
            self.runner(["echo-cc", job.target.name, "-o", str(job.output)])

    class FakeEntryPoint:
        name, value = "echo", "thirdparty:EchoBuilder"

        def load(self):
            return EchoBuilder

    monkeypatch.setattr(builders_module, "_entry_points", lambda: [FakeEntryPoint()])
    assert isinstance(load_builder("echo", runner), EchoBuilder)
    build(demo_project, runner, tmp_path, builder_overrides={"*": "echo"})
    echoed = [c[:2] for c in runner.commands if c[0] == "echo-cc"]
    assert echoed == [["echo-cc", "linux_x86_64"], ["echo-cc", "win_amd64"]]


def test_failed_target_reports_and_others_still_build(demo_project, tmp_path):
    from fatpack.errors import BuildError

    seen = []

    def failing_windows(command, cwd=None, env=None):
        if "x86_64-windows-gnu" in command:
            raise BuildError("zig exited with code 1", command, 1, "error: boom")
        if "-o" in command:
            out = Path(command[command.index("-o") + 1])
            out.write_bytes(b"x")

    config = load_project(demo_project)
    with pytest.raises(FatpackError, match=r"failed for win_amd64 .*: boom$"):
        build_payloads(make_plan(config), failing_windows, tmp_path / "w", tmp_path / "o", seen.append)
    assert [(r.target.name, r.error is None) for r in seen] == [("linux_x86_64", True), ("win_amd64", False)]
