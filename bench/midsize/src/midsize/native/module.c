/* Python bindings for the midsize C library: limited API only, so one binary serves CPython >= 3.8. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <string.h>

#include "mk.h"

/* ---- helpers: Python lists <-> C arrays ---- */

static int64_t *ints_from_list(PyObject *list, Py_ssize_t *count) {
    if (!PyList_Check(list)) {
        PyErr_SetString(PyExc_TypeError, "expected a list of ints");
        return NULL;
    }
    Py_ssize_t n = PyList_Size(list);
    int64_t *values = PyMem_Malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    if (values == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        values[i] = PyLong_AsLongLong(PyList_GetItem(list, i));
        if (values[i] == -1 && PyErr_Occurred()) {
            PyMem_Free(values);
            return NULL;
        }
    }
    *count = n;
    return values;
}

static double *doubles_from_list(PyObject *list, Py_ssize_t *count) {
    if (!PyList_Check(list)) {
        PyErr_SetString(PyExc_TypeError, "expected a list of numbers");
        return NULL;
    }
    Py_ssize_t n = PyList_Size(list);
    double *values = PyMem_Malloc(sizeof(double) * (size_t)(n ? n : 1));
    if (values == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        values[i] = PyFloat_AsDouble(PyList_GetItem(list, i));
        if (values[i] == -1.0 && PyErr_Occurred()) {
            PyMem_Free(values);
            return NULL;
        }
    }
    *count = n;
    return values;
}

