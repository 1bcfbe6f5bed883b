/* A small C extension that only uses the limited API, so one binary serves CPython >= 3.8. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifndef HELLO_GREETING
#define HELLO_GREETING "Hi"
#endif

#if defined(_WIN32)
#define BUILT_FOR "windows"
#elif defined(__linux__)
#define BUILT_FOR "linux"
#elif defined(__APPLE__)
#define BUILT_FOR "macos"
#else
#define BUILT_FOR "unknown"
#endif

static PyObject *add(PyObject *self, PyObject *args) {
    long long a, b;
    if (!PyArg_ParseTuple(args, "LL", &a, &b)) {
        return NULL;
    }
    return PyLong_FromLongLong(a + b);
}

static PyObject *greet(PyObject *self, PyObject *args) {
    const char *name;
    if (!PyArg_ParseTuple(args, "s", &name)) {
        return NULL;
    }
    return PyUnicode_FromFormat("%s, %s!", HELLO_GREETING, name);
}

/* 4 on Windows (LLP64), 8 on 64-bit Linux (LP64): proves which pyconfig.h the build used. */
static PyObject *sizeof_long(PyObject *self, PyObject *unused) {
    return PyLong_FromSize_t(sizeof(long));
}

static PyObject *built_for(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString(BUILT_FOR);
}

static PyMethodDef methods[] = {
    {"add", add, METH_VARARGS, "add(a, b) -> a + b, in C"},
    {"greet", greet, METH_VARARGS, "greet(name) -> greeting"},
    {"sizeof_long", sizeof_long, METH_NOARGS, "sizeof(long) in the C compiler that built this module"},
    {"built_for", built_for, METH_NOARGS, "the OS this binary was compiled for"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_core", "fatpack example extension", -1, methods,
};

PyMODINIT_FUNC PyInit__core(void) {
    return PyModule_Create(&module);
}
