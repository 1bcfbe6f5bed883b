# A setuptools C extension that says whether it was compiled for the free-threaded build
# (Py_GIL_DISABLED) and declares that it runs without the GIL (Py_mod_gil), so importing it on
# CPython 3.13t leaves the GIL off.
from setuptools import Extension, setup

setup(
    packages=["ftdemo"],
    package_dir={"": "src"},
    ext_modules=[Extension("ftdemo._ft", ["src/ftdemo/_ft.c"])],
)
