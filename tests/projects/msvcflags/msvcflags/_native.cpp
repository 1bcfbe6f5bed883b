#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string_view>
#ifdef _WIN32
#include <windows.h>
#include <shlobj.h>
#endif

#ifndef MSVC_BRANCH
#define MSVC_BRANCH 0
#endif

// C++17 (std::string_view, if constexpr): what /std:c++17 asked MSVC for
static PyObject *branch(PyObject *, PyObject *) {
    constexpr std::string_view name = MSVC_BRANCH ? "msvc-branch" : "default";
    if constexpr (MSVC_BRANCH) {
        return PyUnicode_FromStringAndSize(name.data(), (Py_ssize_t)name.size());
    } else {
        return PyUnicode_FromStringAndSize(name.data(), (Py_ssize_t)name.size());
    }
}

// one call into each library the Windows branch links: advapi32 (libraries) and shell32 (Shell32.lib)
static PyObject *windows_dir_length(PyObject *, PyObject *) {
#ifdef _WIN32
    HKEY key;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE", 0, KEY_READ, &key) == ERROR_SUCCESS) RegCloseKey(key);
    wchar_t path[MAX_PATH];
    if (SHGetFolderPathW(NULL, CSIDL_WINDOWS, NULL, 0, path) != S_OK) return PyLong_FromLong(-1);
    return PyLong_FromSize_t(wcslen(path));
#else
    return PyLong_FromLong(0);
#endif
}

static PyMethodDef methods[] = {
    {"branch", branch, METH_NOARGS, nullptr},
    {"windows_dir_length", windows_dir_length, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", nullptr, -1, methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
