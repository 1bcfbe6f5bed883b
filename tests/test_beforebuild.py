"""before-build (fatpack/beforebuild.py): C libraries built per target with the cross toolchain, their
prefix on every compile for that target, cached on the commands, the toolchain and the project's files."""

from __future__ import annotations

import argparse
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Optional

import pytest
from conftest import REPO, install_into, run_on_path
from winepython import WindowsPython

from fatpack.beforebuild import Prefix, cache_key, run_before_build
from fatpack.config import BeforeBuildConfig, ExtensionConfig, load_project, read_before_build
from fatpack.errors import BuildError, ConfigError
from fatpack.plan import make_plan
from fatpack.targets import TARGETS
from fatpack.toolchain import toolchain_for

PROJECT = REPO / "tests" / "projects" / "beforebuild_clib"
PROBE = "import cnum._cnum as c; print(c.triple(14), c.target(), c.__file__)"


class PrefixWriter:
    """A Runner standing in for a before-build script: records each command and its environment, and
    installs a header into FATPACK_PREFIX (or fails, printing `fail_with`)."""

    def __init__(self, fail_with: str = "") -> None:
        self.calls: list[tuple[list[str], dict[str, str], Optional[Path]]] = []
        self.seen_files: list[str] = []  # what the last command's working directory held
        self.fail_with = fail_with

    def __call__(self, command: Sequence[str], **options: object) -> str:
        env = options.get("env")
        assert isinstance(env, Mapping)
        cwd = options.get("cwd")
        assert isinstance(cwd, Path)
        self.calls.append((list(command), dict(env), cwd))
        self.seen_files = sorted(p.relative_to(cwd).as_posix() for p in cwd.rglob("*"))
        prefix = Path(env["FATPACK_PREFIX"])
        (prefix / "include").mkdir(parents=True, exist_ok=True)
        (prefix / "include" / "lib.h").write_text(f"/* {env['FATPACK_TARGET']} */\n")
        if self.fail_with:
            raise BuildError(
                "sh exited with code 2", command, 2, f"checking for gcc... yes\n{self.fail_with}\n"
            )
        return ""


def project_with(tmp_path: Path, files: Mapping[str, str]) -> Path:
    root = tmp_path / "project"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


# --- configuration ---------------------------------------------------------------------------------


def test_before_build_is_a_command_or_a_list_replaced_per_os_and_target(make_project):
    root = make_project(
        tool='before-build = ["sh a.sh", "sh b.sh"]\n'
        "[tool.fatpack.windows]\nbefore-build = 'sh win.sh'\n"
        "[tool.fatpack.win_arm64]\nbefore-build = 'sh arm.sh'\n",
    )
    config = load_project(root).before_build
    assert config.for_target(TARGETS["linux_x86_64"]) == ("sh a.sh", "sh b.sh")
    assert config.for_target(TARGETS["win_amd64"]) == ("sh win.sh",)
    assert config.for_target(TARGETS["win_arm64"]) == ("sh arm.sh",)
    assert load_project(make_project(name="plain")).before_build == BeforeBuildConfig()
    # the same, read alone from the pyproject data (for the per-target backend builds)
    data = {"tool": {"fatpack": {"before-build": "sh a.sh", "linux": {"before-build": ["sh l.sh"]}}}}
    alone = read_before_build(data)
    assert alone.for_target(TARGETS["linux_aarch64"]) == ("sh l.sh",)
    assert alone.for_target(TARGETS["win_amd64"]) == ("sh a.sh",)


@pytest.mark.parametrize(
    ("tool", "message"),
    [
        ("before-build = 3\n", r"tool.fatpack.before-build must be a shell command or a list of them, not 3"),
        ("before-build = []\n", r"tool.fatpack.before-build must be a shell command or a list of them"),
        ("[tool.fatpack.linux]\nbefore-build = ''\n", r"tool.fatpack.linux.before-build must be a shell"),
        ("[tool.fatpack.linux]\nbuilder = 'mingw'\n", r"unknown key tool.fatpack.linux.builder"),
        ("before_build = 'x'\n", r"unknown key tool.fatpack.before_build .*did you mean 'before-build'"),
    ],
)
def test_a_bad_before_build_is_named(make_project, tool, message):
    with pytest.raises(ConfigError, match=message):
        load_project(make_project(tool=tool))


def test_command_line_before_build_replaces_the_projects(make_project):
    config = load_project(make_project(tool="before-build = 'sh project.sh'\n"))
    assert make_plan(config).before_build_for(TARGETS["win_amd64"]) == ("sh project.sh",)
    plan = make_plan(config, before_build=["sh mine.sh"])
    assert plan.before_build_for(TARGETS["win_amd64"]) == ("sh mine.sh",)


def cli_options(argv: list[str]):
    from fatpack.cli.options import add_build_arguments, options_from

    parser = argparse.ArgumentParser()
    add_build_arguments(parser, "dist")
    return options_from(parser.parse_args(argv))


