"""A failed compile in one line: the MSVC-only construct zig stopped at, and the way out."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fatpack.diagnosis import diagnose, first_error
from fatpack.errors import BuildError
from fatpack.pipeline import Options, assemble
from fatpack.targets import TARGETS

PROJECTS = Path(__file__).parent / "projects"
WINDOWS = TARGETS["win_amd64"]

# each snippet as code written for MSVC has it, and what the one line must name
SNIPPETS = {
    "inline_asm.c": (
        "int f(void) { __asm { mov eax, 1 } return 0; }\n",
        "MSVC inline assembly",
        "-fasm-blocks",
    ),
    "seh.c": (
        "#include <windows.h>\nint f(int *p) { __try { return *p; } __except (EXCEPTION_EXECUTE_HANDLER) { return -1; } }\n",
        "structured exception handling",
        "#ifdef _MSC_VER",
    ),
    "feature.c": (
        "#include <intrin.h>\nunsigned long long f(void) { return _mm_popcnt_u64(3); }\n",
        "intrinsic _mm_popcnt_u64 needs the CPU feature popcnt",
        "-mpopcnt",
    ),
    "intrinsic.c": (
        "unsigned long long f(void) { return __umulh(1, 2); }\n",
        "__umulh is an MSVC intrinsic",
        "include <intrin.h>",
    ),
    "int64.c": (
        "unsigned __int64 f(void) { return 1; }\n",
        "__int64 is an MSVC built-in type",
        "<windows.h>",
    ),
    "header.c": (
        "#include <yaml.h>\nint f(void) { return 0; }\n",
        "missing header yaml.h (from libyaml)",
        "before-build",
    ),
    "posix.c": (  # psutil's Linux module compiled for Windows
        "#include <sys/syscall.h>\nint f(void) { return 0; }\n",
        "sys/syscall.h is a POSIX system header the target does not have",
        "build it only for POSIX targets",
    ),
    "unknown.c": (
        "int f(void) { return undeclared_thing; }\n",
        "use of undeclared identifier 'undeclared_thing'",
        "",
    ),
}


def zig_output(source: Path, *extra: str) -> str:
    command = [sys.executable, "-m", "ziglang", "cc", "-target", "x86_64-windows-gnu", "-O2", *extra]
    proc = subprocess.run([*command, "-c", str(source), "-o", str(source.with_suffix(".o"))],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode != 0, f"{source.name} compiled"
    return proc.stderr


@pytest.mark.compile
@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_real_zig_failures_are_named(name, tmp_path):
    text, cause, way_out = SNIPPETS[name]
    source = tmp_path / name
    source.write_text(text)
    found = diagnose(zig_output(source), source, tmp_path)
    assert found is not None and cause in found.cause and way_out in found.way_out, found
    assert "\n" not in str(found)


@pytest.mark.compile
@pytest.mark.parametrize("name", ["inline_asm.c"])
def test_the_way_out_named_for_msvc_blocks_works(name, tmp_path):
    """-fasm-blocks, as the one line says, makes zig compile MSVC's asm blocks."""
    text, _, way_out = SNIPPETS[name]
    source = tmp_path / name
    source.write_text(text)
    command = [sys.executable, "-m", "ziglang", "cc", "-target", "x86_64-windows-gnu", "-O2", way_out]
    subprocess.run([*command, "-c", str(source), "-o", str(tmp_path / "x.o")], check=True)


def test_masm_source_names_a_prebuilt_object_beside_it(tmp_path):
    (tmp_path / "switch.asm").write_text("slp_switch PROC\nslp_switch ENDP\n")
    (tmp_path / "switch.obj").write_bytes(b"\x64\x86")
    output = "lld-link: error: undefined symbol: slp_switch\n>>> referenced by x.cpp:183\n"
    found = diagnose(output, None, tmp_path)
    assert found is not None
    assert found.cause.startswith("MASM assembly is MSVC-only: slp_switch is defined only in switch.asm")
    assert "link the prebuilt object switch.obj" in found.way_out
    assert str(diagnose("x.asm:2:1: error: unknown directive .code\n", tmp_path / "x.asm")).startswith(
        "MASM assembly is MSVC-only: x.asm"
    )


def test_the_masm_file_for_the_target_architecture_is_named(tmp_path):
    """greenlet has switch_arm64_masm.asm and switch_x64_masm.asm, both defining slp_switch."""
    for name in ("switch_arm64_masm.asm", "switch_x64_masm.asm"):
        (tmp_path / name).write_text("slp_switch PROC\nslp_switch ENDP\n")
    output = "lld-link: error: undefined symbol: slp_switch\n"
    assert "switch_x64_masm.asm" in str(diagnose(output, None, tmp_path, "x86_64"))
    assert "switch_arm64_masm.asm" in str(diagnose(output, None, tmp_path, "aarch64"))


