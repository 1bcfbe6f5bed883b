"""Read `[project]` and `[tool.fatpack]` from a project's pyproject.toml into typed settings."""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

from packaging.version import Version

from fatpack.errors import ConfigError
from fatpack.interpreters import is_sdk_key
from fatpack.runner import Runner, run_command
from fatpack.setuptools_project import SetuptoolsProject, read_setuptools_project
from fatpack.targets import (
    DEFAULT_ABIS,
    DEFAULT_TARGETS,
    TARGETS,
    PythonAbi,
    Target,
    parse_abi_list,
    parse_target,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_BUILDER = "zig"
DEFAULT_CYTHON_ABIS = ("cp39-abi3",)  # Cython 3.3 refuses a limited-API floor below 3.9


@dataclass(frozen=True)
class ExtensionConfig:
    """One `[[tool.fatpack.extension]]`: keys mean what they mean in setuptools.Extension."""

    name: str
    sources: tuple[Path, ...]
    include_dirs: tuple[Path, ...] = ()
    define_macros: tuple[tuple[str, Optional[str]], ...] = ()
    undef_macros: tuple[str, ...] = ()
    libraries: tuple[str, ...] = ()
    library_dirs: tuple[Path, ...] = ()
    extra_compile_args: tuple[str, ...] = ()
    extra_link_args: tuple[str, ...] = ()
    language: str = "c"
    link_with: tuple[str, ...] = ()  # names of bundled libraries ([[tool.fatpack.library]])
    builder: Optional[str] = None  # this item's builder, over the target's ("command" when `command` is set)
    command: tuple[str, ...] = ()  # for the command builder: the user's build command, run per target
    # built only for targets of these OSes ("linux", "windows", "macos"); () = all
    oses: tuple[str, ...] = field(default=(), metadata={"key": "os"})
    # per-OS ("linux", "windows", "macos") or per-target sub-tables whose lists extend these settings
    overrides: tuple[tuple[str, dict[str, tuple[Any, ...]]], ...] = field(default=(), metadata={"key": None})

    @property
    def basename(self) -> str:
        return self.name.rpartition(".")[2]

    def builds_for(self, target: Target) -> bool:
        return not self.oses or target.os in self.oses

    def for_target(self, target: Target) -> ExtensionConfig:
        """These settings with the overrides for the target's OS, then for the target itself, appended."""
        merged = self
        for scope in (target.os, target.name):
            for name, extra in self.overrides:
                if name == scope:
                    merged = dataclasses.replace(
                        merged, **{key: getattr(merged, key) + values for key, values in extra.items()}
                    )
        return merged


@dataclass(frozen=True)
class LibraryConfig(ExtensionConfig):
    """One `[[tool.fatpack.library]]`: a shared library built per target (or prebuilt) and shipped once
    per target beside the payloads that link it. `name` is the bare name: "extra" is extra.dll,
    libextra.so, libextra.dylib."""

    prebuilt: dict[str, Path] = field(default_factory=dict)  # target name -> file to ship as it is


@dataclass(frozen=True)
class BeforeBuildConfig:
    """`before-build` (cibuildwheel's name): shell commands run once per target before anything is
    compiled for it, with the target's cross toolchain exported (fatpack/beforebuild.py). Set in
    [tool.fatpack] for every target, and in a `[tool.fatpack.<os>]` or `[tool.fatpack.<target>]`
    table for some: the most specific one replaces the others."""

    commands: tuple[str, ...] = ()
    overrides: tuple[tuple[str, tuple[str, ...]], ...] = ()  # scope (OS or target name) -> commands

    def for_target(self, target: Target) -> tuple[str, ...]:
        scoped = dict(self.overrides)
        return scoped.get(target.name, scoped.get(target.os, self.commands))


@dataclass(frozen=True)
class TestConfig:
    """`[tool.fatpack.test]`: what `fatpack test` runs in each (target, Python) cell's fresh
    environment, after pip installed the artifact and `requires` there."""

    __test__ = False  # not a test class to pytest, whose tests import it

    # the test command (one command, split as a POSIX shell would, no shell operators): `{project}` is
    # the project's directory, `{python}` the cell's interpreter; "" when the table sets none
    command: str = ""
    requires: tuple[str, ...] = ()  # test requirements, pip's syntax
    # [tool.fatpack.test.<os>] and [tool.fatpack.test.<target>] tables: each key they set replaces the
    # less specific one's (target over OS over the table itself), as before-build's tables do
    overrides: tuple[tuple[str, TestConfig], ...] = ()

    def for_target(self, target: Target) -> TestConfig:
        """The command and requirements for `target`'s cells."""
        merged = dataclasses.replace(self, overrides=())
        scoped = dict(self.overrides)
        for scope in (target.os, target.name):
            if scope in scoped:
                override = scoped[scope]
                merged = TestConfig(override.command or merged.command, override.requires or merged.requires)
        return merged

    def commands(self) -> list[tuple[str, str]]:
        """(where, command) of every command set, for checking them all before anything runs."""
        found = [("tool.fatpack.test.command", self.command)] if self.command else []
        return found + [(f"tool.fatpack.test.{s}.command", o.command) for s, o in self.overrides if o.command]


@dataclass(frozen=True)
class ProjectConfig:
    """Everything fatpack needs to know about one project, paths absolute."""

    root: Path
    name: str
    version: str
    pyproject: dict[str, Any] = field(repr=False)
    targets: tuple[Target, ...]
    abis: tuple[PythonAbi, ...]
    extensions: tuple[ExtensionConfig, ...]
    libraries: tuple[LibraryConfig, ...] = ()
    builder: str = DEFAULT_BUILDER
    builders: dict[str, str] = field(default_factory=dict)
    packages: Optional[tuple[str, ...]] = None
    package_dir: Optional[Path] = None
    # From a setuptools project: its listed packages ship their own .py files and the package_data
    # patterns (setuptools' rules) instead of everything below them; py_modules ship too.
    package_data: Optional[dict[str, tuple[str, ...]]] = None
    modules: tuple[str, ...] = ()
    include_package_data: bool = False  # with package_data: every file in a listed package ships
    package_dirs: dict[str, Path] = field(default_factory=dict)  # setuptools' package_dir, other than ''
    strip: bool = True
    sdk_paths: dict[str, Path] = field(default_factory=dict)  # target name -> a Windows Python layout
    python_sdks: dict[str, Path] = field(default_factory=dict)  # 'cp314' -> python, build-details, prefix
    before_build: BeforeBuildConfig = BeforeBuildConfig()
    test: TestConfig = TestConfig()
    # `abis` is fatpack's default (no `python` set), which a build may raise for what the sources need
    # (a Cython typed memoryview: cp311-abi3, fatpack/cython_abis.py); an ABI the user chose never is
    abis_default: bool = False

    def builder_for(self, target: Target) -> str:
        return self.builders.get(target.name, self.builder)


_TOOL_KEYS = {
    "targets",
    "python",
    "extension",
    "library",
    "builder",
    "builders",
    "packages",
    "package-dir",
    "strip",
    "sdk",
    "before-build",
    "test",
}
_TEST_KEYS = {"command", "requires"}
_SCOPED_TOOL_KEYS = {"before-build"}  # keys a [tool.fatpack.<os>] or [tool.fatpack.<target>] table may set


def extension_keys() -> dict[str, str]:
    """The keys of an extension table, each with the ExtensionConfig field it fills: the field's name
    spelled with '-' unless its metadata names another key (None: set by fatpack, not a key). Parsing,
    setuptools reading and the README are checked against this one list."""
    keys = {}
    for item in dataclasses.fields(ExtensionConfig):
        key = item.metadata.get("key", item.name.replace("_", "-"))
        if key is not None:
            keys[key] = item.name
    return keys


_EXTENSION_KEYS = set(extension_keys())
_LIBRARY_KEYS = (_EXTENSION_KEYS - {"link-with", "os"}) | {"prebuilt"}
_OVERRIDE_SCOPES = {"linux", "windows", "macos"}
# keys an override may extend: the list keys; the item's name, sources, language and builder stay in its table
_OVERRIDABLE = _EXTENSION_KEYS - {"name", "language", "builder", "command", "os"}
OSES = ("linux", "windows", "macos")


def read_pyproject(root: Path) -> Optional[dict[str, Any]]:
    """pyproject.toml's tables ({} for a setup.py project without one); None when neither file is
    there or the file cannot be read (load_project then says why)."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return {} if (root / "setup.py").is_file() else None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None


def load_project(root: Path, runner: Runner = run_command, python: str = sys.executable) -> ProjectConfig:
    """Read `root/pyproject.toml`; raise ConfigError naming the key or value at fault. A setup.py is
    read with `python`, the interpreter of the project's build environment (fatpack/buildenv.py),
    through `runner`."""
    root = root.resolve()
    pyproject_path = root / "pyproject.toml"
    if not root.is_dir():
        what = "is not a directory (nor an sdist .tar.gz)" if root.exists() else "does not exist"
        raise ConfigError(f"project directory {root} {what}")
    if not pyproject_path.is_file():
        if (root / "setup.py").is_file():
            return parse_project({}, root, runner, python)
        raise ConfigError(
            f"{pyproject_path} not found: a fatpack project needs a pyproject.toml (or a setup.py)"
        )
    try:
        data = tomllib.loads(pyproject_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{pyproject_path} is not valid TOML: {exc}") from None
    return parse_project(data, root, runner, python)


def declares_extensions(data: dict[str, Any]) -> bool:
    """Whether [tool.fatpack] declares extensions or libraries: fatpack is then the project's build
    system; otherwise the project has a build of its own (setuptools' setup.py or ext-modules)."""
    tool = data.get("tool", {})
    fatpack = tool.get("fatpack", {}) if isinstance(tool, dict) else {}
    return isinstance(fatpack, dict) and ("extension" in fatpack or "library" in fatpack)


def parse_project(
    data: dict[str, Any], root: Path, runner: Runner = run_command, python: str = sys.executable
) -> ProjectConfig:
    tool = _table(_table(data, "tool"), "fatpack", where="tool.fatpack")
    _reject_unknown(tool, _TOOL_KEYS | set(OSES) | set(TARGETS), "tool.fatpack")
    legacy = None
    if not declares_extensions(data):
        legacy = read_setuptools_project(root, data, runner, python)
    if legacy is not None:
        data = _with_setuptools_metadata(data, legacy)
        tool = _with_setuptools_declarations(tool, legacy)
    config = _parse_fatpack_project(data, tool, root)
    if legacy is not None:
        config = dataclasses.replace(
            config,
            package_data={k: tuple(v) for k, v in legacy.package_data.items()},
            modules=tuple(legacy.modules),
            include_package_data=legacy.include_package_data,
            package_dirs={name: root / path for name, path in legacy.package_dirs.items()},
        )
    return config


def _with_setuptools_metadata(data: dict[str, Any], legacy: SetuptoolsProject) -> dict[str, Any]:
    """[project] from setup() when pyproject.toml has none; a dynamic version resolved as setuptools would."""
    if legacy.project:
        return {**data, "project": legacy.project}
    if legacy.version is None:
        return data
    project = _table(data, "project")
    dynamic = [d for d in _str_list(project.get("dynamic", []), "project.dynamic") if d != "version"]
    return {**data, "project": {**project, "version": legacy.version, "dynamic": dynamic}}


def _with_setuptools_declarations(tool: dict[str, Any], legacy: SetuptoolsProject) -> dict[str, Any]:
    """[tool.fatpack] with the extensions (and, unless set there, packages and ABIs) setuptools declares."""
    tool = {**tool, "extension": legacy.extensions}
    if legacy.packages is not None and "packages" not in tool:
        tool["packages"] = legacy.packages
    if "" in legacy.package_dirs and "package-dir" not in tool:
        tool["package-dir"] = legacy.package_dirs[""]
    if "python" not in tool:  # setuptools builds for the running Python unless py_limited_api says abi3
        floor = legacy.limited_api
        if floor is not None and any(
            str(s).endswith(".pyx") for e in legacy.extensions for s in e["sources"]
        ):
            floor = max(floor, 9)  # Cython's limited-API floor
        tool["python"] = [f"cp3{floor}-abi3" if floor is not None else f"cp3{sys.version_info[1]}"]
    return tool


class _Problems:
    """Configuration errors gathered so that one run reports all of them (packaging's _ErrorCollector)."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    @contextlib.contextmanager
    def collect(self) -> Iterator[None]:
        """Run the block; a ConfigError it raises is noted, and the block's remaining work skipped."""
        try:
            yield
        except ConfigError as exc:
            self.messages.append(str(exc))

    def raise_any(self) -> None:
        messages = list(dict.fromkeys(self.messages))
        if len(messages) == 1:
            raise ConfigError(messages[0])
        if messages:
            raise ConfigError(f"{len(messages)} problems in the configuration: " + "; ".join(messages))


def _parse_fatpack_project(data: dict[str, Any], tool: dict[str, Any], root: Path) -> ProjectConfig:
    problems = _Problems()
    project = _table(data, "project", required=True)
    name = version = ""
    with problems.collect():
        name = _str(project.get("name"), "project.name")
    with problems.collect():
        if "version" in _str_list(project.get("dynamic", []), "project.dynamic"):
            raise ConfigError(
                "project.version must be set statically in pyproject.toml (dynamic versions unsupported)"
            )
        if "version" not in project:
            raise ConfigError(
                'project.version is missing: add version = "1.0" (say) to [project] in pyproject.toml'
            )
        version = _str(project["version"], "project.version")
        try:
            Version(version)
        except ValueError:  # InvalidVersion, or more digits than int() converts
            raise ConfigError(f"project.version {version[:60]!r} is not a valid version (PEP 440)") from None
    extensions = _parse_items(tool, "extension", root, _parse_extension, problems)
    before = len(problems.messages)
    libraries = _parse_items(tool, "library", root, _parse_library, problems)
    known_libraries = {lib.name for lib in libraries}
    all_libraries_read = len(problems.messages) == before  # else link-with would blame the wrong table
    for extension in extensions if all_libraries_read else ():
        linked = extension.link_with + tuple(
            n for _, o in extension.overrides for n in o.get("link_with", ())
        )
        for library_name in linked:
            if library_name not in known_libraries:
                problems.messages.append(
                    f"extension {extension.name!r}: link-with names {library_name!r}, "
                    "which no [[tool.fatpack.library]] declares"
                )
    targets: tuple[Target, ...] = ()
    with problems.collect():
        targets = tuple(
            parse_target(t, "tool.fatpack.targets")
            for t in _str_list(tool.get("targets", list(DEFAULT_TARGETS)), "tool.fatpack.targets")
        )
        if not targets:
            raise ConfigError("tool.fatpack.targets is empty: name at least one target")
    has_cython = any(s.suffix == ".pyx" for e in extensions for s in e.sources)
    default_abis = list(DEFAULT_CYTHON_ABIS if has_cython else DEFAULT_ABIS)
    abis: tuple[PythonAbi, ...] = ()
    with problems.collect():
        abis = parse_abi_list(
            _str_list(tool.get("python", default_abis), "tool.fatpack.python"), "tool.fatpack.python"
        )
        if not abis:
            raise ConfigError("tool.fatpack.python is empty: name at least one ABI, e.g. 'cp38-abi3'")
    builders: dict[str, str] = {}
    with problems.collect():
        builders = _str_table(tool.get("builders", {}), "tool.fatpack.builders")
        for target_name in builders:
            parse_target(target_name, "tool.fatpack.builders")
    sdk_paths: dict[str, Path] = {}
    python_sdks: dict[str, Path] = {}
    with problems.collect():
        sdk_paths, python_sdks = parse_sdk_table(tool.get("sdk", {}), root, "tool.fatpack.sdk")
    packages = package_dir = None
    with problems.collect():
        raw_packages = tool.get("packages")
        packages = None if raw_packages is None else tuple(_str_list(raw_packages, "tool.fatpack.packages"))
    with problems.collect():
        raw_dir = tool.get("package-dir")
        package_dir = None if raw_dir is None else root / _str(raw_dir, "tool.fatpack.package-dir")
    strip = tool.get("strip", True)
    if not isinstance(strip, bool):
        problems.messages.append(f"tool.fatpack.strip must be true or false, not {strip!r}")
    builder = DEFAULT_BUILDER
    with problems.collect():
        builder = _str(tool.get("builder", DEFAULT_BUILDER), "tool.fatpack.builder")
    before_build = BeforeBuildConfig()
    with problems.collect():
        before_build = _parse_before_build(tool)
    test = TestConfig()
    with problems.collect():
        test = _parse_test(tool)
    problems.raise_any()
    return ProjectConfig(
        root=root,
        name=name,
        version=version,
        pyproject=data,
        targets=targets,
        abis=abis,
        extensions=extensions,
        libraries=libraries,
        builder=builder,
        builders=builders,
        packages=packages,
        package_dir=package_dir,
        strip=strip,
        sdk_paths=sdk_paths,
        python_sdks=python_sdks,
        before_build=before_build,
        test=test,
        abis_default="python" not in tool,
    )


def parse_commands(value: object, where: str) -> tuple[str, ...]:
    """A before-build value: one shell command, or a list of them run in order."""
    if isinstance(value, str) and value.strip():
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(value)
    raise ConfigError(f"{where} must be a shell command or a list of them, not {value!r}")


def read_before_build(pyproject: dict[str, Any]) -> BeforeBuildConfig:
    """[tool.fatpack]'s before-build settings alone, for a build that reads no other fatpack setting
    (the project's own backend run per target); ConfigError as load_project would say it."""
    return _parse_before_build(_table(_table(pyproject, "tool"), "fatpack", where="tool.fatpack"))


def read_test_config(pyproject: dict[str, Any]) -> TestConfig:
    """[tool.fatpack.test] alone, for `fatpack test` (which builds nothing, so reads no other setting
    and runs no setup.py); ConfigError as load_project would say it."""
    return _parse_test(_table(_table(pyproject, "tool"), "fatpack", where="tool.fatpack"))


def _parse_test(tool: dict[str, Any]) -> TestConfig:
    table = _table(tool, "test", where="tool.fatpack.test")
    _reject_unknown(table, _TEST_KEYS | set(OSES) | set(TARGETS), "tool.fatpack.test")
    overrides = []
    for scope in [*OSES, *TARGETS]:
        if scope in table:
            where = f"tool.fatpack.test.{scope}"
            scoped = _table(table, scope, where=where)
            _reject_unknown(scoped, _TEST_KEYS, where)
            overrides.append((scope, _test_keys(scoped, where)))
    return dataclasses.replace(_test_keys(table, "tool.fatpack.test"), overrides=tuple(overrides))


def _test_keys(table: dict[str, Any], where: str) -> TestConfig:
    command = _str(table["command"], f"{where}.command") if "command" in table else ""
    requires = tuple(_str_list(table.get("requires", []), f"{where}.requires"))
    return TestConfig(command.strip(), requires)


def _parse_before_build(tool: dict[str, Any]) -> BeforeBuildConfig:
    commands = (
        ()
        if "before-build" not in tool
        else parse_commands(tool["before-build"], "tool.fatpack.before-build")
    )
    overrides = []
    for scope in [*OSES, *TARGETS]:
        if scope not in tool:
            continue
        where = f"tool.fatpack.{scope}"
        table = _table(tool, scope, where=where)
        _reject_unknown(table, _SCOPED_TOOL_KEYS, where)
        if "before-build" in table:
            overrides.append((scope, parse_commands(table["before-build"], f"{where}.before-build")))
    return BeforeBuildConfig(commands, tuple(overrides))


_Item = TypeVar("_Item", bound=ExtensionConfig)


def _parse_items(
    tool: dict[str, Any],
    kind: str,
    root: Path,
    parse: Callable[[dict[str, Any], Path, str], _Item],
    problems: _Problems,
) -> tuple[_Item, ...]:
    """Every [[tool.fatpack.<kind>]] table that parses; the others' errors go to `problems`."""
    items: list[_Item] = []
    with problems.collect():
        tables = _list(tool.get(kind, []), f"tool.fatpack.{kind}", item_type=dict)
        for i, raw in enumerate(tables):
            with problems.collect():
                items.append(parse(raw, root, f"tool.fatpack.{kind}[{i}]"))
        _reject_duplicates([item.name for item in items], f"tool.fatpack.{kind}")
    return tuple(items)


def _split_overrides(raw: dict[str, Any], where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate per-OS / per-target sub-tables from the base keys."""
    scopes = {k: v for k, v in raw.items() if isinstance(v, dict) and (k in _OVERRIDE_SCOPES or k in TARGETS)}
    base = {k: v for k, v in raw.items() if k not in scopes}
    for scope, table in scopes.items():
        _reject_unknown(table, _OVERRIDABLE, f"{where}.{scope}")
    return base, scopes


def _parse_overrides(
    scopes: dict[str, Any], root: Path, where: str, name: str
) -> tuple[tuple[str, dict[str, tuple[Any, ...]]], ...]:
    result = []
    for scope, table in scopes.items():
        parsed = _parse_settings(
            {"sources": [], **table}, root, f"{where}.{scope}", name, sources_required=False
        )
        if any(source.suffix == ".pyx" for source in parsed.sources):
            raise ConfigError(f"{where}.{scope}: Cython sources (.pyx) belong in the extension's own sources")
        fields = {key.replace("-", "_") for key in table}
        result.append((scope, {f: getattr(parsed, f) for f in sorted(fields)}))
    return tuple(result)


def _item_table(
    raw: dict[str, Any], where: str, known: set[str]
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """An extension's or library's own keys (checked against `known`), its per-OS and per-target
    sub-tables, and its name."""
    raw, scopes = _split_overrides(raw, where)
    _reject_unknown(raw, known, where)
    if "name" not in raw:
        raise ConfigError(f"{where} has no 'name'")
    return raw, scopes, _str(raw["name"], f"{where}.name")


def _parse_library(raw: dict[str, Any], root: Path, where: str) -> LibraryConfig:
    raw, scopes, name = _item_table(raw, where, _LIBRARY_KEYS)
    if not name.replace("_", "").replace("-", "").isalnum():
        raise ConfigError(f"{where}.name {name!r}: use letters, digits, '_' and '-' only")
    prebuilt = {}
    for target, path in _str_table(raw.get("prebuilt", {}), f"library {name!r}: prebuilt").items():
        from fatpack.targets import parse_target

        prebuilt[parse_target(target, f"library {name!r}: prebuilt").name] = root / path
        if not (root / path).is_file():
            raise ConfigError(f"library {name!r}: prebuilt file {path} does not exist")
    settings = {k: v for k, v in raw.items() if k != "prebuilt"}
    compiled = _parse_settings(settings, root, f"library {name!r}", name, sources_required=not prebuilt)
    compiled = dataclasses.replace(
        compiled, overrides=_parse_overrides(scopes, root, f"library {name!r}", name)
    )
    return LibraryConfig(
        **{f: getattr(compiled, f) for f in compiled.__dataclass_fields__}, prebuilt=prebuilt
    )


def _parse_extension(raw: dict[str, Any], root: Path, where: str) -> ExtensionConfig:
    raw, scopes, name = _item_table(raw, where, _EXTENSION_KEYS)
    if not all(part.isidentifier() for part in name.split(".")):
        raise ConfigError(f"{where}.name {name!r} is not a dotted Python module name")
    per_os_sources = any("sources" in table for table in scopes.values())
    settings = _parse_settings(raw, root, f"extension {name!r}", name, sources_required=not per_os_sources)
    oses = tuple(_str_list(raw.get("os", []), f"extension {name!r}: os"))
    for os_name in oses:
        if os_name not in OSES:
            raise ConfigError(f"extension {name!r}: os {os_name!r} is not one of {', '.join(OSES)}")
    return dataclasses.replace(
        settings, overrides=_parse_overrides(scopes, root, f"extension {name!r}", name), oses=oses
    )


def _parse_settings(
    raw: dict[str, Any], root: Path, where: str, name: str, sources_required: bool
) -> ExtensionConfig:
    """The keys extensions and libraries share (setuptools.Extension's), with `where` naming the owner."""
    sources = tuple(root / s for s in _str_list(raw.get("sources", []), f"{where}: sources"))
    command = tuple(_str_list(raw.get("command", []), f"{where}: command"))
    builder = raw.get("builder", "command" if command else None)
    if builder is not None:
        builder = _str(builder, f"{where}: builder")
    if builder == "command" and not command:
        raise ConfigError(f'{where}: builder \'command\' needs a command, e.g. command = ["sh", "build.sh"]')
    if not sources and sources_required and not command:
        raise ConfigError(f"{where} has no sources")
    for source in sources:
        if not source.is_file():
            raise ConfigError(f"{where}: source {source.relative_to(root)} does not exist")
    language = raw.get("language", "c")
    if language not in ("c", "c++"):
        raise ConfigError(f"{where}: language must be 'c' or 'c++', not {language!r}")
    return ExtensionConfig(
        name=name,
        sources=sources,
        include_dirs=tuple(
            root / d for d in _str_list(raw.get("include-dirs", []), f"{where}: include-dirs")
        ),
        define_macros=tuple(
            _parse_macro(m, f"{where}: define-macros")
            for m in _list(raw.get("define-macros", []), f"{where}: define-macros")
        ),
        undef_macros=tuple(_str_list(raw.get("undef-macros", []), f"{where}: undef-macros")),
        libraries=tuple(_str_list(raw.get("libraries", []), f"{where}: libraries")),
        library_dirs=tuple(
            root / d for d in _str_list(raw.get("library-dirs", []), f"{where}: library-dirs")
        ),
        extra_compile_args=tuple(
            _str_list(raw.get("extra-compile-args", []), f"{where}: extra-compile-args")
        ),
        extra_link_args=tuple(_str_list(raw.get("extra-link-args", []), f"{where}: extra-link-args")),
        language=language,
        link_with=tuple(_str_list(raw.get("link-with", []), f"{where}: link-with")),
        builder=builder,
        command=command,
    )


def _parse_macro(value: object, where: str) -> tuple[str, Optional[str]]:
    """Accept "NAME", "NAME=VALUE" or ["NAME", "VALUE"] (setuptools' tuple form)."""
    if isinstance(value, str):
        name, sep, val = value.partition("=")
        return (name, val if sep else None)
    if isinstance(value, list) and len(value) in (1, 2) and all(isinstance(v, str) for v in value):
        return (value[0], value[1] if len(value) == 2 else None)
    raise ConfigError(f'{where}: {value!r} is not "NAME", "NAME=VALUE" or ["NAME", "VALUE"]')


def _table(data: dict[str, Any], key: str, *, required: bool = False, where: str = "") -> dict[str, Any]:
    where = where or key
    if key not in data:
        if required:
            raise ConfigError(f"pyproject.toml has no [{where}] table")
        return {}
    value = data[key]
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table, not {type(value).__name__}")
    return value


def _str(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} must be a non-empty string, not {value!r}")
    return value


def _list(value: object, where: str, item_type: type = object) -> list[Any]:
    if not isinstance(value, list) or not all(isinstance(v, item_type) for v in value):
        kind = "tables" if item_type is dict else "values"
        raise ConfigError(f"{where} must be a list of {kind}, not {value!r}")
    return value


def _str_list(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings, not {value!r}")
    return value


def parse_sdk_table(table: object, root: Path, where: str) -> tuple[dict[str, Path], dict[str, Path]]:
    """[tool.fatpack.sdk] (or --sdk's KEY=PATH): a target name -> a Windows Python layout, and a CPython
    version ('cp314', 'cp314t') -> its interpreter, build-details.json or prefix; paths from `root`."""
    layouts: dict[str, Path] = {}
    pythons: dict[str, Path] = {}
    for key, path in _str_table(table, where).items():
        resolved = (root / os.path.expanduser(path)).resolve()
        if is_sdk_key(key):
            pythons[key] = resolved
            continue
        try:
            layouts[parse_target(key, where).name] = resolved
        except ConfigError as exc:
            raise ConfigError(f"{exc}; or a CPython version such as 'cp314' naming its interpreter") from None
    return layouts, pythons


def _str_table(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(f"{where} must be a table of strings, not {value!r}")
    return value


def _reject_unknown(table: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        key = unknown[0] if unknown[0].isprintable() else repr(unknown[0])  # one line, whatever the TOML
        raise ConfigError(f"unknown key {where}.{key} (known keys: {', '.join(sorted(known))}){hint}")


def _reject_duplicates(names: list[str], where: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ConfigError(f"{where}: {name!r} is declared twice")
        seen.add(name)
