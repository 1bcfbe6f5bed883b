#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <cnum.h>

static PyObject *triple(PyObject *self, PyObject *arg) {
    long x = PyLong_AsLong(arg);
    if (x == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromLong(cnum_triple((int)x));
}

static PyObject *target(PyObject *self, PyObject *unused) { return PyUnicode_FromString(cnum_target()); }

static PyMethodDef methods[] = {
    {"triple", triple, METH_O, "3 * x, computed by libcnum"},
    {"target", target, METH_NOARGS, "the target libcnum was built for"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cnum", NULL, -1, methods};

PyMODINIT_FUNC PyInit__cnum(void) { return PyModule_Create(&module); }
