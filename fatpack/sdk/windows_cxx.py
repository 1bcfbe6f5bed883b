"""An uncaught C++ exception in a zig-built Windows module ends the process as an MSVC-built one's does.

zig links LLVM's libc++abi and libunwind: the GNU C++ ABI on top of Windows' SEH (x64, arm64). A throw is
`RaiseException(0x20474343)` (STATUS_GCC_THROW); when no frame catches it, libunwind expects the process's
top-level exception filter to continue the exception, so that `_Unwind_RaiseException` returns and
libc++abi calls `std::terminate` (which prints "libc++abi: terminating due to uncaught exception of type
..." and calls `abort()`). A MinGW program's startup code installs that filter (mingw-w64's
`_gnu_exception_handler`); python.exe, built by MSVC, does not. Without it the exception reaches
Windows' default handler and the process dies of exception 0x20474343 (a crash report, no message, exit
code 0x20474343; 67 under Wine), where an MSVC-built module's uncaught exception calls `terminate()`,
`abort()`: exit code 3 (greenlet's tests assert that).

So every Windows module linked as C++ gets one small object whose constructor installs the filter
mingw-w64 would: it continues a continuable GCC exception (the code masked with 0x20FFFFFF, as
mingw-w64 masks it, also covers the unwind and forced-unwind codes) and passes every other exception to
the filter it replaced. It is reached only when nothing else handled the exception, so a caught
exception, and every exception that is not GCC's, behave as before. On 32-bit x86 zig's libunwind
unwinds with DWARF tables, not SEH, and the filter is never reached; it is linked the same.
"""

from __future__ import annotations

from pathlib import Path

from fatpack.runner import Runner, zig_command
from fatpack.targets import Target

FILTER_SOURCE = r"""/* Written by fatpack (fatpack/sdk/windows_cxx.py): an uncaught C++ exception of the GNU
   ABI (libc++abi + libunwind) ends in std::terminate, as in a MinGW program, not in a crash. */
#include <windows.h>

#define FATPACK_GCC_MAGIC (('G' << 16) | ('C' << 8) | 'C' | (1U << 29))

static LPTOP_LEVEL_EXCEPTION_FILTER fatpack_previous_filter;

static LONG WINAPI fatpack_gcc_exception_filter(EXCEPTION_POINTERS *info)
{
    const EXCEPTION_RECORD *record = info->ExceptionRecord;
    if ((record->ExceptionCode & 0x20FFFFFF) == FATPACK_GCC_MAGIC
        && (record->ExceptionFlags & EXCEPTION_NONCONTINUABLE) == 0)
        return EXCEPTION_CONTINUE_EXECUTION; /* _Unwind_RaiseException returns: std::terminate */
    return fatpack_previous_filter ? fatpack_previous_filter(info) : EXCEPTION_CONTINUE_SEARCH;
}

__attribute__((constructor)) static void fatpack_install_gcc_exception_filter(void)
{
    fatpack_previous_filter = SetUnhandledExceptionFilter(fatpack_gcc_exception_filter);
}
"""
OBJECT_NAME = "fatpack-cxx-terminate.o"


def cxx_link_objects(target: Target, work_dir: Path, runner: Runner) -> tuple[Path, ...]:
    """What a C++ link for `target` adds: for Windows the filter's object, compiled into `work_dir`
    (private to one build: parallel builds never share it), else nothing."""
    if not target.is_windows:
        return ()
    work_dir.mkdir(parents=True, exist_ok=True)
    source = work_dir / "fatpack-cxx-terminate.c"
    source.write_text(FILTER_SOURCE, encoding="ascii")
    obj = work_dir / OBJECT_NAME
    runner([*zig_command("cc"), "-target", target.zig_triple, "-O2", "-c", str(source), "-o", str(obj)])
    return (obj,)
