#define PY_SSIZE_T_CLEAN
#include <Python.h>
#ifdef _WIN32
/* spelled as MSVC users do; mingw-w64 names these windows.h, winsock2.h, ws2tcpip.h, shlwapi.h, basetsd.h */
#include <WinSock2.h>
#include <WS2tcpip.h>
#include <Windows.h>
#include "Shlwapi.h"
#include <BaseTsd.h>
#include <IPHlpApi.h>
/* MSVC links these from the pragma alone; mingw-w64 has iphlpapi, and no NotALibrary */
#pragma comment(lib, "IPHLPAPI.lib")
#pragma comment(lib, "NotALibrary.lib")
#else
#include <unistd.h>
#endif

static PyObject *process_id(PyObject *self, PyObject *unused) {
#ifdef _WIN32
    return PyLong_FromUnsignedLong(GetCurrentProcessId());
#else
    return PyLong_FromLong((long)getpid());
#endif
}

/* _getpid() with no <process.h>: MSVC's C compiler takes the implicit declaration, clang 16+ refuses it
   unless told otherwise (fatpack's zig builder keeps it a warning for Windows targets, as MSVC does) */
static PyObject *crt_process_id(PyObject *self, PyObject *unused) {
#ifdef _WIN32
    return PyLong_FromLong(_getpid());
#else
    return PyLong_FromLong((long)getpid());
#endif
}

/* iphlpapi.dll, linked only through the #pragma above */
static PyObject *interface_count(PyObject *self, PyObject *unused) {
#ifdef _WIN32
    DWORD count = 0;
    if (GetNumberOfInterfaces(&count) != NO_ERROR) return PyLong_FromLong(-1);
    return PyLong_FromUnsignedLong(count);
#else
    return PyLong_FromLong(0);
#endif
}

static PyObject *pointer_bits(PyObject *self, PyObject *unused) {
#ifdef _WIN32
    return PyLong_FromLong((long)(sizeof(ULONG_PTR) * 8));
#else
    return PyLong_FromLong((long)(sizeof(void *) * 8));
#endif
}

static PyMethodDef methods[] = {
    {"process_id", process_id, METH_NOARGS, "the process id, from the OS's own API"},
    {"crt_process_id", crt_process_id, METH_NOARGS, "the process id, from the C runtime"},
    {"interface_count", interface_count, METH_NOARGS, "network interfaces, from iphlpapi"},
    {"pointer_bits", pointer_bits, METH_NOARGS, "ULONG_PTR's width (basetsd.h) on Windows"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
