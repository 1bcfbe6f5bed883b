"""Find a project's pure-Python files the way setuptools does: src-layout or flat, overridable."""

from __future__ import annotations

import glob
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fatpack.config import ProjectConfig
from fatpack.errors import ConfigError
from fatpack.inspection import is_manifest
from fatpack.output import STAGING_PREFIX
from fatpack.setuptools_project import package_directory

# Top-level directories that are never packages of the distribution (setuptools' flat-layout exclusions).
NOT_PACKAGES = frozenset(
    {
        "tests",
        "test",
        "docs",
        "doc",
        "examples",
        "example",
        "bench",
        "benchmarks",
        "tools",
        "scripts",
        "build",
        "dist",
        "venv",
        "site-packages",
        "tasks",
        "fabfile",
        "conftest",
    }
)
# Files that are build products or caches, never shipped as package data.
ARTIFACT_SUFFIXES = frozenset({".whl", ".egg"})  # skipped when they hold a fatpack manifest
SKIPPED_SUFFIXES = frozenset({".pyc", ".pyo", ".so", ".pyd", ".dylib", ".dll", ".o", ".obj", ".a", ".lib"})


@dataclass(frozen=True)
class SourceFile:
    """A file to ship as it is, at `archive_name` (a /-separated path inside the artifact)."""

    archive_name: str
    path: Path


def package_root(config: ProjectConfig) -> Path:
    if config.package_dir is not None:
        if not config.package_dir.is_dir():
            raise ConfigError(f"tool.fatpack.package-dir {config.package_dir} is not a directory")
        return config.package_dir
    src = config.root / "src"
    return src if src.is_dir() and _top_level_packages(src, namespaces=True) else config.root


def _top_level_packages(root: Path, namespaces: bool = False) -> list[str]:
    """The package directories at the top of `root`; with `namespaces` (the src layout, as setuptools'
    discovery has it) also PEP 420 namespace directories that hold a regular package somewhere below."""
    return sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir()
        and p.name.isidentifier()
        and p.name not in NOT_PACKAGES
        and ((p / "__init__.py").is_file() or (namespaces and _holds_package(p)))
    )


def _holds_package(directory: Path) -> bool:
    return any(
        all(part.isidentifier() for part in init.parent.relative_to(directory).parts)
        for init in directory.rglob("__init__.py")
        if "__pycache__" not in init.parts
    )


def find_package_files(config: ProjectConfig, exclude: Sequence[Path] = ()) -> list[SourceFile]:
    """Every file of the project's packages, minus caches, build products, extension sources and
    fatpack's own outputs: the output directories in `exclude`, staging directories, and the wheels
    and eggs fatpack wrote (an `-o` inside a package must not pack the previous artifact into the next).
    A file is listed once, however many listed packages contain it."""
    found = _setuptools_files(config) if config.package_data is not None else _package_tree_files(config)
    outputs = [d.resolve() for d in exclude]
    unique = {f.archive_name: f for f in found if not _is_fatpack_output(f, outputs)}
    for name, file in unique.items():
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8, as os.fsdecode gives them
            shown = os.fsencode(file.path).decode("utf-8", "backslashreplace")
            raise ConfigError(f"{shown}: a file name that is not UTF-8 cannot be stored in a wheel") from None
    return [unique[name] for name in sorted(unique)]


def _is_fatpack_output(file: SourceFile, out_dirs: Sequence[Path]) -> bool:
    resolved = file.path.resolve()
    if any(resolved.is_relative_to(d) for d in out_dirs):
        return True
    if any(part.startswith(STAGING_PREFIX) for part in file.archive_name.split("/")):
        return True
    return file.path.suffix in ARTIFACT_SUFFIXES and _holds_fatpack_manifest(file.path)