def test_before_build_from_the_command_line_or_the_environment(tmp_path, monkeypatch):
    """An unchanged sdist gets its before-build from the CI configuration: --before-build or
    FATPACK_BEFORE_BUILD; the option wins."""
    project = project_with(tmp_path, {"pyproject.toml": ""})
    monkeypatch.delenv("FATPACK_BEFORE_BUILD", raising=False)
    assert cli_options([str(project)]).before_build == ()
    monkeypatch.setenv("FATPACK_BEFORE_BUILD", "sh from-env.sh")
    assert cli_options([str(project)]).before_build == ("sh from-env.sh",)
    options = cli_options([str(project), "--before-build", "sh a.sh", "--before-build", "sh b.sh"])
    assert options.before_build == ("sh a.sh", "sh b.sh")


# --- the cache key ---------------------------------------------------------------------------------


def test_cache_key_changes_with_the_commands_the_project_files_and_the_target(tmp_path):
    source = project_with(tmp_path, {"scripts/build.sh": "make\n", "vendor/lib.c": "int x;\n"})
    linux = toolchain_for(TARGETS["linux_x86_64"], tmp_path / "tc")
    key = cache_key(["sh scripts/build.sh"], linux, source)
    assert cache_key(["sh scripts/build.sh"], linux, source) == key
    assert cache_key(["sh scripts/build.sh --static"], linux, source) != key
    assert (
        cache_key(["sh scripts/build.sh"], toolchain_for(TARGETS["win_amd64"], tmp_path / "tc"), source)
        != key
    )
    (source / "scripts" / "build.sh").write_text("make install\n")  # the script's own bytes
    changed_script = cache_key(["sh scripts/build.sh"], linux, source)
    assert changed_script != key
    (source / "vendor" / "lib.c").write_text("int y;\n")  # a file the script reads
    assert cache_key(["sh scripts/build.sh"], linux, source) not in (key, changed_script)
    (source / "vendor" / "new.h").write_text("")  # a file that appears
    assert cache_key(["sh scripts/build.sh"], linux, source) != changed_script


def test_the_prefix_is_reused_until_the_script_or_a_project_file_changes(tmp_path):
    project = project_with(tmp_path, {"build.sh": "echo 1\n", "lib.c": "int x;\n"})
    cache, runner = tmp_path / "cache", PrefixWriter()
    target = TARGETS["win_amd64"]

    def run() -> Prefix:
        return run_before_build(["sh build.sh"], target, project, runner, cache, tmp_path / "work")

    first = run()
    assert len(runner.calls) == 1
    assert run() == first and len(runner.calls) == 1  # cached: not run again
    (project / "build.sh").write_text("echo 2\n")
    second = run()
    assert len(runner.calls) == 2 and second.path != first.path
    (project / "lib.c").write_text("int y;\n")
    assert run().path not in (first.path, second.path) and len(runner.calls) == 3
    assert (first.path / "include" / "lib.h").read_text() == "/* win_amd64 */\n"


def test_the_script_gets_the_toolchain_a_private_copy_and_its_prefix(tmp_path):
    project = project_with(tmp_path, {"build.sh": "", "build/stale.o": ""})
    runner = PrefixWriter()
    prefix = run_before_build(
        ["sh build.sh"], TARGETS["linux_aarch64"], project, runner, None, tmp_path / "w"
    )
    ((command, env, cwd),) = runner.calls
    assert command == ["sh", "-c", "sh build.sh"]
    assert env["FATPACK_TARGET"] == "linux_aarch64" and env["FATPACK_HOST_TRIPLE"] == "aarch64-linux-gnu"
    assert env["CC"].endswith("/cc") and "aarch64-linux-gnu.2.17" in Path(env["CC"]).read_text()
    assert Path(env["CMAKE_TOOLCHAIN_FILE"]).is_file() and Path(env["FATPACK_MESON_CROSS_FILE"]).is_file()
    assert cwd is not None and cwd != project
    assert runner.seen_files == ["build.sh"]  # a private copy, without build outputs
    assert Path(env["FATPACK_PREFIX"]) != prefix.path  # built in a staging directory, then renamed
    assert prefix.include_dirs == (prefix.path / "include",) and prefix.library_dirs == ()


class PcWriter(PrefixWriter):
    """Installs what `make install` of an autoconf library does: a .pc file and a -config script naming
    the prefix it was given, and an archive (binary) holding that path too."""

    def __call__(self, command: Sequence[str], **options: object) -> str:
        super().__call__(command, **options)
        env = options["env"]
        assert isinstance(env, Mapping)
        prefix = Path(env["FATPACK_PREFIX"])
        (prefix / "lib" / "pkgconfig").mkdir(parents=True)
        (prefix / "lib" / "pkgconfig" / "foo.pc").write_text(
            f"prefix={prefix}\nincludedir=${{prefix}}/include/foo\nName: foo\nDescription: d\nVersion: 1\n"
            "Cflags: -I${includedir}\n"
        )
        (prefix / "bin").mkdir()
        (prefix / "bin" / "foo-config").write_text(f"#!/bin/sh\necho -I{prefix}/include/foo\n")
        (prefix / "lib" / "libfoo.a").write_bytes(b"!<arch>\n\0" + str(prefix).encode())
        return ""


