"""Existing setuptools projects, unchanged: extensions, packages and metadata from `setup.py` (run in a
subprocess with setup() intercepted) or from pyproject.toml's `[tool.setuptools] ext-modules`.

What is read is turned into the same shapes `[tool.fatpack]` and `[project]` have, so the rest of
fatpack does not know where it came from. Features fatpack cannot honour are refused with a message
naming them, instead of being dropped silently.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import logging
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from fatpack.errors import BuildError, ConfigError
from fatpack.runner import CommandTimedOut, Runner, run_command

logger = logging.getLogger("fatpack")

INTROSPECT_SCRIPT = Path(__file__).with_name("setuptools_introspect.py")
# setup.py runs as it would on Linux (fatpack's own host), then once for each other OS, with that
# sys.platform: (fatpack's name for the OS, the sys.platform setup.py sees)
OTHER_PLATFORMS = (("windows", "win32"), ("macos", "darwin"))
NO_SETUP_CALL = 3  # the script's exit status when setup.py ran without calling setup()
SETUP_PY_TIMEOUT = 300  # seconds
_RUN_SCRIPT = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
_CPP_SUFFIXES = (".cpp", ".cc", ".cxx", ".c++")
# Extension attributes fatpack has no equivalent for (setuptools key spelling: setup.py / pyproject)
_UNSUPPORTED_EXTENSION_KEYS = ("runtime_library_dirs", "extra_objects", "export_symbols", "swig_opts")


@dataclass(frozen=True)
class SetuptoolsProject:
    """What a setuptools project declares, in fatpack's shapes."""

    extensions: list[dict[str, Any]]  # [[tool.fatpack.extension]] tables
    project: dict[str, Any] = field(default_factory=dict)  # a [project] table from setup(); {} if none
    packages: Optional[list[str]] = None  # None: discover as fatpack does
    package_dirs: dict[str, str] = field(default_factory=dict)  # package_dir: '' is the root of packages
    package_data: dict[str, list[str]] = field(default_factory=dict)
    modules: list[str] = field(default_factory=list)  # py_modules
    include_package_data: bool = False
    limited_api: Optional[int] = None  # the minor version floor when every extension is py_limited_api
    version: Optional[str] = None  # [project]'s dynamic version, resolved as setuptools would


def read_setuptools_project(
    root: Path, pyproject: dict[str, Any], runner: Runner = run_command, python: str = sys.executable
) -> Optional[SetuptoolsProject]:
    """The project's setuptools declarations, or None if it has neither ext-modules nor a setup.py.
    setup.py runs with `python`: the project's build environment's interpreter (fatpack/buildenv.py)."""
    setuptools_table = pyproject.get("tool", {}).get("setuptools", {})
    if not isinstance(setuptools_table, dict):
        raise ConfigError("tool.setuptools must be a table")
    found = None
    setup_version = None
    if "ext-modules" in setuptools_table:
        found = _from_pyproject(setuptools_table)
    elif (root / "setup.py").is_file():
        with ThreadPoolExecutor(max_workers=1 + len(OTHER_PLATFORMS)) as pool:  # three Pythons at once
            on_linux = pool.submit(run_setup_py, root, "linux", runner, python)
            others = {
                name: pool.submit(_setup_as_on, root, platform, runner, python)
                for name, platform in OTHER_PLATFORMS
            }
            setup = on_linux.result()
            elsewhere = {name: future.result() for name, future in others.items()}
        if setup is not None:
            found = _from_setup_arguments(setup, elsewhere, setuptools_table, root, "project" in pyproject)
            setup_version = setup.get("version")
    if found is None or found.project:
        return found
    version = dynamic_version(root, pyproject, setup_version, found.package_dirs)
    return dataclasses.replace(found, version=version)


