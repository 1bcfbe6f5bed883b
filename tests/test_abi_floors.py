"""Two abi3 floors of one module are two binaries: each gets its own path and manifest row, and each
CPython loads the newest floor that is not above its own version (checked on real CPython 3.8 and 3.11)."""

import glob
import subprocess
import zipfile
from pathlib import Path

import pytest

from fatpack.assembler import Member, check_unique_names
from fatpack.config import load_project
from fatpack.errors import ArtifactError
from fatpack.payloads import payload_relative_path
from fatpack.pipeline import Options, assemble
from fatpack.plan import make_plan
from fatpack.targets import TARGETS, PythonAbi

# cp311-abi3 calls PyType_GetName (stable ABI only from 3.11): that binary cannot load on 3.8.
FLOORS_C = """\
#include <Python.h>
static PyObject *floor_(PyObject *self, PyObject *unused) {
#if Py_LIMITED_API >= 0x030B0000
    PyObject *name = PyType_GetName(Py_TYPE(self));
    Py_XDECREF(name);
    return PyLong_FromLong(11);
#else
    return PyLong_FromLong(8);
#endif
}
static PyMethodDef methods[] = {{"floor", floor_, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "_core", NULL, -1, methods};
PyMODINIT_FUNC PyInit__core(void) { return PyModule_Create(&m); }
"""

CP38, CP311 = PythonAbi.parse("cp38-abi3"), PythonAbi.parse("cp311-abi3")


def pyenv_python(minor: int) -> str:
    found = sorted(glob.glob(str(Path.home() / f".pyenv/versions/3.{minor}.*/bin/python3.{minor}")))
    if not found:
        pytest.fail(f"this test needs CPython 3.{minor} from pyenv (~/.pyenv/versions/3.{minor}.*)")
    return found[-1]


@pytest.fixture
def floors_project(make_project):
    return make_project(
        tool="""
        [[tool.fatpack.extension]]
        name = "floors._core"
        sources = ["src/floors/_core.c"]
        """,
        files={"src/floors/__init__.py": "", "src/floors/_core.c": FLOORS_C},
        project='[project]\nname = "floors"\nversion = "1.0"\n',
    )


def test_each_floor_has_its_own_path():
    linux = TARGETS["linux_x86_64"]
    paths = {payload_relative_path("p._core", linux, abi) for abi in (CP38, CP311, PythonAbi(11, False))}
    assert paths == {
        "linux_x86_64/p._core.abi3.so",
        "linux_x86_64/p._core.cp311-abi3.so",
        "linux_x86_64/p._core.cp311.so",
    }


def test_repeated_targets_and_abis_are_built_once(demo_project):
    linux, windows = TARGETS["linux_x86_64"], TARGETS["win_amd64"]
    plan = make_plan(load_project(demo_project), [linux, windows, linux], [CP311, CP38, CP311])
    assert plan.targets == (linux, windows)
    assert plan.abis == (CP311, CP38)


def test_two_members_with_one_name_are_refused():
    members = [Member("p/_fatpack/x.so", b"a"), Member("p/__init__.py", b""), Member("p/_fatpack/x.so", b"b")]
    with pytest.raises(ArtifactError, match=r"two files would be written at p/_fatpack/x.so"):
        check_unique_names(members)


@pytest.mark.compile
def test_each_python_loads_its_own_floor(floors_project, tmp_path):
    options = Options(
        floors_project,
        tmp_path / "dist",
        targets=(TARGETS["linux_x86_64"],),
        abis=(CP38, CP311, CP38),
        cache_dir=None,
    )
    wheel = assemble(options)
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert len(names) == len(set(names))
        manifest = zf.read("floors/_fatpack/manifest.tsv").decode().splitlines()[1:]
        zf.extractall(tmp_path / "site")
    rows = sorted(line.split("\t") for line in manifest)
    assert [(r[2], r[3], r[5]) for r in rows] == [
        ("abi3", "3.11", "linux_x86_64/floors._core.cp311-abi3.so"),
        ("abi3", "3.8", "linux_x86_64/floors._core.abi3.so"),
    ]
    assert rows[0][6] != rows[1][6]  # two binaries, two sha256
    code = "import floors._core as c; print(c.floor(), c.__file__.rsplit('/', 1)[-1])"
    for minor, expected in ((8, "8 floors._core.abi3.so"), (11, "11 floors._core.cp311-abi3.so")):
        proc = subprocess.run(
            [pyenv_python(minor), "-c", code],
            capture_output=True,
            text=True,
            cwd="/",
            env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == expected
    # the 3.11 floor's binary really needs 3.11: loading it on 3.8 fails
    cp311_so = tmp_path / "site/floors/_fatpack/linux_x86_64/floors._core.cp311-abi3.so"
    load = (
        "import importlib.util as u; s = u.spec_from_file_location('floors._core', "
        f"{str(cp311_so)!r}); u.module_from_spec(s)"
    )
    proc = subprocess.run([pyenv_python(8), "-c", load], capture_output=True, text=True)
    assert proc.returncode != 0 and "PyType_GetName" in proc.stderr