static PyObject *list_from_ints(const int64_t *values, Py_ssize_t n) {
    PyObject *list = PyList_New(n);
    if (list == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyLong_FromLongLong(values[i]);
        if (item == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SetItem(list, i, item);
    }
    return list;
}

static PyObject *list_from_doubles(const double *values, Py_ssize_t n) {
    PyObject *list = PyList_New(n);
    if (list == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyFloat_FromDouble(values[i]);
        if (item == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SetItem(list, i, item);
    }
    return list;
}

static PyObject *bytes_result(void *buffer, size_t size) {
    PyObject *result = (size == (size_t)-1) ? NULL : PyBytes_FromStringAndSize(buffer, (Py_ssize_t)size);
    if (size == (size_t)-1) PyErr_SetString(PyExc_ValueError, "malformed input");
    PyMem_Free(buffer);
    return result;
}

/* ---- hashing ---- */

static PyObject *py_sha256(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y#", &data, &size)) return NULL;
    mk_sha256 ctx;
    uint8_t digest[32];
    mk_sha256_init(&ctx);
    mk_sha256_update(&ctx, (const uint8_t *)data, (size_t)size);
    mk_sha256_final(&ctx, digest);
    return PyBytes_FromStringAndSize((const char *)digest, 32);
}

static PyObject *py_crc32(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    unsigned long start = 0;
    if (!PyArg_ParseTuple(args, "y#|k", &data, &size, &start)) return NULL;
    return PyLong_FromUnsignedLong(mk_crc32((uint32_t)start, (const uint8_t *)data, (size_t)size));
}

static PyObject *py_adler32(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    unsigned long start = 1;
    if (!PyArg_ParseTuple(args, "y#|k", &data, &size, &start)) return NULL;
    return PyLong_FromUnsignedLong(mk_adler32((uint32_t)start, (const uint8_t *)data, (size_t)size));
}

static PyObject *py_fnv1a64(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y#", &data, &size)) return NULL;
    return PyLong_FromUnsignedLongLong(mk_fnv1a64((const uint8_t *)data, (size_t)size));
}

static PyObject *py_murmur3(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    unsigned long seed = 0;
    if (!PyArg_ParseTuple(args, "y#|k", &data, &size, &seed)) return NULL;
    return PyLong_FromUnsignedLong(mk_murmur3_32((const uint8_t *)data, (size_t)size, (uint32_t)seed));
}

static PyObject *py_siphash24(PyObject *self, PyObject *args) {
    const char *key, *data;
    Py_ssize_t key_size, size;
    if (!PyArg_ParseTuple(args, "y#y#", &key, &key_size, &data, &size)) return NULL;
    if (key_size != 16) {
        PyErr_SetString(PyExc_ValueError, "siphash24 needs a 16-byte key");
        return NULL;
    }
    return PyLong_FromUnsignedLongLong(mk_siphash24((const uint8_t *)key, (const uint8_t *)data, (size_t)size));
}

/* ---- codecs ---- */

static PyObject *py_b64encode(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y#", &data, &size)) return NULL;
    char *out = PyMem_Malloc(mk_base64_encoded_size((size_t)size) + 1);
    if (out == NULL) return PyErr_NoMemory();
    return bytes_result(out, mk_base64_encode((const uint8_t *)data, (size_t)size, out));
}

static PyObject *py_b64decode(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y#", &data, &size)) return NULL;
    uint8_t *out = PyMem_Malloc((size_t)size / 4 * 3 + 1);
    if (out == NULL) return PyErr_NoMemory();
    return bytes_result(out, mk_base64_decode(data, (size_t)size, out));
}

static PyObject *py_hexlify(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y#", &data, &size)) return NULL;
    char *out = PyMem_Malloc(2 * (size_t)size + 1);
    if (out == NULL) return PyErr_NoMemory();
    return bytes_result(out, mk_hex_encode((const uint8_t *)data, (size_t)size, out));
}

static PyObject *py_unhexlify(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y#", &data, &size)) return NULL;
    uint8_t *out = PyMem_Malloc((size_t)size / 2 + 1);
    if (out == NULL) return PyErr_NoMemory();
    return bytes_result(out, mk_hex_decode(data, (size_t)size, out));
}

static PyObject *py_rle_encode(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y#", &data, &size)) return NULL;
    uint8_t *out = PyMem_Malloc(2 * (size_t)size + 1);
    if (out == NULL) return PyErr_NoMemory();
    return bytes_result(out, mk_rle_encode((const uint8_t *)data, (size_t)size, out));
}

static PyObject *py_rle_decode(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y#", &data, &size)) return NULL;
    size_t total = mk_rle_decoded_size((const uint8_t *)data, (size_t)size);
    if (total == (size_t)-1) {
        PyErr_SetString(PyExc_ValueError, "malformed run-length data");
        return NULL;
    }
    uint8_t *out = PyMem_Malloc(total + 1);
    if (out == NULL) return PyErr_NoMemory();
    return bytes_result(out, mk_rle_decode((const uint8_t *)data, (size_t)size, out));
}

static PyObject *py_lz_compress(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y#", &data, &size)) return NULL;
    if ((uint64_t)size > 0xFFFFFFFFu) {
        PyErr_SetString(PyExc_OverflowError, "lz_compress handles at most 4 GiB");
        return NULL;
    }
    uint8_t *out = PyMem_Malloc(mk_lz_bound((size_t)size));
    if (out == NULL) return PyErr_NoMemory();
    return bytes_result(out, mk_lz_compress((const uint8_t *)data, (size_t)size, out));
}

static PyObject *py_lz_decompress(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y#", &data, &size)) return NULL;
    size_t expected = mk_lz_decompressed_size((const uint8_t *)data, (size_t)size);
    if (expected == (size_t)-1) {
        PyErr_SetString(PyExc_ValueError, "malformed compressed data");
        return NULL;
    }
    uint8_t *out = PyMem_Malloc(expected + 1);
    if (out == NULL) return PyErr_NoMemory();
    size_t got = mk_lz_decompress((const uint8_t *)data, (size_t)size, out, expected);
    return bytes_result(out, got == expected ? got : (size_t)-1);
}

/* ---- text ---- */

static PyObject *py_utf8_length(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y#", &data, &size)) return NULL;
    long n = mk_utf8_length((const uint8_t *)data, (size_t)size);
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "not valid UTF-8");
        return NULL;
    }
    return PyLong_FromLong(n);
}

static PyObject *py_levenshtein(PyObject *self, PyObject *args) {
    const char *a, *b;
    Py_ssize_t na, nb;
    if (!PyArg_ParseTuple(args, "y#y#", &a, &na, &b, &nb)) return NULL;
    size_t d = mk_levenshtein((const uint8_t *)a, (size_t)na, (const uint8_t *)b, (size_t)nb);
    if (d == (size_t)-1) return PyErr_NoMemory();
    return PyLong_FromSize_t(d);
}

static PyObject *py_lcs_length(PyObject *self, PyObject *args) {
    const char *a, *b;
    Py_ssize_t na, nb;
    if (!PyArg_ParseTuple(args, "y#y#", &a, &na, &b, &nb)) return NULL;
    size_t d = mk_lcs_length((const uint8_t *)a, (size_t)na, (const uint8_t *)b, (size_t)nb);
    if (d == (size_t)-1) return PyErr_NoMemory();
    return PyLong_FromSize_t(d);
}