def dynamic_version(
    root: Path, pyproject: dict[str, Any], setup_version: Any, package_dirs: dict[str, str]
) -> Optional[str]:
    """[project]'s version when it is dynamic: [tool.setuptools.dynamic] version `file` or a literal
    `attr`, else setup()'s version=, else an sdist's PKG-INFO. None when it is not dynamic."""
    project = pyproject.get("project")
    if not isinstance(project, dict) or "version" not in (project.get("dynamic") or []):
        return None
    dynamic = pyproject.get("tool", {}).get("setuptools", {}).get("dynamic", {})
    spec = dynamic.get("version") if isinstance(dynamic, dict) else None
    if isinstance(spec, dict) and "file" in spec:
        files = spec["file"] if isinstance(spec["file"], list) else [spec["file"]]
        try:
            return " ".join((root / f).read_text(encoding="utf-8").strip() for f in files)
        except OSError as exc:
            raise ConfigError(f"tool.setuptools.dynamic.version: cannot read {exc.filename}") from None
    if isinstance(spec, dict) and isinstance(spec.get("attr"), str):
        literal = _literal_attribute(root, spec["attr"], package_dirs)
        if literal is not None:
            return literal
    if setup_version:
        return str(setup_version)
    pkg_info_version = _pkg_info_version(root)
    if pkg_info_version:
        return pkg_info_version
    raise ConfigError(
        "project.version is dynamic and not a literal fatpack can read (tool.setuptools.dynamic, "
        "setup(version=...) or PKG-INFO): set it statically in pyproject.toml"
    )


def package_directory(package: str, root: Path, mapping: dict[str, Path]) -> Path:
    """Where setuptools finds `package`: its own or its nearest parent's package_dir entry, else root."""
    parts = package.split(".")
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in mapping:
            return mapping[prefix].joinpath(*parts[i:])
    return root.joinpath(*parts)


def _pkg_info_version(root: Path) -> Optional[str]:
    """The Version: of an sdist's PKG-INFO, if the project has one."""
    pkg_info = root / "PKG-INFO"
    if pkg_info.is_file():
        for line in pkg_info.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip()
    return None


def _literal_attribute(root: Path, dotted: str, package_dirs: dict[str, str]) -> Optional[str]:
    """`pkg.mod.__version__` assigned a literal in pkg/mod.py (or pkg/mod/__init__.py), as a string."""
    module, _, attribute = dotted.rpartition(".")
    base = root / package_dirs.get("", "")
    directory = package_directory(module, base, {k: root / v for k, v in package_dirs.items() if k})
    for path in (directory / "__init__.py", directory.with_suffix(".py")):
        if path.is_file():
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (SyntaxError, UnicodeDecodeError, ValueError):
                return None
            assigned = [
                node.value
                for node in tree.body
                if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == attribute for t in node.targets)
            ]
            try:
                value = ast.literal_eval(assigned[-1]) if assigned else None
            except ValueError:
                return None
            if value is not None:
                return ".".join(map(str, value)) if isinstance(value, (tuple, list)) else str(value)
    return None


def _setup_as_on(root: Path, platform: str, runner: Runner, python: str) -> Optional[dict[str, Any]]:
    """setup.py's arguments as it gives them on another OS; None (use Linux's) if it cannot run so."""
    try:
        return run_setup_py(root, platform, runner, python)
    except ConfigError as exc:
        logger.info("setup.py cannot be read as on %s (%s); using what it gives on Linux", platform, exc)
        return None


