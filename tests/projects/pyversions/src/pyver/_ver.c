#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* The version of the headers this module was compiled against, e.g. "3.10.13". */
static PyObject *headers(PyObject *self, PyObject *args) {
    return PyUnicode_FromString(PY_VERSION);
}

static PyObject *add(PyObject *self, PyObject *args) {
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) {
        return NULL;
    }
    return PyLong_FromLong(a + b);
}

static PyMethodDef methods[] = {
    {"headers", headers, METH_NOARGS, "The Python headers' version this module was built with."},
    {"add", add, METH_VARARGS, "a + b"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ver", NULL, -1, methods};

PyMODINIT_FUNC PyInit__ver(void) { return PyModule_Create(&module); }