static PyObject *py_find_all(PyObject *self, PyObject *args) {
    const char *hay, *needle;
    Py_ssize_t nh, nn;
    if (!PyArg_ParseTuple(args, "y#y#", &hay, &nh, &needle, &nn)) return NULL;
    size_t total = mk_find_all((const uint8_t *)hay, (size_t)nh, (const uint8_t *)needle, (size_t)nn, NULL, 0);
    size_t *hits = PyMem_Malloc(sizeof(size_t) * (total ? total : 1));
    if (hits == NULL) return PyErr_NoMemory();
    mk_find_all((const uint8_t *)hay, (size_t)nh, (const uint8_t *)needle, (size_t)nn, hits, total);
    PyObject *list = PyList_New((Py_ssize_t)total);
    for (size_t i = 0; list != NULL && i < total; i++) {
        PyList_SetItem(list, (Py_ssize_t)i, PyLong_FromSize_t(hits[i]));
    }
    PyMem_Free(hits);
    return list;
}

static PyObject *py_word_count(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y#", &data, &size)) return NULL;
    return PyLong_FromSize_t(mk_word_count((const uint8_t *)data, (size_t)size));
}

static PyObject *py_lower(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y#", &data, &size)) return NULL;
    uint8_t *copy = PyMem_Malloc((size_t)size + 1);
    if (copy == NULL) return PyErr_NoMemory();
    memcpy(copy, data, (size_t)size);
    mk_ascii_lower(copy, (size_t)size);
    return bytes_result(copy, (size_t)size);
}

static PyObject *py_is_palindrome(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y#", &data, &size)) return NULL;
    return PyBool_FromLong(mk_is_palindrome((const uint8_t *)data, (size_t)size));
}

static PyObject *py_glob_match(PyObject *self, PyObject *args) {
    const char *pattern, *text;
    Py_ssize_t np, nt;
    if (!PyArg_ParseTuple(args, "s#s#", &pattern, &np, &text, &nt)) return NULL;
    return PyBool_FromLong(mk_glob_match(pattern, (size_t)np, text, (size_t)nt));
}

/* ---- numeric ---- */

static PyObject *py_sort(PyObject *self, PyObject *args) {
    PyObject *list;
    const char *algorithm = "quick";
    if (!PyArg_ParseTuple(args, "O|s", &list, &algorithm)) return NULL;
    Py_ssize_t n;
    int64_t *values = ints_from_list(list, &n);
    if (values == NULL) return NULL;
    int64_t *scratch = NULL;
    if (strcmp(algorithm, "merge") == 0 || strcmp(algorithm, "radix") == 0) {
        scratch = PyMem_Malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
        if (scratch == NULL) {
            PyMem_Free(values);
            return PyErr_NoMemory();
        }
    }
    if (strcmp(algorithm, "quick") == 0) {
        mk_sort_quick(values, (size_t)n);
    } else if (strcmp(algorithm, "merge") == 0) {
        mk_sort_merge(values, (size_t)n, scratch);
    } else if (strcmp(algorithm, "heap") == 0) {
        mk_sort_heap(values, (size_t)n);
    } else if (strcmp(algorithm, "radix") == 0) {
        mk_sort_radix(values, (size_t)n, scratch);
    } else {
        PyMem_Free(values);
        PyErr_Format(PyExc_ValueError, "unknown algorithm '%s' (quick, merge, heap, radix)", algorithm);
        return NULL;
    }
    PyMem_Free(scratch);
    PyObject *result = list_from_ints(values, n);
    PyMem_Free(values);
    return result;
}

static PyObject *py_kth_smallest(PyObject *self, PyObject *args) {
    PyObject *list;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "On", &list, &k)) return NULL;
    Py_ssize_t n;
    int64_t *values = ints_from_list(list, &n);
    if (values == NULL) return NULL;
    if (k < 0 || k >= n) {
        PyMem_Free(values);
        PyErr_SetString(PyExc_IndexError, "k out of range");
        return NULL;
    }
    int64_t result = mk_select_kth(values, (size_t)n, (size_t)k);
    PyMem_Free(values);
    return PyLong_FromLongLong(result);
}

