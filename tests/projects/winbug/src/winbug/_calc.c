#define Py_LIMITED_API 0x03080000
#include <Python.h>

static PyObject *double_(PyObject *self, PyObject *arg) {
    long value = PyLong_AsLong(arg);
    if (value == -1 && PyErr_Occurred()) {
        return NULL;
    }
#ifdef _WIN32
    return PyLong_FromLong(value * 2 + 1); /* the Windows-only bug */
#else
    return PyLong_FromLong(value * 2);
#endif
}

static PyObject *platform(PyObject *self, PyObject *unused) {
#ifdef _WIN32
    return PyUnicode_FromString("windows");
#else
    return PyUnicode_FromString("other");
#endif
}

static PyMethodDef methods[] = {
    {"double", double_, METH_O, "2 * value (not on Windows: the bug)"},
    {"platform", platform, METH_NOARGS, "the OS family this binary was built for"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_calc", NULL, -1, methods};

PyMODINIT_FUNC PyInit__calc(void) {
    return PyModule_Create(&module);
}
