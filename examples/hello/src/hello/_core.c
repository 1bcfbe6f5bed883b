/* A small C extension that only uses the limited API, so one binary serves CPython >= 3.8. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>

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

static int compare_longs(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* median(list_of_ints): calls the C library's qsort, so the binary really depends on the target's libc. */
static PyObject *median(PyObject *self, PyObject *args) {
    PyObject *list;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &list)) {
        return NULL;
    }
    Py_ssize_t n = PyList_Size(list);
    if (n == 0) {
        PyErr_SetString(PyExc_ValueError, "median() of an empty list");
        return NULL;
    }
    long long *values = PyMem_Malloc(sizeof(long long) * (size_t)n);
    if (values == NULL) {
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        values[i] = PyLong_AsLongLong(PyList_GetItem(list, i));
        if (values[i] == -1 && PyErr_Occurred()) {
            PyMem_Free(values);
            return NULL;
        }
    }
    qsort(values, (size_t)n, sizeof(long long), compare_longs);
    long long result = values[n / 2];
    PyMem_Free(values);
    return PyLong_FromLongLong(result);
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
    {"median", median, METH_VARARGS, "median(list of ints), sorted with the C library's qsort"},
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
