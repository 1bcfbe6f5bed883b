# cython: language_level=3
"""A Cython module calling into the bundled library `extra` (extra.dll / libextra.so)."""

cdef extern from "extra.h":
    long long extra_parallel_sum(long long n) nogil
    const char *extra_flavour()


def parallel_sum(long long n):
    """Sum of 0..n-1, computed by four threads inside extra, with the GIL released."""
    cdef long long total
    with nogil:
        total = extra_parallel_sum(n)
    return total


def flavour():
    return extra_flavour().decode()
