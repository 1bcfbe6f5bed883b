#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Whether this module was compiled for the free-threaded build (Py_GIL_DISABLED defined). */
static PyObject *built_free_threaded(PyObject *self, PyObject *args) {
#ifdef Py_GIL_DISABLED
    Py_RETURN_TRUE;
#else
    Py_RETURN_FALSE;
#endif
}

/* The version of the headers this module was compiled against, e.g. "3.13.15". */
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
    {"built_free_threaded", built_free_threaded, METH_NOARGS, "Compiled with Py_GIL_DISABLED?"},
    {"headers", headers, METH_NOARGS, "The Python headers' version this module was built with."},
    {"add", add, METH_VARARGS, "a + b"},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED}, /* 3.13+: safe without the GIL (it holds no state) */
#endif
    {0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ft", NULL, 0, methods, slots};

PyMODINIT_FUNC PyInit__ft(void) { return PyModuleDef_Init(&module); }