static PyObject *stat_of(PyObject *args, double (*fn)(const double *, size_t)) {
    PyObject *list;
    if (!PyArg_ParseTuple(args, "O", &list)) return NULL;
    Py_ssize_t n;
    double *values = doubles_from_list(list, &n);
    if (values == NULL) return NULL;
    double result = fn(values, (size_t)n);
    PyMem_Free(values);
    return PyFloat_FromDouble(result);
}

static PyObject *py_mean(PyObject *self, PyObject *args) { return stat_of(args, mk_mean); }
static PyObject *py_variance(PyObject *self, PyObject *args) { return stat_of(args, mk_variance); }

static PyObject *py_primes_below(PyObject *self, PyObject *args) {
    unsigned long limit;
    if (!PyArg_ParseTuple(args, "k", &limit)) return NULL;
    if (limit > 100000000ul) {
        PyErr_SetString(PyExc_ValueError, "limit too large (at most 1e8)");
        return NULL;
    }
    size_t count = mk_primes_below((uint32_t)limit, NULL, 0);
    uint32_t *primes = PyMem_Malloc(sizeof(uint32_t) * (count ? count : 1));
    if (primes == NULL) return PyErr_NoMemory();
    mk_primes_below((uint32_t)limit, primes, count);
    PyObject *list = PyList_New((Py_ssize_t)count);
    for (size_t i = 0; list != NULL && i < count; i++) {
        PyList_SetItem(list, (Py_ssize_t)i, PyLong_FromUnsignedLong(primes[i]));
    }
    PyMem_Free(primes);
    return list;
}

static PyObject *py_is_prime(PyObject *self, PyObject *args) {
    unsigned long long n;
    if (!PyArg_ParseTuple(args, "K", &n)) return NULL;
    return PyBool_FromLong(mk_is_prime(n));
}

static PyObject *py_gcd(PyObject *self, PyObject *args) {
    unsigned long long a, b;
    if (!PyArg_ParseTuple(args, "KK", &a, &b)) return NULL;
    return PyLong_FromUnsignedLongLong(mk_gcd(a, b));
}

static PyObject *py_pow_mod(PyObject *self, PyObject *args) {
    unsigned long long base, exponent, modulus;
    if (!PyArg_ParseTuple(args, "KKK", &base, &exponent, &modulus)) return NULL;
    if (modulus == 0) {
        PyErr_SetString(PyExc_ZeroDivisionError, "modulus is zero");
        return NULL;
    }
    return PyLong_FromUnsignedLongLong(mk_pow_mod(base, exponent, modulus));
}

static PyObject *py_matmul(PyObject *self, PyObject *args) {
    PyObject *la, *lb;
    Py_ssize_t n, m, p;
    if (!PyArg_ParseTuple(args, "OOnnn", &la, &lb, &n, &m, &p)) return NULL;
    Py_ssize_t ca, cb;
    double *a = doubles_from_list(la, &ca);
    if (a == NULL) return NULL;
    double *b = doubles_from_list(lb, &cb);
    if (b == NULL) {
        PyMem_Free(a);
        return NULL;
    }
    if (n < 0 || m < 0 || p < 0 || ca != n * m || cb != m * p) {
        PyMem_Free(a);
        PyMem_Free(b);
        PyErr_SetString(PyExc_ValueError, "matmul: list sizes do not match n*m and m*p");
        return NULL;
    }
    double *c = PyMem_Malloc(sizeof(double) * (size_t)(n * p ? n * p : 1));
    PyObject *result = NULL;
    if (c != NULL) {
        mk_matmul(a, b, c, (size_t)n, (size_t)m, (size_t)p);
        result = list_from_doubles(c, n * p);
    } else {
        PyErr_NoMemory();
    }
    PyMem_Free(a);
    PyMem_Free(b);
    PyMem_Free(c);
    return result;
}

static PyObject *py_fft(PyObject *self, PyObject *args) {
    PyObject *lre, *lim;
    int inverse = 0;
    if (!PyArg_ParseTuple(args, "OO|p", &lre, &lim, &inverse)) return NULL;
    Py_ssize_t nre, nim;
    double *re = doubles_from_list(lre, &nre);
    if (re == NULL) return NULL;
    double *im = doubles_from_list(lim, &nim);
    if (im == NULL) {
        PyMem_Free(re);
        return NULL;
    }
    PyObject *result = NULL;
    if (nre != nim || mk_fft(re, im, (size_t)nre, inverse) != 0) {
        PyErr_SetString(PyExc_ValueError, "fft needs two lists of the same power-of-two length");
    } else {
        PyObject *r = list_from_doubles(re, nre), *i = list_from_doubles(im, nim);
        if (r && i) result = PyTuple_Pack(2, r, i);
        Py_XDECREF(r);
        Py_XDECREF(i);
    }
    PyMem_Free(re);
    PyMem_Free(im);
    return result;
}

