#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdexcept>

// called through a pointer, so the compiler cannot see that the throw escapes
static void do_throw() { throw std::runtime_error("cppthrow: nobody catches this"); }
static void (*volatile thrower)() = do_throw;

// a caught exception still works as before: its message comes back as a str
static PyObject *caught(PyObject *, PyObject *) {
    try {
        thrower();
    } catch (const std::exception &e) {
        return PyUnicode_FromString(e.what());
    }
    Py_RETURN_NONE;
}

// never returns: the exception leaves the module through CPython's C frames
static PyObject *uncaught(PyObject *, PyObject *) {
    thrower();
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"caught", caught, METH_NOARGS, nullptr},
    {"uncaught", uncaught, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", nullptr, -1, methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