def test_files_naming_the_prefix_name_where_it_ends_up_not_where_it_was_built(tmp_path):
    """The prefix is built in a staging directory and renamed: a .pc file or a -config script written
    by `make install` named the staging directory, and lxml's build (asking pkg-config) then looked for
    libxml2's headers in a directory that was gone."""
    runner = PcWriter()
    cache = tmp_path / "cache"
    project = project_with(tmp_path, {"b.sh": ""})
    prefix = run_before_build(["sh b.sh"], TARGETS["linux_x86_64"], project, runner, cache, tmp_path / "w")
    staging = runner.calls[0][1]["FATPACK_PREFIX"]
    pc = (prefix.path / "lib" / "pkgconfig" / "foo.pc").read_text()
    assert f"prefix={prefix.path}\n" in pc and staging not in pc
    assert (
        prefix.path / "bin" / "foo-config"
    ).read_text() == f"#!/bin/sh\necho -I{prefix.path}/include/foo\n"
    assert (prefix.path / "lib" / "libfoo.a").read_bytes().endswith(staging.encode())  # binary: as built


def test_a_failing_script_is_one_line_and_leaves_no_cache_entry(tmp_path):
    project = project_with(tmp_path, {"build.sh": ""})
    cache = tmp_path / "cache"
    runner = PrefixWriter(fail_with="configure: error: C compiler cannot create executables")
    with pytest.raises(BuildError) as caught:
        run_before_build(["sh build.sh"], TARGETS["win_amd64"], project, runner, cache, tmp_path / "w")
    assert str(caught.value) == (
        "before-build for win_amd64 failed: configure: error: C compiler cannot create executables"
    )
    assert list((cache / "before-build").iterdir()) == []  # the half-built prefix is gone
    runner.fail_with = ""
    run_before_build(["sh build.sh"], TARGETS["win_amd64"], project, runner, cache, tmp_path / "w")
    assert len(runner.calls) == 2  # built again, not served half-made


def test_prefix_goes_on_every_compile_and_into_cppflags(tmp_path):
    prefix_dir = tmp_path / "prefix"
    (prefix_dir / "include").mkdir(parents=True)
    (prefix_dir / "lib").mkdir()
    prefix = Prefix(TARGETS["linux_x86_64"], prefix_dir)
    extension = ExtensionConfig("m._m", (tmp_path / "m.c",), include_dirs=(tmp_path / "inc",))
    applied = prefix.apply(extension)
    assert applied.include_dirs == (tmp_path / "inc", prefix_dir / "include")
    assert applied.library_dirs == (prefix_dir / "lib",)
    assert prefix.cflags() == [f"-I{prefix_dir / 'include'}"] and prefix.ldflags() == [
        f"-L{prefix_dir / 'lib'}"
    ]
    environ = prefix.environ({"CPPFLAGS": "-DUSER", "PKG_CONFIG_PATH": "/host/pc"})
    assert environ == {
        "CPPFLAGS": f"-DUSER -I{prefix_dir / 'include'}",
        "LDFLAGS": f"-L{prefix_dir / 'lib'}",
        "PKG_CONFIG_PATH": f"{prefix_dir / 'lib' / 'pkgconfig'}:{prefix_dir / 'share' / 'pkgconfig'}:/host/pc",
    }


def _pc_file(directory: Path, name: str, include: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.pc").write_text(
        f"Name: {name}\nDescription: x\nVersion: 2.9.14\nLibs: -l{name}\nCflags: -I{include}\n"
    )


