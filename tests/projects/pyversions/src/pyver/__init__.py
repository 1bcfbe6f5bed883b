"""pyversions-demo: one C extension, built per CPython version."""
