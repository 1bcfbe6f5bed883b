"""The command builder: the project's own build script, run per target with the cross compiler in
$FATPACK_CC, builds a bundled library that a zig-built extension links; fatpack collects and ships it."""

import shutil
import subprocess

import pytest
from conftest import REPO, install_into, run_on_path
from winepython import WindowsPython

from fatpack.build import build_payloads
from fatpack.config import load_project
from fatpack.errors import BuildError, ConfigError
from fatpack.plan import make_plan
from fatpack.targets import TARGETS

PROJECT = REPO / "tests" / "projects" / "cmdlib"
PROBE = "import cmdlib._use as u; print(u.triple(14), u.__file__)"


def test_command_implies_the_command_builder():
    (library,) = load_project(PROJECT).libraries
    assert library.builder == "command" and library.command == ("sh", "native/build.sh")


def test_command_builder_without_a_command(make_project):
    root = make_project(tool='[[tool.fatpack.library]]\nname = "x"\nbuilder = "command"\n')
    with pytest.raises(ConfigError, match=r"library 'x': builder 'command' needs a command"):
        load_project(root)


def test_a_command_that_leaves_nothing_is_a_clear_error(make_project, tmp_path):
    from fatpack.runner import run_command

    root = make_project(
        tool='targets = ["linux_x86_64"]\n[[tool.fatpack.library]]\nname = "x"\ncommand = ["true"]\n'
    )
    with pytest.raises(
        BuildError,
        match=r"the build command for x \(linux_x86_64\) left nothing in \$FATPACK_OUT_DIR; expected one shared library, ideally libx.so",
    ):
        build_payloads(make_plan(load_project(root)), run_command, tmp_path / "w", tmp_path / "o")


def test_the_command_sees_the_target_and_compiler(make_project, runner, tmp_path):
    root = make_project(
        tool='targets = ["win_amd64"]\n[[tool.fatpack.library]]\nname = "x"\ncommand = ["sh", "b.sh"]\n'
    )
    seen = {}

    def record(command, cwd=None, env=None):
        if command[:1] == ["sh"]:
            seen.update(env, cwd=cwd)
            (tmp_path / "dummy").write_bytes(b"")
            shutil.copyfile(tmp_path / "dummy", f"{env['FATPACK_OUT_DIR']}/{env['FATPACK_OUTPUT']}")
        else:
            runner(command, cwd=cwd, env=env)

    with pytest.raises(
        ConfigError, match=r"x.dll for win_amd64 is not a DLL with exports, so no import library can be made"
    ):
        build_payloads(make_plan(load_project(root)), record, tmp_path / "w", tmp_path / "o")
    assert seen["FATPACK_TARGET"] == "win_amd64" and seen["FATPACK_OUTPUT"] == "x.dll"
    assert seen["FATPACK_CC"].endswith("-m ziglang cc -target x86_64-windows-gnu")
    assert seen["FATPACK_KIND"] == "library" and seen["cwd"] == root


@pytest.fixture(scope="module")
def cmdlib_wheel(tmp_path_factory):
    from fatpack.pipeline import Options, assemble

    work = tmp_path_factory.mktemp("cmdlib")
    shutil.copytree(PROJECT, work / "cmdlib")
    return assemble(
        Options(
            project_dir=work / "cmdlib",
            out_dir=work / "dist",
            targets=(TARGETS["linux_x86_64"], TARGETS["win_amd64"]),
        )
    )


@pytest.mark.compile
def test_command_built_library_on_linux(cmdlib_wheel, tmp_path):
    site = tmp_path / "site"
    install_into(cmdlib_wheel, site)
    proc = run_on_path(site, PROBE)
    assert proc.returncode == 0, proc.stderr
    value, file = proc.stdout.split()
    assert value == "42" and file.endswith("/linux_x86_64/cmdlib._use.abi3.so")


@pytest.mark.compile
@pytest.mark.wine
def test_command_built_library_on_windows(cmdlib_wheel, tmp_path):
    python = WindowsPython("3.13", tmp_path / "py")
    python.pip_install(cmdlib_wheel)
    value, file = python.check("-c", PROBE).split()
    assert value == "42" and file.endswith("\\win_amd64\\cmdlib._use.abi3.pyd")


@pytest.mark.compile
@pytest.mark.wine
def test_prebuilt_library_per_target(tmp_path):
    """`prebuilt = {target = file}` ships a library as it is: here a .so without SONAME and a DLL with no
    import library, as a vendor would hand them over (made with zig for the test)."""
    from fatpack.pipeline import Options, assemble
    from fatpack.runner import zig_command

    project = tmp_path / "cmdlib"
    shutil.copytree(PROJECT, project)
    vendor = project / "vendor"
    vendor.mkdir()
    for triple, name in (("x86_64-linux-gnu.2.17", "libtriple.so"), ("x86_64-windows-gnu", "triple.dll")):
        subprocess.run(
            [
                *zig_command("cc"),
                "-target",
                triple,
                "-shared",
                "-O2",
                "-s",
                "-DTRIPLE_BUILD",
                "-o",
                str(vendor / name),
                str(project / "native/triple.c"),
            ],
            check=True,
            cwd=vendor,
        )
    for leftover in vendor.glob("*.lib"):
        leftover.unlink()  # the vendor ships no import library: fatpack makes one from the DLL's exports
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'command = ["sh", "native/build.sh"]',
            'prebuilt = { linux_x86_64 = "vendor/libtriple.so", win_amd64 = "vendor/triple.dll" }',
        )
    )
    wheel = assemble(
        Options(
            project_dir=project,
            out_dir=tmp_path / "dist",
            targets=(TARGETS["linux_x86_64"], TARGETS["win_amd64"]),
        )
    )

    site = tmp_path / "site"
    install_into(wheel, site)
    proc = run_on_path(site, PROBE)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "42"
    assert (site / "cmdlib/_fatpack/linux_x86_64/libs/libtriple.so").read_bytes() == (
        vendor / "libtriple.so"
    ).read_bytes()

    python = WindowsPython("3.13", tmp_path / "py")
    python.pip_install(wheel)
    assert python.check("-c", PROBE).split()[0] == "42"