static PyObject *py_horner(PyObject *self, PyObject *args) {
    PyObject *list;
    double x;
    if (!PyArg_ParseTuple(args, "Od", &list, &x)) return NULL;
    Py_ssize_t n;
    double *c = doubles_from_list(list, &n);
    if (c == NULL) return NULL;
    double result = mk_horner(c, (size_t)n, x);
    PyMem_Free(c);
    return PyFloat_FromDouble(result);
}

static PyObject *py_integrate(PyObject *self, PyObject *args) {
    PyObject *list;
    double a, b;
    Py_ssize_t steps = 1000;
    if (!PyArg_ParseTuple(args, "Odd|n", &list, &a, &b, &steps)) return NULL;
    Py_ssize_t n;
    double *c = doubles_from_list(list, &n);
    if (c == NULL) return NULL;
    double result = mk_integrate_simpson(c, (size_t)n, a, b, steps > 0 ? (size_t)steps : 2);
    PyMem_Free(c);
    return PyFloat_FromDouble(result);
}

/* ---- types ---- */

typedef struct {
    PyObject_HEAD
    void *impl;
} Wrapped;

static void wrapped_dealloc(PyObject *self, void (*release)(void *)) {
    PyTypeObject *type = Py_TYPE(self);
    release(((Wrapped *)self)->impl);
    freefunc tp_free = (freefunc)PyType_GetSlot(type, Py_tp_free);
    tp_free(self);
    Py_DECREF(type);
}

static PyObject *wrapped_new(PyTypeObject *type, void *impl) {
    if (impl == NULL) {
        return PyErr_NoMemory();
    }
    allocfunc tp_alloc = (allocfunc)PyType_GetSlot(type, Py_tp_alloc);
    Wrapped *self = (Wrapped *)tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->impl = impl;
    return (PyObject *)self;
}

#define IMPL(type, self) ((type *)((Wrapped *)(self))->impl)

/* IntMap */
static void intmap_release(void *p) { mk_intmap_free(p); }
static void intmap_dealloc(PyObject *self) { wrapped_dealloc(self, intmap_release); }
static PyObject *intmap_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    Py_ssize_t capacity = 16;
    if (!PyArg_ParseTuple(args, "|n", &capacity)) return NULL;
    return wrapped_new(type, mk_intmap_new(capacity > 0 ? (size_t)capacity : 16));
}
static PyObject *intmap_put(PyObject *self, PyObject *args) {
    long long key, value;
    if (!PyArg_ParseTuple(args, "LL", &key, &value)) return NULL;
    int replaced = mk_intmap_put(IMPL(mk_intmap, self), key, value);
    if (replaced < 0) return PyErr_NoMemory();
    return PyBool_FromLong(replaced);
}
static PyObject *intmap_get(PyObject *self, PyObject *args) {
    long long key;
    PyObject *fallback = Py_None;
    if (!PyArg_ParseTuple(args, "L|O", &key, &fallback)) return NULL;
    int64_t value;
    if (mk_intmap_get(IMPL(mk_intmap, self), key, &value)) return PyLong_FromLongLong(value);
    Py_INCREF(fallback);
    return fallback;
}
static PyObject *intmap_remove(PyObject *self, PyObject *args) {
    long long key;
    if (!PyArg_ParseTuple(args, "L", &key)) return NULL;
    return PyBool_FromLong(mk_intmap_remove(IMPL(mk_intmap, self), key));
}
static Py_ssize_t intmap_len(PyObject *self) { return (Py_ssize_t)mk_intmap_size(IMPL(mk_intmap, self)); }
static PyMethodDef intmap_methods[] = {
    {"put", intmap_put, METH_VARARGS, "put(key, value) -> True if it replaced a value"},
    {"get", intmap_get, METH_VARARGS, "get(key, default=None)"},
    {"remove", intmap_remove, METH_VARARGS, "remove(key) -> True if it was there"},
    {NULL, NULL, 0, NULL},
};
static PyType_Slot intmap_slots[] = {
    {Py_tp_new, intmap_new},       {Py_tp_dealloc, intmap_dealloc}, {Py_tp_methods, intmap_methods},
    {Py_sq_length, intmap_len},    {Py_tp_doc, "IntMap(capacity=16): int -> int hash map (open addressing)"},
    {0, NULL},
};
static PyType_Spec intmap_spec = {"midsize._core.IntMap", sizeof(Wrapped), 0, Py_TPFLAGS_DEFAULT, intmap_slots};

