"""The package's own layout: module names that cannot be mistaken for others."""

import ast
import re
import sys
from pathlib import Path

import pytest

import fatpack

PACKAGE = Path(fatpack.__file__).parent
# what a project's setup.py (run beside fatpack's introspection script) or fatpack itself imports
THIRD_PARTY = {"cython", "setuptools", "wheel", "packaging", "pefile", "macholib", "elftools"}


@pytest.mark.skipif(sys.version_info < (3, 10), reason="sys.stdlib_module_names is 3.10+")
def test_no_module_shadows_the_stdlib_or_a_dependency():
    """A top-level module named like the stdlib's `inspect` (or Cython's `cython`) shadows it for a
    script run from fatpack's directory (setuptools_introspect.py is one), and misleads a reader of
    `from fatpack import inspect`. (cli/ names its modules after the subcommands.)"""
    names = {p.stem for p in PACKAGE.glob("*.py")} | {p.name for p in PACKAGE.iterdir() if p.is_dir()}
    clashes = sorted(n for n in names if n in sys.stdlib_module_names or n in THIRD_PARTY)
    assert clashes == []


def test_only_the_runner_starts_processes():
    """Every command goes through the injected Runner (fatpack/runner.py), so tests see each one and
    -v logs it: no other module may use subprocess (or os.system, os.popen). The introspection script
    is not fatpack's code at run time: it runs as setup.py's host process."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in ("runner.py", "setuptools_introspect.py"):
            continue
        text = path.read_text(encoding="utf-8")
        if any(call in text for call in ("import subprocess", "os.system(", "os.popen(", "os.spawn")):
            offenders.append(path.relative_to(PACKAGE).as_posix())
    assert offenders == []


def documented_layers() -> list[str]:
    """docs/architecture.md's import layers, in order: every `name` on its numbered lines."""
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Import layers", 1)[1].split("\n## ", 1)[0]
    order: list[str] = []
    for item in re.findall(r"^\d\. .*?(?=^\d\. |\n\n|\Z)", section, re.S | re.M):
        listed = re.sub(r"\([^)]*\)", "", item.split(" — ")[0])  # not the names in descriptions
        for name in re.findall(r"`([a-z_]+)/?`", listed):
            if (PACKAGE / f"{name}.py").is_file() or (PACKAGE / name).is_dir():
                order.append(name)
    return order


def runtime_imports(path: Path) -> set[str]:
    """The fatpack modules `path` imports at run time (not under `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in ast.walk(node)
    }
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("fatpack."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.module == "fatpack":
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[1] for a in node.names if a.name.startswith("fatpack."))
    return names - {"__version__"}


def test_imports_follow_the_documented_layers():
    """docs/architecture.md lists every module in layers, in an order no module imports against: a
    module imports only modules listed before it (a new module must be placed there)."""
    order = documented_layers()
    modules = {p.stem for p in PACKAGE.glob("*.py")} | {
        p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()
    }
    assert sorted(modules - set(order) - {"__init__", "__main__"}) == [], "modules missing from the layers"
    position = {name: i for i, name in enumerate(order)}
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] in ("__init__", "__main__"):
            continue
        for name in runtime_imports(path) - {parts[0]}:
            if position.get(name, -1) > position[parts[0]]:
                upward.append(f"{'/'.join(parts)} imports {name}")
    assert upward == []