def _holds_fatpack_manifest(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return any(is_manifest(name) for name in archive.namelist())
    except (OSError, zipfile.BadZipFile, ValueError, EOFError):
        return False


def _package_tree_files(config: ProjectConfig) -> list[SourceFile]:
    """Every file below each listed package (or each top-level package found)."""
    root = package_root(config)
    names = (
        list(config.packages)
        if config.packages is not None
        else _top_level_packages(root, namespaces=root != config.root)
    )
    extension_sources = {s.resolve() for ext in config.extensions for s in ext.sources}
    files: list[SourceFile] = []
    for name in names:
        package_dir = root.joinpath(*name.split("."))
        if not package_dir.is_dir():
            raise ConfigError(f"tool.fatpack.packages: package {name!r} not found at {package_dir}")
        for path in tree_files(package_dir):
            if "__pycache__" in path.parts or path.suffix in SKIPPED_SUFFIXES:
                continue
            if path.resolve() in extension_sources:
                continue
            files.append(SourceFile(path.relative_to(root).as_posix(), path))
    return files


def tree_files(directory: Path) -> list[Path]:
    """Every file below `directory`, through symbolic links to directories too (as setuptools follows
    them: a symlinked subpackage ships); a link back to a directory it is inside is a ConfigError
    naming it (the tree would have no end)."""
    found: list[Path] = []

    def walk(current: Path, ancestors: frozenset[Path]) -> None:
        real = current.resolve()
        if any(a.is_relative_to(real) for a in ancestors):  # a link to `..`, to `/`, ...
            raise ConfigError(f"{current} is a symbolic link to {real}, a directory it is inside: a loop")
        for entry in sorted(current.iterdir()):
            if entry.is_dir():
                walk(entry, ancestors | {real})
            elif entry.is_file():
                found.append(entry)

    walk(directory, frozenset())
    return found


def _setuptools_files(config: ProjectConfig) -> list[SourceFile]:
    """setuptools' rules: each listed package's own .py files, plus its package_data patterns (the
    '' or '*' key applies to every package; `**` matches across directories), or with
    include_package_data every file in it; and the py_modules. Packages are found through the
    package_dir mapping. Build products and extension sources never ship."""
    root = package_root(config)
    package_data = config.package_data or {}
    extension_sources = {s.resolve() for ext in config.extensions for s in ext.sources}
    chosen: dict[str, Path] = {}
    for module in config.modules:
        path = root.joinpath(*module.split(".")).with_suffix(".py")
        if not path.is_file():
            raise ConfigError(f"py_modules: module {module!r} not found at {path}")
        chosen[module.replace(".", "/") + ".py"] = path
    packages = config.packages if config.packages is not None else _all_packages(root)
    for package in packages:
        directory = package_directory(package, root, config.package_dirs)
        if not directory.is_dir():
            raise ConfigError(f"packages: package {package!r} not found at {directory}")
        patterns = [
            "*.py",
            *package_data.get("", ()),
            *package_data.get("*", ()),
            *package_data.get(package, ()),
        ]
        if config.include_package_data:
            patterns.append("*")
        for path in _matching_files(directory, patterns):
            if path.suffix not in SKIPPED_SUFFIXES and path.resolve() not in extension_sources:
                relative = path.relative_to(directory).as_posix()
                chosen[package.replace(".", "/") + "/" + relative] = path
    return [SourceFile(name, path) for name, path in sorted(chosen.items())]


def _all_packages(root: Path) -> list[str]:
    """setuptools' discovery: every directory with an __init__.py below the top-level packages."""
    found = []
    for top in _top_level_packages(root):
        for init in (f for f in tree_files(root / top) if f.name == "__init__.py"):
            parts = init.parent.relative_to(root).parts
            if all(p.isidentifier() for p in parts) and "__pycache__" not in parts:
                found.append(".".join(parts))
    return found


def _matching_files(directory: Path, patterns: list[str]) -> list[Path]:
    found: set[Path] = set()
    everything = tree_files(directory)  # a symbolic link loop is an error, not 40 nested copies
    for pattern in patterns:
        matches = glob.glob(glob.escape(str(directory)) + "/" + pattern, recursive=True)
        found.update(Path(m) for m in matches if Path(m).is_file())
    return sorted(found.intersection(everything))