/* BloomFilter */
static void bloom_release(void *p) { mk_bloom_free(p); }
static void bloom_dealloc(PyObject *self) { wrapped_dealloc(self, bloom_release); }
static PyObject *bloom_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    Py_ssize_t bits = 8192;
    unsigned int hashes = 4;
    if (!PyArg_ParseTuple(args, "|nI", &bits, &hashes)) return NULL;
    if (bits <= 0 || hashes == 0) {
        PyErr_SetString(PyExc_ValueError, "bits and hashes must be positive");
        return NULL;
    }
    return wrapped_new(type, mk_bloom_new((size_t)bits, hashes));
}
static PyObject *bloom_add(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "y#", &data, &size)) return NULL;
    mk_bloom_add(IMPL(mk_bloom, self), (const uint8_t *)data, (size_t)size);
    Py_RETURN_NONE;
}
static int bloom_contains(PyObject *self, PyObject *item) {
    if (!PyBytes_Check(item)) {
        PyErr_SetString(PyExc_TypeError, "BloomFilter holds bytes");
        return -1;
    }
    return mk_bloom_contains(IMPL(mk_bloom, self), (const uint8_t *)PyBytes_AsString(item), (size_t)PyBytes_Size(item));
}
static PyMethodDef bloom_methods[] = {
    {"add", bloom_add, METH_VARARGS, "add(data: bytes)"},
    {NULL, NULL, 0, NULL},
};
static PyType_Slot bloom_slots[] = {
    {Py_tp_new, bloom_new},           {Py_tp_dealloc, bloom_dealloc}, {Py_tp_methods, bloom_methods},
    {Py_sq_contains, bloom_contains}, {Py_tp_doc, "BloomFilter(bits=8192, hashes=4)"},
    {0, NULL},
};
static PyType_Spec bloom_spec = {"midsize._core.BloomFilter", sizeof(Wrapped), 0, Py_TPFLAGS_DEFAULT, bloom_slots};

/* MinHeap */
static void heap_release(void *p) { mk_heap_free(p); }
static void heap_dealloc(PyObject *self) { wrapped_dealloc(self, heap_release); }
static PyObject *heap_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    if (!PyArg_ParseTuple(args, "")) return NULL;
    return wrapped_new(type, mk_heap_new());
}
static PyObject *heap_push(PyObject *self, PyObject *args) {
    long long value;
    if (!PyArg_ParseTuple(args, "L", &value)) return NULL;
    if (mk_heap_push(IMPL(mk_heap, self), value) < 0) return PyErr_NoMemory();
    Py_RETURN_NONE;
}
static PyObject *heap_pop(PyObject *self, PyObject *unused) {
    int64_t value;
    if (!mk_heap_pop(IMPL(mk_heap, self), &value)) {
        PyErr_SetString(PyExc_IndexError, "pop from an empty heap");
        return NULL;
    }
    return PyLong_FromLongLong(value);
}
static Py_ssize_t heap_len(PyObject *self) { return (Py_ssize_t)mk_heap_size(IMPL(mk_heap, self)); }
static PyMethodDef heap_methods[] = {
    {"push", heap_push, METH_VARARGS, "push(value)"},
    {"pop", heap_pop, METH_NOARGS, "pop() -> the smallest value"},
    {NULL, NULL, 0, NULL},
};
static PyType_Slot heap_slots[] = {
    {Py_tp_new, heap_new},   {Py_tp_dealloc, heap_dealloc}, {Py_tp_methods, heap_methods},
    {Py_sq_length, heap_len}, {Py_tp_doc, "MinHeap(): a binary min-heap of ints"},
    {0, NULL},
};
static PyType_Spec heap_spec = {"midsize._core.MinHeap", sizeof(Wrapped), 0, Py_TPFLAGS_DEFAULT, heap_slots};

