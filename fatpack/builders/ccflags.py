"""Command-line arguments shared by GCC-style compiler drivers (zig cc, gcc, clang)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from fatpack.builders import BuildJob
from fatpack.builders.msvc_flags import msvc_to_gcc, windows_library_name
from fatpack.cache import UNTRACKED_READS
from fatpack.errors import ConfigError
from fatpack.object_cache import (
    ObjectCache,
    cacheable,
    cacheable_input,
    cacheable_source,
    reads_precompiled_header,
    reads_unnamed_profile,
)
from fatpack.runner import Runner

RELEASE_FLAGS = ("-O2",)


def define_flag(name: str, value: Optional[str]) -> str:
    return f"-D{name}" if value is None else f"-D{name}={value}"


def compile_args(job: BuildJob) -> list[str]:
    """Everything for compiling one source (`-c`) except the compiler, the target, the source and `-o`."""
    ext, sdk = job.extension, job.sdk
    args = [*RELEASE_FLAGS]
    if not job.target.is_windows:
        args.append("-fPIC")
    args += [f"-I{d}" for d in ext.include_dirs]
    args += [f"-I{d}" for d in sdk.include_dirs]
    args += [define_flag(n, v) for n, v in sdk.defines + ext.define_macros]
    args += [f"-U{n}" for n in ext.undef_macros]
    args += translated_args(job, ext.extra_compile_args, "extra_compile_args")
    return args


def link_args(job: BuildJob, objects: Sequence[Path]) -> list[str]:
    """Everything for linking `objects` into the shared library except the compiler, the target and `-o`."""
    ext, sdk = job.extension, job.sdk
    args = ["-shared", *RELEASE_FLAGS]
    if job.target.is_macos and not job.library:
        # CPython resolves the Python API at load time; macOS linkers refuse undefined symbols otherwise.
        args.append("-Wl,-undefined,dynamic_lookup")
    if job.target.is_macos:
        args.append(f"-Wl,-install_name,@rpath/{job.output.name}")
    elif job.library and not job.target.is_windows:
        args.append(f"-Wl,-soname,{job.output.name}")
    if job.bundled and not job.target.is_windows:
        # bundled libraries sit in libs/ beside the payload; Windows finds them through the loader instead
        args.append("-Wl,-rpath,@loader_path/libs" if job.target.is_macos else "-Wl,-rpath,$ORIGIN/libs")
    if job.strip:
        args.append("-s")
    args += [str(o) for o in objects]
    args += [str(lib) for lib in sdk.link_inputs]
    args += bundled_link_args(job)
    args += [f"-L{d}" for d in ext.library_dirs]
    args += [f"-l{library_name(lib, job)}" for lib in ext.libraries]
    args += translated_args(job, ext.extra_link_args, "extra_link_args")
    return args


def translated_args(job: BuildJob, args: Sequence[str], setting: str) -> list[str]:
    """`args` with MSVC's options in GCC's spelling for a Windows target (builders/msvc_flags.py); a
    ConfigError naming the extension, the target and the setting for one that has none."""
    link = setting == "extra_link_args"
    try:
        return msvc_to_gcc(args, job.target, link=link, library_dirs=job.extension.library_dirs)
    except ConfigError as exc:
        raise ConfigError(f"{job.extension.name} for {job.target.name}, {setting}: {exc}") from None


def library_name(name: str, job: BuildJob) -> str:
    """`-l` names as the target's linker finds them: Windows system libraries lowercase (`Advapi32`)."""
    return windows_library_name(name, job.extension.library_dirs) if job.target.is_windows else name