def test_pkg_config_in_the_cross_build_sees_the_prefix_never_the_host(tmp_path, monkeypatch):
    """A setup.py asking pkg-config (lxml's for libxml-2.0, cffi's for libffi) in the cross build gets
    the target's prefix, not the host's .pc files (host headers in a Windows build: lxml compiled
    against /usr/include/libxml2)."""
    from fatpack.crossenv import make_cross_env
    from fatpack.interpreters import BuildPython
    from fatpack.sdk import PythonSdk

    host_pc = tmp_path / "host" / "pkgconfig"
    _pc_file(host_pc, "libxml-2.0", Path("/usr/include/libxml2"))
    _pc_file(host_pc, "libffi", Path("/usr/include/ffi"))
    monkeypatch.setenv("PKG_CONFIG_PATH", str(host_pc))  # stands for the host's default search path
    prefix = Prefix(TARGETS["win_amd64"], tmp_path / "prefix")
    _pc_file(prefix.path / "lib" / "pkgconfig", "libxml-2.0", prefix.path / "include" / "libxml2")
    sdk = PythonSdk((tmp_path / "include",), (), (tmp_path / "libpython3.a", tmp_path / "libpython311.a"))
    target = TARGETS["win_amd64"]
    python = BuildPython("python3.11", 11, {})
    with_prefix = make_cross_env(target, python, sdk, tmp_path / "a", prefix=prefix).environ
    without = make_cross_env(target, python, sdk, tmp_path / "b").environ
    assert with_prefix["PKG_CONFIG_LIBDIR"] == (
        f"{prefix.path / 'lib' / 'pkgconfig'}:{prefix.path / 'share' / 'pkgconfig'}"
    )
    assert with_prefix["PKG_CONFIG_PATH"] == without["PKG_CONFIG_PATH"] == ""
    pkg_config = shutil.which("pkg-config")
    if pkg_config is None:
        return  # the variables are checked above; pkg-config itself is not on this machine
    import subprocess

    def ask(environ: dict[str, str], name: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **environ}
        return subprocess.run([pkg_config, "--cflags", name], env=env, capture_output=True, text=True)

    assert ask(with_prefix, "libxml-2.0").stdout.split() == [f"-I{prefix.path / 'include' / 'libxml2'}"]
    assert ask(with_prefix, "libffi").returncode != 0  # the host's libffi.pc is not seen
    assert ask(without, "libxml-2.0").returncode != 0


def test_a_failing_before_build_leaves_out_dir_empty(make_project, tmp_path):
    from fatpack.pipeline import Options, assemble

    root = make_project(
        tool="before-build = 'echo building >&2; echo no libfoo here >&2; exit 3'\n"
        '[[tool.fatpack.extension]]\nname = "proj._m"\nsources = ["m.c"]\n',
        files={"m.c": ""},
    )
    out = tmp_path / "dist"
    with pytest.raises(BuildError, match=r"^before-build for linux_x86_64 failed: no libfoo here$"):
        assemble(Options(project_dir=root, out_dir=out, targets=(TARGETS["linux_x86_64"],)))
    assert not out.exists() or list(out.iterdir()) == []


# --- the fixture project, built and run ------------------------------------------------------------


@pytest.fixture(scope="module")
def cnum_wheel(tmp_path_factory):
    from fatpack.pipeline import Options, assemble

    work = tmp_path_factory.mktemp("cnum")
    shutil.copytree(PROJECT, work / "cnum")
    return assemble(
        Options(
            project_dir=work / "cnum",
            out_dir=work / "dist",
            targets=(TARGETS["linux_x86_64"], TARGETS["win_amd64"]),
            abis=(),
        )
    )


@pytest.mark.compile
def test_library_built_before_runs_on_linux(cnum_wheel, tmp_path):
    """The extension links libcnum, which exists only because the before-build script built it for
    linux_x86_64; the project's own (reference) build compiled against the same prefix."""
    site = tmp_path / "site"
    install_into(cnum_wheel, site)
    proc = run_on_path(site, PROBE)
    assert proc.returncode == 0, proc.stderr
    value, target, file = proc.stdout.split()
    assert (value, target) == ("42", "linux_x86_64") and "/_fatpack/linux_x86_64/" in file


@pytest.mark.compile
@pytest.mark.wine
def test_library_built_before_runs_on_windows(cnum_wheel, tmp_path):
    python = WindowsPython("3.11", tmp_path / "py")
    python.pip_install(cnum_wheel)
    value, target, file = python.check("-c", PROBE).split()
    assert (value, target) == ("42", "win_amd64") and "\\_fatpack\\win_amd64\\" in file


# --- PyYAML's unchanged sdist with libyaml, built by CMake before -----------------------------------

LIBYAML_URL = "https://deb.debian.org/debian/pool/main/liby/libyaml/libyaml_0.2.5.orig.tar.gz"
LIBYAML_SHA256 = "fa240dbf262be053f3898006d502d514936c818e422afdcf33921c63bed9bf2e"
BUILD_LIBYAML = REPO / "tests" / "beforebuild" / "build-libyaml.sh"
YAML_PROBE = (
    "import yaml, yaml._yaml as y; "
    "data = yaml.load('a: [1, 2, {b: c}]', Loader=yaml.CLoader); "
    "assert data == {'a': [1, 2, {'b': 'c'}]}, data; "
    "assert yaml.dump(data, Dumper=yaml.CDumper) == 'a:\\n- 1\\n- 2\\n- b: c\\n'; "
    "print(yaml.__with_libyaml__, y.get_version_string(), y.__file__)"
)


