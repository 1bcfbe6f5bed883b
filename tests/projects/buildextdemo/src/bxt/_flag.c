#include <Python.h>

#ifndef FROM_BUILD_EXT
#error "the project's build_ext subclass did not run"
#endif

static PyObject *flag(PyObject *self, PyObject *args) { return PyUnicode_FromString(FROM_BUILD_EXT); }

static PyMethodDef methods[] = {{"flag", flag, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_flag", NULL, -1, methods};

PyMODINIT_FUNC PyInit__flag(void) { return PyModule_Create(&module); }