def compile_then_link(
    runner: Runner,
    compiler: Sequence[str],
    job: BuildJob,
    output: Path,
    compile_extra: Sequence[str] = (),
    link_extra: Sequence[str] = (),
) -> None:
    """Compile each source to an object, with its dependency file in job.dependency_dir (the headers
    and included files the compiler read, for the payload cache), then link the objects to `output`."""
    objects_dir = job.work_dir / "objects"
    objects_dir.mkdir(parents=True, exist_ok=True)
    job.dependency_dir.mkdir(parents=True, exist_ok=True)
    objects = []
    for number, source in enumerate(job.extension.sources):
        stem = f"{number}-{source.stem}"  # sources in different directories may share a name
        obj = objects_dir / f"{stem}.o"
        depfile = job.dependency_dir / f"{stem}.d"
        arguments = [*compile_extra, *compile_args(job), "-MD", "-MF", str(depfile)]
        if not compile_object(runner, compiler, arguments, source, obj, job.work_dir, job.objects):
            (job.dependency_dir / UNTRACKED_READS).touch()  # so the payload is not cached either
        objects.append(obj)
    runner([*compiler, *link_args(job, objects), *link_extra, "-o", str(output)], cwd=job.work_dir)


def compile_object(
    runner: Runner,
    compiler: Sequence[str],
    arguments: Sequence[str],
    source: Path,
    obj: Path,
    cwd: Path,
    cache: Optional[ObjectCache],
) -> bool:
    """`compiler arguments -c source -o obj`, or the object it made before from the same preprocessed
    input (fatpack/object_cache.py). The preprocessing writes the dependency file either way. False
    when the compile may read files the dependency file does not list (assembly reading a file)."""
    compile_command = [*compiler, *arguments, "-c", str(source), "-o", str(obj)]
    if cache is None:  # no cache of any kind: nothing to tell
        runner(compile_command, cwd=cwd)
        return True
    if not cacheable_source(source, arguments):
        runner(compile_command, cwd=cwd)
        return False
    text = preprocess(runner, [*compiler, *arguments], source, obj.with_suffix(".i"), cwd)
    tracked = (
        text is not None
        and cacheable_input(text)
        and not reads_precompiled_header(text, arguments, cwd)
        and not reads_unnamed_profile(arguments, cwd)
    )
    if text is None or not tracked or not cacheable(arguments):
        runner(compile_command, cwd=cwd)
        return tracked
    key = cache.key(compiler, [*arguments, "-c", str(source)], text, cwd)
    if cache.fetch(key, obj):
        return True
    runner(compile_command, cwd=cwd)
    # a file the compile read may have changed since it was preprocessed (an editor saving, a swapped
    # symlink): then the object is not the one of `text`, and is not kept under its key
    again = [*compiler, *without_dependency_file(arguments)]  # the compile's own stays
    if preprocess(runner, again, source, obj.with_suffix(".i"), cwd) == text:
        cache.store(key, obj)
    return True


def preprocess(
    runner: Runner, command: Sequence[str], source: Path, output: Path, cwd: Path
) -> Optional[bytes]:
    """`source` preprocessed by `command -E`; None when the compiler wrote no text (nothing to preprocess)."""
    output.unlink(missing_ok=True)
    runner([*command, "-E", str(source), "-o", str(output)], cwd=cwd)
    return output.read_bytes() if output.is_file() else None


def without_dependency_file(arguments: Sequence[str]) -> list[str]:
    """`arguments` without the options that write a dependency file (`-MD`, `-MMD`, `-MF FILE`)."""
    kept: list[str] = []
    for number, arg in enumerate(arguments):
        if arg in ("-MD", "-MMD", "-MF") or (number > 0 and arguments[number - 1] == "-MF"):
            continue
        kept.append(arg)
    return kept


def bundled_link_args(job: BuildJob) -> list[str]:
    """Link the bundled libraries. On Linux by `-L dir -l:file`, so DT_NEEDED records the bare file name
    even for a library without a SONAME (one from the user's own build command); elsewhere by path."""
    if job.target.os != "linux":
        return [str(lib) for lib in job.bundled]
    args: list[str] = []
    for lib in job.bundled:
        args += [f"-L{lib.parent}", f"-l:{lib.name}"]
    return args
