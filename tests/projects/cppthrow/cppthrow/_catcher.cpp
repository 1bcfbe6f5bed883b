#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <exception>

// calls a callable of another extension module (cppthrow._native.uncaught): does its C++ exception,
// which crossed CPython's C frames, match a handler by type here, or only catch (...)?
static PyObject *catch_from(PyObject *, PyObject *callable) {
    try {
        return PyObject_CallNoArgs(callable);
    } catch (const std::exception &e) {
        return PyUnicode_FromFormat("std::exception: %s", e.what());
    } catch (...) {
        return PyUnicode_FromString("catch (...) only");
    }
}

static PyMethodDef methods[] = {
    {"catch_from", catch_from, METH_O, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_catcher", nullptr, -1, methods};

PyMODINIT_FUNC PyInit__catcher(void) { return PyModule_Create(&module); }
