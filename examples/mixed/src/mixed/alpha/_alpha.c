/* Calls into the bundled library `extra`: Windows finds extra.dll only through the loader's DLL directory. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "extra.h"

static PyObject *parallel_sum(PyObject *self, PyObject *args) {
    long long n;
    if (!PyArg_ParseTuple(args, "L", &n)) return NULL;
    return PyLong_FromLongLong(extra_parallel_sum(n));
}

static PyObject *info(PyObject *self, PyObject *unused) {
    return Py_BuildValue("(sIiL)", extra_flavour(), extra_to_network(1), extra_os_major(), extra_clock_ms() >= 0);
}

static PyMethodDef methods[] = {
    {"parallel_sum", parallel_sum, METH_VARARGS, "sum of 0..n-1 by four threads in libextra"},
    {"info", info, METH_NOARGS, "(flavour, htonl(1), OS major version, clock works)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_alpha", NULL, -1, methods};

PyMODINIT_FUNC PyInit__alpha(void) { return PyModule_Create(&module); }