def run_setup_py(
    root: Path, platform: str = "linux", runner: Runner = run_command, python: str = sys.executable
) -> Optional[dict[str, Any]]:
    """setup.py's setup() arguments, from a subprocess running it in `root` with sys.platform set to
    `platform`; None if it calls no setup().

    The answer comes back in a file. The Runner's timeout mode runs setup.py in its own process
    group, killed when it is done, with its output going to files, not pipes: nothing it started
    outlives the read, and a background process holding its stdout cannot make fatpack wait."""
    with tempfile.TemporaryDirectory(prefix="fatpack-setup-") as tmp:
        output = Path(tmp) / "setup.json"
        # run_path, not `python SCRIPT`: the script's own directory (fatpack/) must not shadow the
        # modules setup.py imports
        command = [python, "-c", _RUN_SCRIPT, str(INTROSPECT_SCRIPT), str(output), platform]
        try:
            runner(command, cwd=root, timeout=SETUP_PY_TIMEOUT)
        except CommandTimedOut:
            raise ConfigError(f"{root / 'setup.py'} did not finish in {SETUP_PY_TIMEOUT} s") from None
        except BuildError as exc:
            if exc.returncode == NO_SETUP_CALL:
                return None
            lines = exc.output.strip().splitlines()
            last = lines[-1] if lines else f"exit status {exc.returncode}"
            if "No module named 'setuptools'" in last:
                last = "setuptools is not installed in this Python (pip install setuptools)"
            raise ConfigError(f"{root / 'setup.py'} could not be read: {last}") from None
        if not output.is_file():
            raise ConfigError(f"{root / 'setup.py'} could not be read: it wrote no answer")
        try:
            result: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{root / 'setup.py'} could not be read: {exc}") from None
        return result


def _from_setup_arguments(
    setup: dict[str, Any],
    elsewhere: dict[str, Optional[dict[str, Any]]],
    table: dict[str, Any],
    root: Path,
    has_project_table: bool,
) -> SetuptoolsProject:
    """From setup()'s arguments on Linux, with the extensions as setup.py gives them on each OS
    (`elsewhere`: Windows and macOS; None where it could not run so) merged per OS."""
    _refuse_unsupported(setup)
    by_os = {"linux": _extension_tables(setup, "")}
    for os_name, other in elsewhere.items():
        by_os[os_name] = _extension_tables(other, f" (as on {os_name})") if other else by_os["linux"]
    extensions = merge_by_os(by_os)
    return SetuptoolsProject(
        extensions=extensions,
        project={} if has_project_table else _project_table(setup, root),
        limited_api=_limited_api_floor(setup["ext_modules"]),
        **_package_layout(setup, table),
    )


def _extension_tables(setup: dict[str, Any], where: str) -> list[dict[str, Any]]:
    prefix = f"{setup['ext_package']}." if setup.get("ext_package") else ""  # setup(ext_package=...)
    named = [{**e, "name": prefix + e["name"]} for e in setup["ext_modules"]]
    return [_extension_table(e, f"setup.py{where} ext_modules {e['name']!r}") for e in named]


