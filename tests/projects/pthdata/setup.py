"""A .pth file installed beside the packages, as coverage ships a1_coverage.pth: package_data reaching
out of the package with "../" (issue 23 item 7). The wheel setuptools builds holds it at its root."""

from setuptools import Extension, setup

setup(
    name="pthdata",
    version="1.0",
    packages=["pthdata"],
    package_data={"pthdata": ["../zz_pthdata.pth"]},
    ext_modules=[Extension("pthdata._speed", sources=["pthdata/_speed.c"])],
)
