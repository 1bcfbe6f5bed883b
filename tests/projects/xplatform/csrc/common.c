#define PY_SSIZE_T_CLEAN
#include <Python.h>

const char *xplat_which(void);
unsigned int xplat_net_order(unsigned int value);

static PyObject *describe(PyObject *self, PyObject *args) {
    return Py_BuildValue("(sss)", xplat_which(), XPLAT_SYSTEM, XPLAT_MACHINE);
}

static PyObject *net_order(PyObject *self, PyObject *arg) {
    unsigned long value = PyLong_AsUnsignedLong(arg);
    if (PyErr_Occurred()) return NULL;
    return PyLong_FromUnsignedLong(xplat_net_order((unsigned int)value));
}

static PyMethodDef methods[] = {
    {"describe", describe, METH_NOARGS, "which source was built, and the platform setup.py saw"},
    {"net_order", net_order, METH_O, "htons/htonl through the platform's own socket library"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_impl", NULL, -1, methods};

PyMODINIT_FUNC PyInit__impl(void) { return PyModule_Create(&module); }
