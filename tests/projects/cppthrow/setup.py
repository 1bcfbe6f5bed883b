"""A C++ extension module whose exception nobody catches: the process must end as with the compiler
the platform's CPython uses (std::terminate, abort: SIGABRT on Linux, exit code 3 on Windows); and a
second module that catches it after it crossed CPython's frames (types across modules)."""

from setuptools import Extension, setup

setup(
    name="cppthrow",
    version="1.0",
    packages=["cppthrow"],
    ext_modules=[
        Extension("cppthrow._native", sources=["cppthrow/_native.cpp"], language="c++"),
        Extension("cppthrow._catcher", sources=["cppthrow/_catcher.cpp"], language="c++"),
    ],
)
