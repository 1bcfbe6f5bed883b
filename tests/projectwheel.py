"""A project whose own PEP 517 backend (in-tree, stdlib only) writes a wheel given member by member,
for fast tests of the reference wheel (fatpack/reference.py) without setuptools or the network; and
the comparison every "complete" test makes, written independently of fatpack's code (in
acceptance/wheelmembers.py, which the acceptance set uses too)."""

from __future__ import annotations

import base64
import json
import sys
import textwrap
from pathlib import Path
from typing import Optional

from conftest import MINIMAL_C, REPO

sys.path.insert(0, str(REPO / "acceptance"))
from wheelmembers import compare

HOST_ABI = f"cp3{sys.version_info[1]}"
EXT_SUFFIX = f".cpython-3{sys.version_info[1]}-x86_64-linux-gnu.so"

BACKEND = """\
import base64, json, os, zipfile

def _spec():
    with open("backend.json") as f:
        return json.load(f)

def get_requires_for_build_wheel(config_settings=None):
    return _spec()["requires"]

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    spec = _spec()
    with zipfile.ZipFile(os.path.join(wheel_directory, spec["filename"]), "w") as z:
        for member, data in spec["files"].items():
            z.writestr(member, base64.b64decode(data))
    return spec["filename"]
"""


def own_wheel_files(extensions: tuple[str, ...] = ("demo._core",)) -> dict[str, bytes]:
    """What a real backend puts in such a wheel: pure modules, typing files, package data, a .pth in
    purelib, scripts and data files, entry points, a license, and the extension binaries."""
    di = "demo-1.0.dist-info"
    files = {
        "demo/__init__.py": b"from demo._core import *  # noqa\n",
        "demo/util.py": b"X = 1\n",
        "demo/py.typed": b"",
        "demo/_core.pyi": b"def f() -> int: ...\n",
        "demo/data/table.json": b"{}\n",
        "demo-1.0.data/purelib/demo-paths.pth": b"import demo\n",
        "demo-1.0.data/scripts/demo-tool": b"#!python\nprint(1)\n",
        "demo-1.0.data/data/share/demo/readme.txt": b"data file\n",
        "demo-1.0.data/headers/demo.h": b"int demo(void);\n",
        f"{di}/METADATA": b"Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-File: LICENSE\n",
        f"{di}/entry_points.txt": b"[console_scripts]\ndemo = demo.util:main\n",
        f"{di}/licenses/LICENSE": b"MIT\n",
        f"{di}/top_level.txt": b"demo\n",
        f"{di}/WHEEL": f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {HOST_ABI}-{HOST_ABI}-linux_x86_64\n".encode(),
        f"{di}/RECORD": b"",
    }
    for module in extensions:
        files[module.replace(".", "/") + EXT_SUFFIX] = b"\x7fELF" + bytes(60)
    return files


def backend_project(
    root: Path,
    files: dict[str, bytes],
    extensions: tuple[str, ...] = ("demo._core",),
    requires: tuple[str, ...] = (),
    setup_py: Optional[str] = None,
    build_requires: tuple[str, ...] = (),
) -> Path:
    """The project: [tool.setuptools] ext-modules name the extensions fatpack builds (one C file
    each); the in-tree backend writes `files` as demo-1.0-<host>.whl."""
    root.mkdir(parents=True)
    (root / "_backend").mkdir()
    (root / "_backend" / "inline_backend.py").write_text(BACKEND)
    tables = ", ".join(f'{{name = "{m}", sources = ["{m.replace(".", "/")}.c"]}}' for m in extensions)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = {json.dumps(list(build_requires))}
            build-backend = "inline_backend"
            backend-path = ["_backend"]

            [project]
            name = "demo"
            version = "1.0"
            """
        )
        + ("" if setup_py else f"\n[tool.setuptools]\next-modules = [{tables}]\n")
    )
    if setup_py:
        (root / "setup.py").write_text(setup_py)
    for module in extensions:
        source = root / (module.replace(".", "/") + ".c")
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(MINIMAL_C % {"base": module.rpartition(".")[2]})
    spec = {
        "filename": f"demo-1.0-{HOST_ABI}-{HOST_ABI}-linux_x86_64.whl",
        "requires": list(requires),
        "files": {name: base64.b64encode(data).decode() for name, data in files.items()},
    }
    (root / "backend.json").write_text(json.dumps(spec))
    return root


# --- the comparison: acceptance/wheelmembers.py, shared with the acceptance set -------------------


def assert_same_non_binary_members(fat: Path, own: Path) -> None:
    """The fat wheel holds every non-binary member of the project's own wheel and nothing else but
    fatpack's stubs and loader."""
    found = compare(fat, own)
    assert list(found.missing) == [], "missing from the fat wheel"
    assert list(found.extra) == [], "only in the fat wheel"
