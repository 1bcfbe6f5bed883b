# build_clib: a static C library built first and linked into the extension.
from setuptools import Extension, setup

setup(
    packages=["clibdemo"],
    package_dir={"": "src"},
    libraries=[("adder", {"sources": ["clib/adder.c"], "include_dirs": ["clib"]})],
    ext_modules=[
        Extension("clibdemo._use", ["src/clibdemo/_use.c"], include_dirs=["clib"], libraries=["adder"])
    ],
)