def merge_by_os(by_os: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One [[tool.fatpack.extension]] table per extension from per-OS tables: what every OS has in the
    table itself, what only some have in per-OS sub-tables, and `os` when it is not built on every OS."""
    names = list(dict.fromkeys(t["name"] for tables in by_os.values() for t in tables))
    merged = []
    for name in names:
        present = {
            os_name: next(t for t in tables if t["name"] == name)
            for os_name, tables in by_os.items()
            if any(t["name"] == name for t in tables)
        }
        merged.append(_merge_extension(name, present, list(by_os)))
    return merged


def _merge_extension(name: str, present: dict[str, dict[str, Any]], oses: list[str]) -> dict[str, Any]:
    languages = {t.get("language", "c") for t in present.values()}
    table: dict[str, Any] = {"name": name, "language": "c++" if "c++" in languages else "c"}
    if set(present) != set(oses):
        table["os"] = [os_name for os_name in oses if os_name in present]
    list_keys = dict.fromkeys(k for t in present.values() for k in t if k not in ("name", "language"))
    for key in list_keys:  # every other key _extension_table writes is a list
        values = {os_name: t.get(key, []) for os_name, t in present.items()}
        first = next(iter(values.values()))
        common = [v for v in first if all(v in other for other in values.values())]
        if common:
            table[key] = common
        for os_name, own in values.items():
            extra = [v for v in own if v not in common]
            if extra and len(present) > 1:
                table.setdefault(os_name, {})[key] = extra
            elif extra:
                table[key] = own
    return table


def _package_layout(setup: dict[str, Any], table: dict[str, Any]) -> dict[str, Any]:
    """packages, package_dir, package_data, py_modules, include_package_data: setup()'s arguments
    first, then [tool.setuptools]'s; packages neither lists (or `{find = ...}`) are discovered."""
    packages = setup["packages"] if "packages" in setup else table.get("packages")
    package_dir = setup.get("package_dir") or table.get("package-dir") or {}
    package_data = setup.get("package_data") or table.get("package-data") or {}
    include = setup.get("include_package_data", table.get("include-package-data", False))
    return {
        "packages": [str(p) for p in packages] if isinstance(packages, list) else None,
        "package_dirs": {str(k): str(v) for k, v in package_dir.items()},
        "package_data": {str(k): [str(p) for p in v] for k, v in package_data.items()},
        "modules": [str(m) for m in setup.get("py_modules") or table.get("py-modules") or []],
        "include_package_data": bool(include),
    }


def _refuse_unsupported(setup: dict[str, Any]) -> None:
    custom = [c for c in ("build_ext", "build_py") if c in setup["cmdclass"]]
    if custom:  # usually only "make the speedups optional"; a build that needed it fails visibly
        logger.warning(
            "warning: setup.py replaces %s (cmdclass); fatpack does not run it and compiles the "
            "extensions itself",
            " and ".join(custom),
        )
    if setup["build_clib_libraries"]:
        raise ConfigError(
            f"setup.py builds C libraries ({', '.join(setup['build_clib_libraries'])}) with libraries=: "
            "declare them as [[tool.fatpack.library]] instead"
        )
    # data_files and scripts are carried over from the project's own wheel (fatpack/reference.py)
    if setup.get("namespace_packages"):
        raise ConfigError("setup.py uses namespace_packages, which fatpack does not support")
    if not setup["ext_modules"]:
        raise ConfigError(
            "setup.py declares no ext_modules, and [tool.fatpack] no extension: nothing to build"
        )


def _extension_table(extension: dict[str, Any], where: str) -> dict[str, Any]:
    for key in _UNSUPPORTED_EXTENSION_KEYS:
        if extension.get(key):
            raise ConfigError(f"{where}: {key} is not supported by fatpack")
    sources = [str(s) for s in extension["sources"]]
    if any(s.endswith(".i") for s in sources):
        raise ConfigError(f"{where}: SWIG sources (.i) are not supported by fatpack")
    language = extension.get("language") or (
        "c++" if any(s.endswith(_CPP_SUFFIXES) for s in sources) else "c"
    )
    macros = [
        [str(m[0])] if m[1] is None else [str(m[0]), str(m[1])]
        for m in extension["define_macros"]
        if m[0] != "Py_LIMITED_API"  # fatpack defines it from the target ABI
    ]
    table = {
        "name": extension["name"],
        "sources": sources,
        "include-dirs": [str(d) for d in extension["include_dirs"]],
        "define-macros": macros,
        "undef-macros": [str(m) for m in extension["undef_macros"]],
        "libraries": [str(lib) for lib in extension["libraries"]],
        "library-dirs": [str(d) for d in extension["library_dirs"]],
        "extra-compile-args": [str(a) for a in extension["extra_compile_args"]],
        "extra-link-args": [str(a) for a in extension["extra_link_args"]],
        "language": language,
    }
    return {key: value for key, value in table.items() if value}


def _limited_api_floor(extensions: list[dict[str, Any]]) -> Optional[int]:
    """3.X when every extension is py_limited_api (X from a Py_LIMITED_API macro, else 8)."""
    if not extensions or not all(e.get("py_limited_api") for e in extensions):
        return None
    floors = [8]
    for extension in extensions:
        for name, value in extension["define_macros"]:
            if name == "Py_LIMITED_API" and value and str(value).startswith("0x03"):
                floors.append(int(str(value)[4:6], 16))
    return max(floors)


def _project_table(setup: dict[str, Any], root: Path) -> dict[str, Any]:
    """A PEP 621 [project] table from setup()'s metadata arguments (the version from an sdist's
    PKG-INFO when setup() computes it at build time, e.g. with setuptools-scm)."""
    if not setup.get("version"):
        setup = {**setup, "version": _pkg_info_version(root)}
    if not setup.get("name") or not setup.get("version"):
        missing = "name" if not setup.get("name") else "version"
        raise ConfigError(
            f"setup.py passes no {missing} to setup() (a computed version, e.g. setuptools-scm, is not "
            "supported): set it in setup() or in pyproject.toml's [project]"
        )
    project: dict[str, Any] = {"name": str(setup["name"]), "version": str(setup["version"])}
    simple = {
        "description": "description",
        "python_requires": "requires-python",
        "install_requires": "dependencies",
        "classifiers": "classifiers",
    }
    for key, pep621 in simple.items():
        if setup.get(key):
            project[pep621] = setup[key]
    if isinstance(project.get("dependencies"), str):
        project["dependencies"] = project["dependencies"].splitlines()
    if setup.get("keywords"):
        keywords = setup["keywords"]
        project["keywords"] = keywords.replace(",", " ").split() if isinstance(keywords, str) else keywords
    if setup.get("extras_require"):
        project["optional-dependencies"] = {k: list(v) for k, v in setup["extras_require"].items()}
    if setup.get("long_description"):
        content_type = setup.get("long_description_content_type") or "text/plain"
        project["readme"] = {"text": setup["long_description"], "content-type": content_type}
    if setup.get("license"):
        project["license"] = {"text": setup["license"]}
    if setup.get("author") or setup.get("author_email"):
        author = {"name": setup.get("author"), "email": setup.get("author_email")}
        project["authors"] = [{k: v for k, v in author.items() if v}]
    urls = dict(setup.get("project_urls") or {})
    if setup.get("url"):
        urls.setdefault("Homepage", setup["url"])
    if urls:
        project["urls"] = urls
    project.update(_entry_points(setup.get("entry_points") or {}))
    return project


def _entry_points(entry_points: Any) -> dict[str, Any]:
    if isinstance(entry_points, str):
        raise ConfigError("setup.py entry_points as an INI string is not supported: use a dict")
    groups: dict[str, dict[str, str]] = {}
    for group, entries in entry_points.items():
        lines = entries.splitlines() if isinstance(entries, str) else entries
        for line in lines:
            name, _, value = str(line).partition("=")
            if name.strip():
                groups.setdefault(group, {})[name.strip()] = value.strip()
    result: dict[str, Any] = {}
    if "console_scripts" in groups:
        result["scripts"] = groups.pop("console_scripts")
    if "gui_scripts" in groups:
        result["gui-scripts"] = groups.pop("gui_scripts")
    if groups:
        result["entry-points"] = groups
    return result


def _from_pyproject(setuptools_table: dict[str, Any]) -> SetuptoolsProject:
    """`[tool.setuptools] ext-modules` (setuptools >= 74): already in TOML, key names as ours."""
    raw = setuptools_table["ext-modules"]
    if not isinstance(raw, list) or not all(isinstance(e, dict) and "name" in e for e in raw):
        raise ConfigError("tool.setuptools.ext-modules must be a list of tables with a name")
    extensions = []
    for table in raw:
        converted = {
            "sources": table.get("sources", []),
            "define_macros": [m if len(m) == 2 else [m[0], None] for m in table.get("define-macros", [])],
            "py_limited_api": table.get("py-limited-api", False),
            "language": table.get("language"),
            "name": table["name"],
        }
        for key in (*_UNSUPPORTED_EXTENSION_KEYS, "include_dirs", "undef_macros", "libraries"):
            converted[key] = table.get(key.replace("_", "-"), [])
        for key in ("library_dirs", "extra_compile_args", "extra_link_args"):
            converted[key] = table.get(key.replace("_", "-"), [])
        extensions.append(converted)
    tables = [_extension_table(e, f"tool.setuptools.ext-modules {e['name']!r}") for e in extensions]
    return SetuptoolsProject(
        extensions=tables, limited_api=_limited_api_floor(extensions), **_package_layout({}, setuptools_table)
    )
