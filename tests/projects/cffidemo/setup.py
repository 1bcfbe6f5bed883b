# A cffi out-of-line API module: built by cffi's setuptools hook, not listed in ext_modules.
from setuptools import setup

setup(packages=["cffidemo"], package_dir={"": "src"}, cffi_modules=["build_ops.py:ffibuilder"])
