"""MSVC's flags in a setup.py's Windows branch, translated for zig (fatpack/builders/msvc_flags.py)."""

import logging
import shutil
from pathlib import Path

import pytest
from winepython import WindowsPython

from fatpack.build import build_payloads
from fatpack.builders.msvc_flags import msvc_option, msvc_to_gcc, windows_library_name
from fatpack.config import load_project
from fatpack.errors import ConfigError
from fatpack.plan import make_plan
from fatpack.targets import TARGETS

PROJECT = Path(__file__).parent / "projects" / "msvcflags"
WINDOWS, LINUX = TARGETS["win_amd64"], TARGETS["linux_x86_64"]


def test_compile_flags_translated_or_dropped(caplog):
    args = ["/O2", "/EHsc", "/W3", "/wd4996", "/std:c++17", "/utf-8", "/DNAME", "/DVALUE=1", "/D", "SEP",
            "/Iinclude", "/I", "other", "/MT", "/GR-", "/arch:AVX2", "/fp:fast", "/Zc:__cplusplus",
            "/nologo", "/GT", "/FIforce.h", "-DKEEP", "-O3", "/usr/include/x"]  # fmt: skip
    with caplog.at_level(logging.INFO, logger="fatpack"):
        translated = msvc_to_gcc(args, WINDOWS)
    assert translated == ["-O2", "-std=c++17", "-DNAME", "-DVALUE=1", "-D", "SEP", "-Iinclude", "-I", "other",
                          "-fno-rtti", "-mavx2", "-ffast-math", "-includeforce.h", "-DKEEP", "-O3",
                          "/usr/include/x"]  # fmt: skip
    dropped = caplog.text
    assert "/W3 dropped for win_amd64 (warning level)" in dropped
    assert "/MT dropped for win_amd64 (MSVC's static runtime" in dropped
    assert "/EHsc dropped" in dropped and "/wd4996 dropped" in dropped
    assert "/GT dropped for win_amd64 (fiber-safe TLS" in dropped  # greenlet's Windows branch


def test_link_flags_and_libraries(tmp_path):
    (tmp_path / "Own.lib").write_bytes(b"")
    args = [
        "/DEBUG",
        "/OPT:REF",
        "/LIBPATH:libs",
        "/STACK:4194304",
        "Shell32.lib",
        "Own.lib",
        "/DEF:x.def",
        "-s",
    ]
    translated = msvc_to_gcc(args, WINDOWS, link=True, library_dirs=[tmp_path])
    assert translated == ["-Llibs", "-Wl,--stack,4194304", "-lshell32", "-lOwn", "x.def", "-s"]
    assert windows_library_name("Advapi32") == "advapi32"
    assert windows_library_name("WS2_32.lib") == "ws2_32"


@pytest.mark.parametrize(
    ("arg", "link", "says"),
    [
        ("/openmp", False, "/openmp: OpenMP needs an OpenMP runtime"),
        ("/clr", False, "C++/CLI"),
        ("/Fonowhere.obj", False, "/Fonowhere.obj is an MSVC option with no GCC/clang equivalent"),
        ("/DELAYLOAD:foo.dll", True, "delay-loaded DLLs"),
        ("/WHATEVER", True, "/WHATEVER is an MSVC linker option"),
    ],
)
def test_untranslatable_flags_are_refused_in_one_line(arg, link, says):
    with pytest.raises(ConfigError) as caught:
        msvc_to_gcc([arg], WINDOWS, link=link)
    message = str(caught.value)
    assert says in message and "setup.py's Windows branch" in message and "\n" not in message


def test_other_targets_and_paths_pass_through():
    assert msvc_to_gcc(["/O2", "/W3"], LINUX) == ["/O2", "/W3"]
    assert msvc_option("/usr/include") is None and msvc_option("/tmp/x.o") is None
    assert msvc_option("/Ic:/sdk/include") == "Ic:/sdk/include" and msvc_option("/O2") == "O2"


def test_setup_py_windows_branch_reaches_zig_translated(runner, tmp_path):
    project = Path(shutil.copytree(PROJECT, tmp_path / "msvcflags"))
    config = load_project(project)
    build_payloads(make_plan(config, targets=[WINDOWS]), runner, tmp_path / "work", tmp_path / "out")
    (compile_command,) = [c for c in runner.commands if "-MF" in c]  # the project's (a dependency file)
    (link,) = [c for c in runner.commands if "-shared" in c]
    assert "-std=c++17" in compile_command and "-DMSVC_BRANCH=1" in compile_command
    assert not [a for a in compile_command + link if a.startswith("/") and not a.startswith("/tmp")
                and not a.startswith(str(Path.home())) and not Path(a).exists()]  # fmt: skip
    assert "-ladvapi32" in link and "-lshell32" in link


def test_untranslatable_flag_names_extension_target_and_setting(runner, tmp_path):
    project = Path(shutil.copytree(PROJECT, tmp_path / "msvcflags"))
    setup = project / "setup.py"
    setup.write_text(setup.read_text().replace('"/GS-",', '"/GS-", "/openmp",'))
    config = load_project(project)
    with pytest.raises(ConfigError, match=r"^msvcflags._native for win_amd64, extra_compile_args: /openmp: "):
        build_payloads(make_plan(config, targets=[WINDOWS]), runner, tmp_path / "work", tmp_path / "out")


@pytest.mark.compile
@pytest.mark.wine
def test_msvc_branch_builds_and_runs_on_windows_python(tmp_path):
    from fatpack.pipeline import Options, assemble

    project = Path(shutil.copytree(PROJECT, tmp_path / "msvcflags"))
    wheel = assemble(Options(project, tmp_path / "dist", targets=[WINDOWS], cache_dir=None))
    python = WindowsPython("3.11", tmp_path / "py")
    python.pip_install(wheel)
    out = python.check("-c", "import msvcflags as m; print(m.branch(), m.windows_dir_length() > 0)")
    assert out.split() == ["msvc-branch", "True"]


@pytest.mark.compile
def test_cross_build_names_an_untranslatable_flag_in_one_line(tmp_path):
    from fatpack.errors import BuildError
    from fatpack.pipeline import Options, assemble

    project = Path(shutil.copytree(PROJECT, tmp_path / "msvcflags"))
    setup = project / "setup.py"
    setup.write_text(setup.read_text().replace('"/GS-",', '"/GS-", "/openmp",'))
    with pytest.raises(
        BuildError, match=r"^win_amd64: the project's own build failed .*: fatpack: /openmp: OpenMP"
    ):
        assemble(Options(project, tmp_path / "dist", targets=[WINDOWS], cache_dir=None))
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())
