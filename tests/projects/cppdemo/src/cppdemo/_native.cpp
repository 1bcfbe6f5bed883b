// C++ extension: exceptions and the standard library inside, a Python ValueError at the boundary.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

std::vector<long long> to_vector(PyObject *list) {
    if (!PyList_Check(list)) throw std::invalid_argument("expected a list of ints");
    std::vector<long long> values;
    for (Py_ssize_t i = 0; i < PyList_Size(list); i++) {
        long long v = PyLong_AsLongLong(PyList_GetItem(list, i));
        if (v == -1 && PyErr_Occurred()) throw std::invalid_argument("list items must be ints");
        values.push_back(v);
    }
    return values;
}

long long checked_total(const std::vector<long long> &values) {
    long long total = 0;
    for (long long v : values) {
        if (v < 0) throw std::domain_error("negative value " + std::to_string(v));
        total += v;
    }
    return total;
}

}  // namespace

// Throws and catches inside C++: a negative value is skipped, counted, and reported.
static PyObject *sum_skipping_negatives(PyObject *, PyObject *args) {
    PyObject *list;
    if (!PyArg_ParseTuple(args, "O", &list)) return nullptr;
    try {
        std::vector<long long> values = to_vector(list);
        long long total = 0;
        int skipped = 0;
        for (long long v : values) {
            try {
                total += checked_total({v});
            } catch (const std::domain_error &) {
                skipped++;
            }
        }
        return Py_BuildValue("(Li)", total, skipped);
    } catch (const std::exception &e) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, e.what());
        return nullptr;
    }
}

// Lets a C++ exception become a Python ValueError.
static PyObject *strict_sum(PyObject *, PyObject *args) {
    PyObject *list;
    if (!PyArg_ParseTuple(args, "O", &list)) return nullptr;
    try {
        return PyLong_FromLongLong(checked_total(to_vector(list)));
    } catch (const std::exception &e) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, e.what());
        return nullptr;
    }
}

static PyObject *word_histogram(PyObject *, PyObject *args) {
    const char *text;
    if (!PyArg_ParseTuple(args, "s", &text)) return nullptr;
    std::map<std::string, int> counts;
    std::string word;
    for (const char *p = text;; p++) {
        if (*p && *p != ' ') {
            word += *p;
        } else {
            if (!word.empty()) counts[word]++;
            word.clear();
            if (!*p) break;
        }
    }
    PyObject *result = PyDict_New();
    for (const auto &kv : counts) {
        PyObject *n = PyLong_FromLong(kv.second);
        PyDict_SetItemString(result, kv.first.c_str(), n);
        Py_DECREF(n);
    }
    return result;
}

static PyMethodDef methods[] = {
    {"sum_skipping_negatives", sum_skipping_negatives, METH_VARARGS, "(total, skipped): negatives caught in C++"},
    {"strict_sum", strict_sum, METH_VARARGS, "sum; a negative raises ValueError from a C++ exception"},
    {"word_histogram", word_histogram, METH_VARARGS, "word counts through std::map"},
    {nullptr, nullptr, 0, nullptr},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", "C++ extension", -1, methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