def libyaml_tarball() -> Path:
    """libyaml 0.2.5's source (Debian's orig tarball: PyPI has no libyaml sdist), checked by sha256."""
    import hashlib
    import urllib.request

    from winepython import CACHE

    path = CACHE / "libyaml" / "libyaml_0.2.5.orig.tar.gz"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(LIBYAML_URL, timeout=60) as response:
            content = response.read()
        assert hashlib.sha256(content).hexdigest() == LIBYAML_SHA256
        path.write_bytes(content)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == LIBYAML_SHA256
    return path


@pytest.fixture(scope="module")
def pyyaml_wheel(tmp_path_factory):
    from winepython import CACHE, pip_download

    from fatpack.pipeline import Options, assemble
    from fatpack.targets import PythonAbi

    if shutil.which("cmake") is None:
        pytest.skip("cmake is not installed")
    sdist = pip_download("PyYAML==6.0.3", CACHE / "pyyaml-6.0.3-sdist", sdist=True)
    work = tmp_path_factory.mktemp("pyyaml")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIBYAML_TARBALL", str(libyaml_tarball()))
        return assemble(
            Options(
                project_dir=sdist,
                out_dir=work / "dist",
                targets=(TARGETS["linux_x86_64"], TARGETS["win_amd64"]),
                abis=(PythonAbi.parse("cp311"),),
                before_build=(f"sh {BUILD_LIBYAML}",),
            )
        )


@pytest.mark.compile
@pytest.mark.network
def test_pyyaml_uses_libyaml_built_before_on_linux(pyyaml_wheel, tmp_path):
    site = tmp_path / "site"
    install_into(pyyaml_wheel, site)
    proc = run_on_path(site, YAML_PROBE)
    assert proc.returncode == 0, proc.stderr
    with_libyaml, version, file = proc.stdout.split()
    assert (with_libyaml, version) == ("True", "0.2.5") and "/_fatpack/linux_x86_64/" in file


@pytest.mark.compile
@pytest.mark.network
@pytest.mark.wine
def test_pyyaml_uses_libyaml_built_before_on_windows(pyyaml_wheel, tmp_path):
    python = WindowsPython("3.11", tmp_path / "py")
    python.pip_install(pyyaml_wheel)
    with_libyaml, version, file = python.check("-c", YAML_PROBE).split()
    assert (with_libyaml, version) == ("True", "0.2.5") and "\\_fatpack\\win_amd64\\" in file


# the import library named as GNU tools name it (libcnum.dll.a): zig's -lcnum looks for cnum.lib or
# libcnum.a, which fatpack adds beside it
SHARED_SCRIPT = r"""set -eu
mkdir -p "$FATPACK_PREFIX/include" "$FATPACK_PREFIX/lib" "$FATPACK_PREFIX/bin"
cp cnum.h "$FATPACK_PREFIX/include/"
target="-DCNUM_TARGET=\"$FATPACK_TARGET\""
if [ "$FATPACK_TARGET" = win_amd64 ]; then
  $CC $CFLAGS "$target" -shared -o "$FATPACK_PREFIX/bin/cnum.dll" cnum.c \
    -Wl,--out-implib,"$FATPACK_PREFIX/lib/libcnum.dll.a"
else
  $CC $CFLAGS "$target" -shared -Wl,-soname,libcnum.so.1 -o "$FATPACK_PREFIX/lib/libcnum.so.1.0" cnum.c
  ln -s libcnum.so.1.0 "$FATPACK_PREFIX/lib/libcnum.so.1"
  ln -s libcnum.so.1 "$FATPACK_PREFIX/lib/libcnum.so"
fi
"""


def shared_cnum_project(make_project) -> Path:
    """cnum with libcnum built shared by its before-build (a SONAME'd .so on Linux, a DLL on Windows)."""
    vendor = PROJECT / "vendor" / "cnum"
    return make_project(
        tool="before-build = 'sh build.sh'\n"
        '[[tool.fatpack.extension]]\nname = "cnum._cnum"\nsources = ["_cnum.c"]\nlibraries = ["cnum"]\n',
        files={
            "build.sh": SHARED_SCRIPT,
            "cnum.h": (vendor / "cnum.h").read_text(),
            "cnum.c": (vendor / "cnum.c").read_text(),
            "_cnum.c": (PROJECT / "src" / "cnum" / "_cnum.c").read_text(),
            "cnum/__init__.py": "",
        },
    )


@pytest.fixture(scope="module")
def shared_cnum_wheel(tmp_path_factory):
    from fatpack.pipeline import Options, assemble

    work = tmp_path_factory.mktemp("shared-cnum")
    root = shared_cnum_project(lambda **kw: _write_project(work, **kw))
    targets = (TARGETS["linux_x86_64"], TARGETS["win_amd64"])
    return assemble(Options(project_dir=root, out_dir=work / "dist", targets=targets))


