/* Uses macros outside the limited API (PyList_GET_SIZE, PyList_GET_ITEM): a version-specific build. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include "helpers.h"

static PyObject *sum_list(PyObject *self, PyObject *arg) {
    if (!PyList_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "expected a list");
        return NULL;
    }
    long total = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(arg); i++) {
        long value = PyLong_AsLong(PyList_GET_ITEM(arg, i));
        if (value == -1 && PyErr_Occurred()) return NULL;
        total = spam_add(total, value);
    }
    return PyLong_FromLong(total);
}

static PyObject *greeting(PyObject *self, PyObject *unused) { return PyUnicode_FromString(SPAM_GREETING); }

static PyObject *platform(PyObject *self, PyObject *unused) {
#ifdef _WIN32
    return PyUnicode_FromString("windows");
#else
    return PyUnicode_FromString("posix");
#endif
}

/* SPAM_WINDOWS comes from setup.py's `if sys.platform == "win32":` branch: read as on Windows. */
static PyObject *setup_branch(PyObject *self, PyObject *unused) {
#ifdef SPAM_WINDOWS
    return PyUnicode_FromString("win32-branch");
#else
    return PyUnicode_FromString("default-branch");
#endif
}

static PyMethodDef methods[] = {
    {"sum_list", sum_list, METH_O, "Sum a list of ints."},
    {"greeting", greeting, METH_NOARGS, "The greeting macro from setup.py."},
    {"platform", platform, METH_NOARGS, "What the binary was compiled for."},
    {"setup_branch", setup_branch, METH_NOARGS, "Which branch of setup.py built this binary."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_spam", NULL, -1, methods};

PyMODINIT_FUNC PyInit__spam(void) { return PyModule_Create(&module); }
