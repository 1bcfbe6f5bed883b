"""freethreaded-demo: one C extension, built for CPython 3.13 with and without the GIL."""