def test_a_definition_mingw_has_and_the_windows_sdk_lacks():
    """psutil's ntextapi.h defines _KWAIT_REASON for MSVC; mingw-w64's winternl.h has it too."""
    output = (
        "/p/psutil/arch/windows/ntextapi.h:60:14: error: redefinition of '_KWAIT_REASON'\n"
        "   60 | typedef enum _KWAIT_REASON {\n"
        "      |              ^\n"
        "/z/lib/libc/include/any-windows-any/winternl.h:693:16: note: previous definition is here\n"
    )
    found = diagnose(output, Path("/p/psutil/arch/all/errors.c"))
    assert str(found) == (
        "_KWAIT_REASON is defined both in ntextapi.h and in mingw-w64's winternl.h (the Windows SDK MSVC builds "
        "with lacks it); guard the definition in ntextapi.h with #ifndef __MINGW32__ (or #ifdef _MSC_VER)"
    )


def test_a_c_runtime_function_without_its_header(tmp_path):
    output = "spt_status.c:406:41: error: call to undeclared function '_getpid'; ISO C99 and later do not support implicit function declarations\n"
    found = diagnose(output, tmp_path / "spt_status.c", tmp_path)
    assert found is not None and found.cause.startswith("_getpid is called with no declaration in scope")
    assert found.way_out == "include <process.h> where it is used"


def test_pragma_comment_lib_named_for_an_undefined_symbol(tmp_path):
    (tmp_path / "net.c").write_text(
        '#pragma comment(lib, "ws2_32.lib")\n#pragma comment(lib, "python311.lib")\n'
    )
    output = "lld-link: error: undefined symbol: __declspec(dllimport) WSAStartup\nlld-link: error: undefined symbol: bind\n"
    found = diagnose(output, None, tmp_path)
    assert found is not None
    assert found.cause.startswith('undefined symbol WSAStartup (and 1 more): the sources link "ws2_32.lib"')
    assert found.way_out == 'add "ws2_32.lib" to the extension\'s libraries for Windows'


def test_missing_header_found_elsewhere_in_the_project(tmp_path):
    (tmp_path / "vendor" / "llhttp" / "include").mkdir(parents=True)
    (tmp_path / "vendor" / "llhttp" / "include" / "llhttp.h").write_text("")
    output = "parser.c:1377:10: fatal error: 'llhttp.h' file not found\n 1377 | #include \"llhttp.h\"\n"
    found = diagnose(output, tmp_path / "parser.c", tmp_path)
    assert found is not None and "the project has it in vendor/llhttp/include/" in found.cause
    assert found.way_out.startswith("add vendor/llhttp/include to the extension's include_dirs")


def test_first_error_and_nothing_recognised():
    assert first_error("In file included from a.h:1:\n/x/y.c:12:5: error: boom here\n") == "y.c:12: boom here"
    assert first_error("gcc: fatal error: no input files\n") == "no input files"
    assert diagnose("just some noise\n") is None


@pytest.mark.compile
def test_masm_only_function_fails_in_one_line_naming_it(tmp_path):
    project = Path(shutil.copytree(PROJECTS / "masmdemo", tmp_path / "masmdemo"))
    with pytest.raises(BuildError) as caught:
        assemble(Options(project, tmp_path / "dist", targets=[WINDOWS], cache_dir=None))
    message = str(caught.value)
    assert message.startswith("zig cc failed for win_amd64 linking masmdemo._native (cp38-abi3): MASM assembly is "
                              "MSVC-only: masm_add is defined only in add_x64.asm")  # fmt: skip
    assert "exited with code" not in message and "\n" not in message
    assert "undefined symbol: masm_add" in caught.value.output  # the full output is still there


@pytest.mark.compile
def test_cli_names_the_source_and_construct(tmp_path):
    project = tmp_path / "p"
    (project / "src" / "p").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\n[[tool.fatpack.extension]]\nname = "p._x"\nsources = ["src/p/_x.c"]\n'
    )
    (project / "src" / "p" / "_x.c").write_text(SNIPPETS["seh.c"][0])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    proc = subprocess.run([sys.executable, "-m", "fatpack", "assemble", str(project), "--target", "win_amd64",
                           "-o", str(tmp_path / "out"), "--no-cache"], capture_output=True, text=True, env=env,
                          check=False)  # fmt: skip
    first = proc.stderr.splitlines()[proc.stderr.splitlines().index(next(
        line for line in proc.stderr.splitlines() if line.startswith("error:")))]  # fmt: skip
    assert first.startswith(
        "error: zig cc failed for win_amd64 on src/p/_x.c (p._x, cp38-abi3): structured exception handling"
    ), proc.stderr