def _write_project(where: Path, tool: str, files: Mapping[str, str]) -> Path:
    root = where / "cnum"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "cnum"\nversion = "1.0"\n[tool.fatpack]\n' + tool)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.compile
def test_a_shared_library_of_the_prefix_is_bundled_on_linux(shared_cnum_wheel, tmp_path):
    import zipfile

    names = zipfile.ZipFile(shared_cnum_wheel).namelist()
    assert "cnum/_fatpack/linux_x86_64/libs/libcnum.so.1" in names  # under its SONAME
    assert "cnum/_fatpack/win_amd64/libs/cnum.dll" in names
    site = tmp_path / "site"
    install_into(shared_cnum_wheel, site)
    proc = run_on_path(site, PROBE)
    assert proc.returncode == 0, proc.stderr
    value, target, _ = proc.stdout.split()
    assert (value, target) == ("42", "linux_x86_64")


@pytest.mark.compile
@pytest.mark.wine
def test_a_shared_library_of_the_prefix_is_bundled_on_windows(shared_cnum_wheel, tmp_path):
    python = WindowsPython("3.11", tmp_path / "py")
    python.pip_install(shared_cnum_wheel)
    value, target, _ = python.check("-c", PROBE).split()
    assert (value, target) == ("42", "win_amd64")


def test_the_command_line_says_a_failing_before_build_in_one_error_line(make_project, tmp_path, capsys):
    from fatpack.cli import main

    root = make_project(
        tool='[[tool.fatpack.extension]]\nname = "proj._m"\nsources = ["m.c"]\n', files={"m.c": ""}
    )
    out = tmp_path / "dist"
    command = "echo checking for libfoo... no; echo 'libfoo is missing' >&2; exit 1"
    status = main(["assemble", str(root), "-o", str(out), "--target", "win_amd64", "--before-build", command])
    assert status == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert errors == ["error: before-build for win_amd64 failed: libfoo is missing"]
    assert not out.exists() or list(out.iterdir()) == []


# libcnum shared, for the project's own (setuptools) build, and libunused, which no extension links
CROSS_SHARED_SCRIPT = r"""set -eu
mkdir -p "$FATPACK_PREFIX/include" "$FATPACK_PREFIX/lib" "$FATPACK_PREFIX/bin"
cp vendor/cnum/cnum.h "$FATPACK_PREFIX/include/"
target="-DCNUM_TARGET=\"$FATPACK_TARGET\""
echo 'int unused_answer(void) { return 7; }' > unused.c
if [ "$FATPACK_TARGET" = win_amd64 ]; then
  $CC $CFLAGS "$target" -shared -o "$FATPACK_PREFIX/bin/cnum.dll" vendor/cnum/cnum.c \
    -Wl,--out-implib,"$FATPACK_PREFIX/lib/libcnum.dll.a"
  $CC $CFLAGS -shared -o "$FATPACK_PREFIX/bin/unused.dll" unused.c \
    -Wl,--out-implib,"$FATPACK_PREFIX/lib/libunused.dll.a"
else
  $CC $CFLAGS "$target" -shared -Wl,-soname,libcnum.so.1 -o "$FATPACK_PREFIX/lib/libcnum.so.1.0" \
    vendor/cnum/cnum.c
  ln -s libcnum.so.1.0 "$FATPACK_PREFIX/lib/libcnum.so.1"
  ln -s libcnum.so.1 "$FATPACK_PREFIX/lib/libcnum.so"
  $CC $CFLAGS -shared -o "$FATPACK_PREFIX/lib/libunused.so" unused.c
fi
"""


@pytest.fixture(scope="module")
def cross_shared_cnum_wheel(tmp_path_factory):
    """The setuptools cnum project, cross-built by its own backend, with libcnum built shared by its
    before-build (a SONAME'd .so on Linux, a DLL on Windows) and a libunused beside it; no payload cache,
    so the prefix is gone once the run ends."""
    from fatpack.pipeline import Options, assemble

    work = tmp_path_factory.mktemp("cross-shared-cnum")
    project = Path(shutil.copytree(PROJECT, work / "cnum"))
    (project / "scripts" / "build-cnum.sh").write_text(CROSS_SHARED_SCRIPT)
    targets = (TARGETS["linux_x86_64"], TARGETS["win_amd64"])
    return assemble(Options(project, work / "dist", targets=targets, cache_dir=None))


