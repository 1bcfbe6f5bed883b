"""An extension linking a C library built beforehand (as pyyaml links libyaml): unchanged setuptools."""

from setuptools import Extension, find_packages, setup

setup(
    name="cnum",
    version="1.0",
    packages=find_packages("src"),
    package_dir={"": "src"},
    ext_modules=[Extension("cnum._cnum", sources=["src/cnum/_cnum.c"], libraries=["cnum"])],
)
