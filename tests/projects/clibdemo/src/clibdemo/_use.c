#include <Python.h>
#include "adder.h"

static PyObject *add(PyObject *self, PyObject *args) {
    int a, b;
    if (!PyArg_ParseTuple(args, "ii", &a, &b)) return NULL;
    return PyLong_FromLong(adder_add(a, b));
}

static PyMethodDef methods[] = {{"add", add, METH_VARARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_use", NULL, -1, methods};

PyMODINIT_FUNC PyInit__use(void) { return PyModule_Create(&module); }
