# cython: language_level=3, boundscheck=False, wraparound=False
"""Statistics over a typed memoryview: compiled by Cython, cross-compiled by fatpack."""

from libc.math cimport sqrt


def mean_and_std(double[:] values):
    cdef Py_ssize_t i, n = values.shape[0]
    cdef double total = 0, squares = 0
    if n == 0:
        raise ValueError("no values")
    for i in range(n):
        total += values[i]
    cdef double mean = total / n
    for i in range(n):
        squares += (values[i] - mean) * (values[i] - mean)
    return mean, sqrt(squares / n)


def scale_in_place(double[:] values, double factor):
    cdef Py_ssize_t i
    for i in range(values.shape[0]):
        values[i] *= factor


def sizeof_long():
    return sizeof(long)