@pytest.mark.compile
def test_a_shared_library_from_before_build_is_bundled_by_the_cross_build_on_linux(
    cross_shared_cnum_wheel, tmp_path
):
    """The project's own build links what the prefix holds: libcnum goes beside the extension under its
    SONAME (found through the RUNPATH $ORIGIN), libunused, which nothing links, is not bundled."""
    import io
    import zipfile

    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile

    with zipfile.ZipFile(cross_shared_cnum_wheel) as archive:
        names = archive.namelist()
        (linux,) = [n for n in names if n.endswith("-x86_64-linux-gnu.so")]
        (windows,) = [n for n in names if n.endswith(".pyd")]
        dynamic = ELFFile(io.BytesIO(archive.read(linux))).get_section_by_name(".dynamic")
    assert linux.startswith("cnum/_fatpack/linux_x86_64/") and windows.startswith("cnum/_fatpack/win_amd64/")
    bundled = sorted(n for n in names if n.endswith((".dll", ".so.1")) or "unused" in n)
    assert bundled == sorted(
        [f"{linux.rpartition('/')[0]}/libcnum.so.1", f"{windows.rpartition('/')[0]}/cnum.dll"]
    )
    assert isinstance(dynamic, DynamicSection)
    assert [t.runpath for t in dynamic.iter_tags("DT_RUNPATH")] == ["$ORIGIN"]
    site = tmp_path / "site"
    install_into(cross_shared_cnum_wheel, site)
    proc = run_on_path(site, PROBE)
    assert proc.returncode == 0, proc.stderr
    value, target, _ = proc.stdout.split()
    assert (value, target) == ("42", "linux_x86_64")
    # from the wheel itself (a zip on sys.path): the library is extracted beside the extension too
    cache = tmp_path / "cache"
    proc = run_on_path(
        cross_shared_cnum_wheel, PROBE, env={"PATH": "/usr/bin:/bin", "FATPACK_CACHE_DIR": str(cache)}
    )
    assert proc.returncode == 0, proc.stderr
    value, target, file = proc.stdout.split()
    assert (value, target) == ("42", "linux_x86_64") and file.startswith(str(cache))


@pytest.mark.compile
@pytest.mark.wine
def test_a_shared_library_from_before_build_is_bundled_by_the_cross_build_on_windows(
    cross_shared_cnum_wheel, tmp_path
):
    python = WindowsPython("3.11", tmp_path / "py")
    python.pip_install(cross_shared_cnum_wheel)
    value, target, _ = python.check("-c", PROBE).split()
    assert (value, target) == ("42", "win_amd64")


@pytest.mark.compile
@pytest.mark.qemu
def test_a_shared_library_from_before_build_is_bundled_by_the_cross_build_on_linux_aarch64(tmp_path):
    """The same for linux_aarch64, imported and called by Debian's arm64 CPython under qemu."""
    from qemupython import Arm64Python

    from fatpack.pipeline import Options, assemble

    project = Path(shutil.copytree(PROJECT, tmp_path / "cnum"))
    (project / "scripts" / "build-cnum.sh").write_text(CROSS_SHARED_SCRIPT)
    wheel = assemble(Options(project, tmp_path / "dist", targets=(TARGETS["linux_aarch64"],), cache_dir=None))
    site = install_into(wheel, tmp_path / "site")
    proc = Arm64Python().run(PROBE, site)
    assert proc.returncode == 0, proc.stderr
    value, target, file = proc.stdout.split()
    assert (value, target) == ("42", "linux_aarch64") and "/linux_aarch64/" in file


@pytest.mark.compile
def test_a_shared_library_without_soname_is_bundled_by_the_cross_build(tmp_path):
    """libcnum.so with no SONAME is recorded as 'libcnum.so': bundled under that name beside the extension,
    it is a library, not an extension module `cnum.libcnum` (which verify refused: no PyInit_libcnum)."""
    from fatpack.pipeline import Options, assemble

    project = Path(shutil.copytree(PROJECT, tmp_path / "cnum"))
    (project / "scripts" / "build-cnum.sh").write_text(
        'set -eu\nmkdir -p "$FATPACK_PREFIX/include" "$FATPACK_PREFIX/lib"\n'
        '$CC $CPPFLAGS $CFLAGS -shared -DCNUM_TARGET=\\"$FATPACK_TARGET\\" vendor/cnum/cnum.c '
        '-o "$FATPACK_PREFIX/lib/libcnum.so"\ncp vendor/cnum/cnum.h "$FATPACK_PREFIX/include/"\n'
    )
    wheel = assemble(Options(project, tmp_path / "dist", targets=(TARGETS["linux_x86_64"],), cache_dir=None))
    manifest = [
        line.split("\t") for line in _member(wheel, "cnum/_fatpack/manifest.tsv").decode().splitlines()
    ]
    assert [row[:3] for row in manifest if "libcnum" in row[0]] == [
        ["lib:libcnum.so", "linux_x86_64", "library"]
    ]
    site = tmp_path / "site"
    install_into(wheel, site)
    proc = run_on_path(site, PROBE)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[:2] == ["42", "linux_x86_64"]