/* RingBuffer */
static void ring_release(void *p) { mk_ring_free(p); }
static void ring_dealloc(PyObject *self) { wrapped_dealloc(self, ring_release); }
static PyObject *ring_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    Py_ssize_t capacity;
    if (!PyArg_ParseTuple(args, "n", &capacity)) return NULL;
    if (capacity <= 0) {
        PyErr_SetString(PyExc_ValueError, "capacity must be positive");
        return NULL;
    }
    return wrapped_new(type, mk_ring_new((size_t)capacity));
}
static PyObject *ring_push(PyObject *self, PyObject *args) {
    long long value;
    if (!PyArg_ParseTuple(args, "L", &value)) return NULL;
    return PyBool_FromLong(mk_ring_push(IMPL(mk_ring, self), value));
}
static PyObject *ring_shift(PyObject *self, PyObject *unused) {
    int64_t value;
    if (!mk_ring_shift(IMPL(mk_ring, self), &value)) {
        PyErr_SetString(PyExc_IndexError, "shift from an empty ring");
        return NULL;
    }
    return PyLong_FromLongLong(value);
}
static Py_ssize_t ring_len(PyObject *self) { return (Py_ssize_t)mk_ring_size(IMPL(mk_ring, self)); }
static PyMethodDef ring_methods[] = {
    {"push", ring_push, METH_VARARGS, "push(value) -> False when full"},
    {"shift", ring_shift, METH_NOARGS, "shift() -> the oldest value"},
    {NULL, NULL, 0, NULL},
};
static PyType_Slot ring_slots[] = {
    {Py_tp_new, ring_new},   {Py_tp_dealloc, ring_dealloc}, {Py_tp_methods, ring_methods},
    {Py_sq_length, ring_len}, {Py_tp_doc, "RingBuffer(capacity): a bounded FIFO of ints"},
    {0, NULL},
};
static PyType_Spec ring_spec = {"midsize._core.RingBuffer", sizeof(Wrapped), 0, Py_TPFLAGS_DEFAULT, ring_slots};

/* DisjointSet */
static void dsu_release(void *p) { mk_dsu_free(p); }
static void dsu_dealloc(PyObject *self) { wrapped_dealloc(self, dsu_release); }
static PyObject *dsu_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "n", &n)) return NULL;
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "size must not be negative");
        return NULL;
    }
    return wrapped_new(type, mk_dsu_new((size_t)n));
}
static int dsu_index(PyObject *self, Py_ssize_t i) {
    return i >= 0 && (size_t)i < mk_dsu_size(IMPL(mk_dsu, self));
}
static PyObject *dsu_union(PyObject *self, PyObject *args) {
    Py_ssize_t a, b;
    if (!PyArg_ParseTuple(args, "nn", &a, &b)) return NULL;
    if (!dsu_index(self, a) || !dsu_index(self, b)) {
        PyErr_SetString(PyExc_IndexError, "element out of range");
        return NULL;
    }
    return PyBool_FromLong(mk_dsu_union(IMPL(mk_dsu, self), (size_t)a, (size_t)b));
}
static PyObject *dsu_find(PyObject *self, PyObject *args) {
    Py_ssize_t a;
    if (!PyArg_ParseTuple(args, "n", &a)) return NULL;
    if (!dsu_index(self, a)) {
        PyErr_SetString(PyExc_IndexError, "element out of range");
        return NULL;
    }
    return PyLong_FromSize_t(mk_dsu_find(IMPL(mk_dsu, self), (size_t)a));
}
static PyObject *dsu_components(PyObject *self, PyObject *unused) {
    return PyLong_FromSize_t(mk_dsu_components(IMPL(mk_dsu, self)));
}
static PyMethodDef dsu_methods[] = {
    {"union", dsu_union, METH_VARARGS, "union(a, b) -> True if they were apart"},
    {"find", dsu_find, METH_VARARGS, "find(a) -> representative"},
    {"components", dsu_components, METH_NOARGS, "components() -> number of sets"},
    {NULL, NULL, 0, NULL},
};
static PyType_Slot dsu_slots[] = {
    {Py_tp_new, dsu_new}, {Py_tp_dealloc, dsu_dealloc}, {Py_tp_methods, dsu_methods},
    {Py_tp_doc, "DisjointSet(n): union-find over 0..n-1"},
    {0, NULL},
};
static PyType_Spec dsu_spec = {"midsize._core.DisjointSet", sizeof(Wrapped), 0, Py_TPFLAGS_DEFAULT, dsu_slots};

