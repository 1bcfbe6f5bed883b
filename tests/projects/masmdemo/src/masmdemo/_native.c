#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifdef _WIN32
extern long long masm_add(long long a, long long b); /* add_x64.asm, assembled by MSVC's ml64 */
#else
static long long masm_add(long long a, long long b) { return a + b; }
#endif

static PyObject *add(PyObject *self, PyObject *args) {
    long long a, b;
    if (!PyArg_ParseTuple(args, "LL", &a, &b)) return NULL;
    return PyLong_FromLongLong(masm_add(a, b));
}

static PyMethodDef methods[] = {{"add", add, METH_VARARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};
PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
