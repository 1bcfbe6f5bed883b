#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "triple.h"

static PyObject *call_triple(PyObject *self, PyObject *args) {
    long long x;
    if (!PyArg_ParseTuple(args, "L", &x)) return NULL;
    return PyLong_FromLongLong(triple(x));
}

static PyMethodDef methods[] = {{"triple", call_triple, METH_VARARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_use", NULL, -1, methods};
PyMODINIT_FUNC PyInit__use(void) { return PyModule_Create(&module); }