/* ---- module ---- */

static PyMethodDef functions[] = {
    {"sha256", py_sha256, METH_VARARGS, "sha256(data) -> 32-byte digest"},
    {"crc32", py_crc32, METH_VARARGS, "crc32(data, start=0)"},
    {"adler32", py_adler32, METH_VARARGS, "adler32(data, start=1)"},
    {"fnv1a64", py_fnv1a64, METH_VARARGS, "fnv1a64(data)"},
    {"murmur3", py_murmur3, METH_VARARGS, "murmur3(data, seed=0) -> 32-bit hash"},
    {"siphash24", py_siphash24, METH_VARARGS, "siphash24(key16, data)"},
    {"b64encode", py_b64encode, METH_VARARGS, "b64encode(data) -> bytes"},
    {"b64decode", py_b64decode, METH_VARARGS, "b64decode(data) -> bytes"},
    {"hexlify", py_hexlify, METH_VARARGS, "hexlify(data) -> bytes"},
    {"unhexlify", py_unhexlify, METH_VARARGS, "unhexlify(data) -> bytes"},
    {"rle_encode", py_rle_encode, METH_VARARGS, "rle_encode(data) -> (count, byte) pairs"},
    {"rle_decode", py_rle_decode, METH_VARARGS, "rle_decode(data) -> bytes"},
    {"lz_compress", py_lz_compress, METH_VARARGS, "lz_compress(data) -> bytes"},
    {"lz_decompress", py_lz_decompress, METH_VARARGS, "lz_decompress(data) -> bytes"},
    {"utf8_length", py_utf8_length, METH_VARARGS, "utf8_length(data) -> code points, ValueError if invalid"},
    {"levenshtein", py_levenshtein, METH_VARARGS, "levenshtein(a, b) -> edit distance"},
    {"lcs_length", py_lcs_length, METH_VARARGS, "lcs_length(a, b)"},
    {"find_all", py_find_all, METH_VARARGS, "find_all(haystack, needle) -> offsets"},
    {"word_count", py_word_count, METH_VARARGS, "word_count(data)"},
    {"lower", py_lower, METH_VARARGS, "lower(data) -> ASCII-lowercased bytes"},
    {"is_palindrome", py_is_palindrome, METH_VARARGS, "is_palindrome(data)"},
    {"glob_match", py_glob_match, METH_VARARGS, "glob_match(pattern, text) with * ? [a-z] [!x]"},
    {"sort", py_sort, METH_VARARGS, "sort(ints, algorithm='quick'|'merge'|'heap'|'radix') -> new list"},
    {"kth_smallest", py_kth_smallest, METH_VARARGS, "kth_smallest(ints, k)"},
    {"mean", py_mean, METH_VARARGS, "mean(numbers)"},
    {"variance", py_variance, METH_VARARGS, "variance(numbers) (sample)"},
    {"primes_below", py_primes_below, METH_VARARGS, "primes_below(n) -> list"},
    {"is_prime", py_is_prime, METH_VARARGS, "is_prime(n) for 64-bit n"},
    {"gcd", py_gcd, METH_VARARGS, "gcd(a, b)"},
    {"pow_mod", py_pow_mod, METH_VARARGS, "pow_mod(base, exponent, modulus)"},
    {"matmul", py_matmul, METH_VARARGS, "matmul(a, b, n, m, p) on flat row-major lists"},
    {"fft", py_fft, METH_VARARGS, "fft(re, im, inverse=False) -> (re, im)"},
    {"horner", py_horner, METH_VARARGS, "horner(coefficients, x), highest power first"},
    {"integrate", py_integrate, METH_VARARGS, "integrate(coefficients, a, b, steps=1000) by Simpson's rule"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_core", "midsize: a mid-sized C library", -1, functions};

PyMODINIT_FUNC PyInit__core(void) {
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    struct {
        const char *name;
        PyType_Spec *spec;
    } types[] = {
        {"IntMap", &intmap_spec},         {"BloomFilter", &bloom_spec}, {"MinHeap", &heap_spec},
        {"RingBuffer", &ring_spec},       {"DisjointSet", &dsu_spec},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        PyObject *type = PyType_FromSpec(types[i].spec);
        if (type == NULL || PyModule_AddObject(m, types[i].name, type) < 0) {
            Py_XDECREF(type);
            Py_DECREF(m);
            return NULL;
        }
    }
    return m;
}