def _member(wheel: Path, name: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        return archive.read(name)


# Windows: cnum.dll wraps dep.dll (cnum.c with its functions renamed): the .pyd imports only cnum.dll
DLL_CHAIN_SCRIPT = r"""set -eu
[ "$FATPACK_TARGET" = win_amd64 ] || exec sh scripts/static.sh  # the host's, for the reference build
mkdir -p "$FATPACK_PREFIX/include" "$FATPACK_PREFIX/lib" "$FATPACK_PREFIX/bin"
cp vendor/cnum/cnum.h "$FATPACK_PREFIX/include/"
$CC $CFLAGS "-DCNUM_TARGET=\"$FATPACK_TARGET\"" -Dcnum_triple=dep_triple -Dcnum_target=dep_target -shared \
  -o "$FATPACK_PREFIX/bin/dep.dll" vendor/cnum/cnum.c -Wl,--out-implib,"$FATPACK_PREFIX/lib/libdep.dll.a"
printf '%s\n' '#include "cnum.h"' 'int dep_triple(int);' 'const char *dep_target(void);' \
  'int cnum_triple(int x) { return dep_triple(x); }' 'const char *cnum_target(void) { return dep_target(); }' > wrap.c
$CC $CFLAGS -Ivendor/cnum -shared -o "$FATPACK_PREFIX/bin/cnum.dll" wrap.c "$FATPACK_PREFIX/lib/libdep.dll.a" \
  -Wl,--out-implib,"$FATPACK_PREFIX/lib/libcnum.dll.a"
"""


@pytest.mark.compile
@pytest.mark.wine
def test_a_dll_needing_another_of_the_prefix_is_bundled_with_it_by_the_cross_build(tmp_path):
    """The .pyd imports cnum.dll, which imports dep.dll: both go beside the .pyd, and it imports under Wine
    (a DLL's own dependencies are searched in the directories the loader added)."""
    from fatpack.pipeline import Options, assemble

    project = Path(shutil.copytree(PROJECT, tmp_path / "cnum"))
    shutil.copyfile(project / "scripts" / "build-cnum.sh", project / "scripts" / "static.sh")
    (project / "scripts" / "build-cnum.sh").write_text(DLL_CHAIN_SCRIPT)
    wheel = assemble(Options(project, tmp_path / "dist", targets=(TARGETS["win_amd64"],), cache_dir=None))
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    (pyd,) = [n for n in names if n.endswith(".pyd")]
    directory = pyd.rpartition("/")[0]
    assert sorted(n for n in names if n.endswith(".dll")) == [f"{directory}/cnum.dll", f"{directory}/dep.dll"]
    python = WindowsPython("3.11", tmp_path / "py")
    python.pip_install(wheel)
    value, target, _ = python.check("-c", PROBE).split()
    assert (value, target) == ("42", "win_amd64")


@pytest.mark.compile
def test_a_shared_library_needing_another_of_the_prefix_is_refused_in_the_cross_build(tmp_path):
    """libcnum needing libdep, both shared in the prefix: libdep would not be found from libcnum (RUNPATH
    is not inherited), so the run stops in one line naming both."""
    from fatpack.pipeline import Options, assemble

    project = Path(shutil.copytree(PROJECT, tmp_path / "cnum"))
    (project / "scripts" / "build-cnum.sh").write_text(
        'set -eu\nmkdir -p "$FATPACK_PREFIX/include" "$FATPACK_PREFIX/lib"\n'
        "echo 'int dep_value(void) { return 3; }' > dep.c\n"
        '$CC $CFLAGS -shared -o "$FATPACK_PREFIX/lib/libdep.so" dep.c\n'
        '$CC $CPPFLAGS $CFLAGS -shared -DCNUM_TARGET=\\"$FATPACK_TARGET\\" vendor/cnum/cnum.c '
        '-o "$FATPACK_PREFIX/lib/libcnum.so" -L"$FATPACK_PREFIX/lib" -Wl,--no-as-needed -ldep\n'
        'cp vendor/cnum/cnum.h "$FATPACK_PREFIX/include/"\n'
    )
    with pytest.raises(
        ConfigError, match=r"^libcnum\.so \(before-build, linux_x86_64\) needs libdep\.so, another"
    ):
        assemble(Options(project, tmp_path / "dist", targets=(TARGETS["linux_x86_64"],), cache_dir=None))
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def test_a_macos_install_name_is_matched_to_the_prefixs_library(tmp_path):
    """macOS binaries record install names (`/abs/prefix/lib/libfoo.dylib`, `@rpath/...`), not file
    names: a prefix's dylib linked so was not seen, and the wheel shipped a path into this machine."""
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libfoo.1.dylib").write_bytes(b"")
    prefix = Prefix(TARGETS["macosx_arm64"], tmp_path)
    for needed in (f"{tmp_path}/lib/libfoo.1.dylib", "@rpath/libfoo.1.dylib"):
        with pytest.raises(ConfigError, match=r"links .*libfoo\.1\.dylib, a shared library the before-build"):
            prefix.linked_libraries(Path("_ext.so"), [needed, "/usr/lib/libSystem.B.dylib"])
