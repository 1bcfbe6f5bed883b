# cython: language_level=3
"""A typed memoryview, which needs the buffer protocol (in the limited API only from 3.11)."""


def total(double[:] xs):
    cdef Py_ssize_t i
    cdef double s = 0
    for i in range(xs.shape[0]):
        s += xs[i]
    return s
