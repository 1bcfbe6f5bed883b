/* The second extension linking the same bundled library: the artifact holds one copy per target. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "extra.h"

static PyObject *to_network(PyObject *self, PyObject *args) {
    unsigned int value;
    if (!PyArg_ParseTuple(args, "I", &value)) return NULL;
    return PyLong_FromUnsignedLong(extra_to_network(value));
}

static PyMethodDef methods[] = {
    {"to_network", to_network, METH_VARARGS, "htonl through libextra"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_beta", NULL, -1, methods};

PyMODINIT_FUNC PyInit__beta(void) { return PyModule_Create(&module); }
