"""tools/derive_windows_exports.py: pythonXY.dll's exports derived from headers, checked against the
export lists of python.org's real DLLs (fatpack/sdk/windows_exports/python312.def, python313.def)."""

import glob
import importlib.util
import sys
from pathlib import Path

import pytest

from fatpack.sdk.windows import EXPORTS_DIR

TOOL = Path(__file__).resolve().parent.parent / "tools" / "derive_windows_exports.py"


def _load_tool():
    spec = importlib.util.spec_from_file_location("derive_windows_exports", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


derive_tool = _load_tool()


def _declarations(source: str) -> dict[str, bool]:
    """name -> data for a preprocessed fragment with a line marker naming a file of the tree."""
    text = f'# 1 "/inc/x.h"\n{source}\n'
    return {n: e.data for n, e in derive_tool.exported_declarations(text, "/inc").items()}


def test_declarators_decide_code_or_data_not_the_macro_used():
    found = _declarations(
        "__attribute__((dllexport)) PyObject * PyLong_FromLong(long);\n"
        # 3.13 declares _PyLong_Format with PyAPI_DATA; the DLL exports it as code
        "extern __attribute__((dllexport)) PyObject* _PyLong_Format(PyObject *obj, int base);\n"
        "extern __declspec(dllexport) int (*PyOS_InputHook)(void);\n"
        "extern __declspec(dllexport) struct _longobject _Py_FalseStruct, _Py_TrueStruct;\n"
        "extern __attribute__((dllexport)) const char * const _Py_names[];\n"
        "__attribute__((dllexport)) __attribute__((__deprecated__)) void Py_Old(void);\n"
    )
    assert found == {
        "PyLong_FromLong": False,
        "_PyLong_Format": False,
        "PyOS_InputHook": True,
        "_Py_FalseStruct": True,
        "_Py_TrueStruct": True,
        "_Py_names": True,
        "Py_Old": False,
    }


def test_declarations_from_outside_the_header_tree_are_not_exports():
    text = '# 1 "/usr/include/windows.h"\n__declspec(dllexport) int NotPython(void);\n'
    assert derive_tool.exported_declarations(text, "/inc") == {}


def _pyenv(minor: int) -> tuple[Path, Path]:
    """pyenv's CPython 3.<minor> headers and libpython (CI has them); skip without."""
    root = Path.home() / ".pyenv" / "versions"
    includes = sorted(glob.glob(str(root / f"3.{minor}.*" / "include" / f"python3.{minor}")))
    libraries = sorted(glob.glob(str(root / f"3.{minor}.*" / "lib" / f"libpython3.{minor}.so.1.0")))
    if not includes or not libraries:
        pytest.skip(f"needs pyenv's CPython 3.{minor} (headers and shared libpython) in {root}")
    return Path(includes[-1]), Path(libraries[-1])


@pytest.mark.compile  # zig cc -E
@pytest.mark.parametrize("minor", [12, 13])
def test_derived_list_matches_the_real_dll(minor):
    """Derived as python314.def was (the previous release's real DLL as evidence), the list holds no
    name python.org's DLL lacks, marks data as it does, and misses only names no header declares."""
    include_dir, library = _pyenv(minor)
    older_include, older_library = _pyenv(minor - 1)
    older_def = EXPORTS_DIR / f"python3{minor - 1}.def"
    evidence = derive_tool.Evidence(
        stable_abi=derive_tool.stable_abi(EXPORTS_DIR / "python3.def", older_def),
        linux_library=library,
        older_linux_library=older_library,
        known_absent=derive_tool.known_absences(older_include, older_def, older_library),
    )
    derived = derive_tool.derive(include_dir, evidence)
    real = derive_tool.read_def(EXPORTS_DIR / f"python3{minor}.def")

    assert sorted(set(derived) - set(real)) == []
    assert sorted(n for n in set(derived) & set(real) if derived[n] != real[n]) == []
    missed = set(real) - set(derived)
    assert sorted(missed & set(derive_tool.declared_exports(include_dir))) == []
    assert len(missed) <= 5, sorted(missed)  # 3.12: 5, 3.13: 3 (see python314.def's header)


EXTENSION_314 = r"""
#include <Python.h>

static PyObject *probe(PyObject *self, PyObject *arg)
{
    PyUnicodeWriter *writer = PyUnicodeWriter_Create(0);  /* new in 3.14 */
    if (writer == NULL || PyUnicodeWriter_WriteStr(writer, arg) < 0) {
        PyUnicodeWriter_Discard(writer);
        return NULL;
    }
    if (!PyLong_Check(arg) && arg == Py_None) {  /* _Py_NoneStruct: a DATA export */
        PyErr_SetString(PyExc_TypeError, "none");  /* PyExc_TypeError: DATA */
        PyUnicodeWriter_Discard(writer);
        return NULL;
    }
    return PyUnicodeWriter_Finish(writer);
}

static PyMethodDef methods[] = {{"probe", probe, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "probe314", NULL, -1, methods};
PyMODINIT_FUNC PyInit_probe314(void) { return PyModule_Create(&module); }
"""


def _headers_314() -> Path:
    """CPython 3.14 headers of any OS (FATPACK_TEST_PY314_INCLUDE, or Debian unstable's libpython3.14-dev
    unpacked under ~/.cache/debian-sid-apt/root as /work/shared/FACTS.md describes); skip without."""
    import os

    given = os.environ.get("FATPACK_TEST_PY314_INCLUDE")
    include = Path(given) if given else Path.home() / ".cache/debian-sid-apt/root/usr/include/python3.14"
    if not (include / "Python.h").is_file():
        pytest.skip(f"needs CPython 3.14 headers ({include}; or set FATPACK_TEST_PY314_INCLUDE)")
    return include


@pytest.mark.compile
def test_cp314_extension_links_against_the_derived_import_library(tmp_path):
    """Structure check only: no Windows CPython 3.14 here to import it (not run)."""
    import pefile

    from fatpack.runner import run_command, zig_command
    from fatpack.sdk import Headers
    from fatpack.sdk.windows import prepare
    from fatpack.targets import TARGETS, PythonAbi

    target = TARGETS["win_amd64"]
    headers = Headers(_headers_314(), (3, 14))
    sdk = prepare(target, PythonAbi(minor=14, abi3=False), tmp_path / "work", run_command, headers=headers)
    source = tmp_path / "probe314.c"
    source.write_text(EXTENSION_314, encoding="ascii")
    out = tmp_path / "probe314.cp314-win_amd64.pyd"
    includes = [f"-I{d}" for d in sdk.include_dirs]
    command = [*zig_command("cc"), "-target", target.zig_triple, "-O2", "-shared", *includes]
    run_command([*command, str(source), *map(str, sdk.link_inputs), "-o", str(out)], cwd=tmp_path)

    pe = pefile.PE(str(out))
    imports = {entry.dll.decode().lower(): entry for entry in pe.DIRECTORY_ENTRY_IMPORT}
    assert "python314.dll" in imports, sorted(imports)
    names = {i.name.decode() for i in imports["python314.dll"].imports}
    derived = derive_tool.read_def(EXPORTS_DIR / "python314.def")
    assert names >= {"PyUnicodeWriter_Create", "PyUnicodeWriter_Finish", "_Py_NoneStruct", "PyExc_TypeError"}
    assert sorted(names - set(derived)) == []
    assert derived["_Py_NoneStruct"] and derived["PyExc_TypeError"] and not derived["PyUnicodeWriter_Create"]
    assert "PyInit_probe314" in {s.name.decode() for s in pe.DIRECTORY_ENTRY_EXPORT.symbols if s.name}


STABLE_TOOL = TOOL.parent / "derive_stable_abi.py"


def _load_stable_tool():
    spec = importlib.util.spec_from_file_location("derive_stable_abi", STABLE_TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_stable_abi_grows_by_new_limited_declarations_the_dll_exports():
    next_stable_abi = _load_stable_tool().next_stable_abi
    previous = {"PyOld": False, "PyGone": False, "PyOS_CheckStack": False}
    previous_versioned = {"PyOld": False, "PyGone": False, "PyOS_AfterFork": False}
    declared = frozenset({"PyOld", "PyNew", "PyNewData", "PyOS_AfterFork", "PyDeclaredNotExported"})
    versioned = {"PyOld": False, "PyNew": False, "PyNewData": True, "PyOS_AfterFork": False}
    assert next_stable_abi(
        previous, frozenset({"PyOld", "PyOS_AfterFork"}), previous_versioned, declared, versioned
    ) == {
        "PyOld": False,
        "PyOS_CheckStack": False,  # forwarded by python3.dll though no pythonXY.dll exported it: kept
        "PyNew": False,
        "PyNewData": True,
    }  # PyGone: its function left pythonXY.dll; PyOS_AfterFork: declared before and left out on purpose


def test_python3_def_holds_313_and_the_derived_314_315_names():
    from fatpack.verify import stable_abi_symbols

    names = stable_abi_symbols()
    assert {"PyLong_AsInt", "PyLong_AsInt32", "PyUnicode_Equal", "PyModule_FromSlotsAndSpec"} <= names
    assert not names & {";", "LIBRARY", "EXPORTS", "PyOS_AfterFork"}


EXTENSION_ABI3_314 = """
#define Py_LIMITED_API 0x030E0000
#include <Python.h>

static PyObject *probe(PyObject *self, PyObject *arg) {
    int32_t value;
    if (PyLong_AsInt32(arg, &value) < 0) return NULL;
    return PyLong_FromInt32(value + 1);
}

static PyMethodDef methods[] = {{"probe", probe, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "probeabi3", NULL, -1, methods};
PyMODINIT_FUNC PyInit_probeabi3(void) { return PyModule_Create(&module); }
"""


@pytest.mark.compile
def test_cp314_abi3_extension_links_against_python3_dll(tmp_path):
    """Structure check only: no Windows CPython 3.14 here to import it (not run). A cp314-abi3 extension
    using a function the stable ABI gained in 3.14 links against python3.dll alone."""
    import pefile

    from fatpack.runner import run_command, zig_command
    from fatpack.sdk import Headers
    from fatpack.sdk.windows import prepare
    from fatpack.targets import TARGETS, PythonAbi

    target = TARGETS["win_amd64"]
    headers = Headers(_headers_314(), (3, 14))
    sdk = prepare(target, PythonAbi(minor=14, abi3=True), tmp_path / "work", run_command, headers=headers)
    source = tmp_path / "probeabi3.c"
    source.write_text(EXTENSION_ABI3_314, encoding="ascii")
    out = tmp_path / "probeabi3.pyd"
    includes = [f"-I{d}" for d in sdk.include_dirs]
    command = [*zig_command("cc"), "-target", target.zig_triple, "-O2", "-shared", *includes]
    run_command([*command, str(source), *map(str, sdk.link_inputs), "-o", str(out)], cwd=tmp_path)

    pe = pefile.PE(str(out))
    imports = {entry.dll.decode().lower(): entry for entry in pe.DIRECTORY_ENTRY_IMPORT}
    assert [dll for dll in imports if dll.startswith("python")] == ["python3.dll"], sorted(imports)
    names = {i.name.decode() for i in imports["python3.dll"].imports}
    assert {"PyLong_AsInt32", "PyLong_FromInt32"} <= names
