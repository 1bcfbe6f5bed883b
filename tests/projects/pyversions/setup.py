# A setuptools C extension that says which Python headers it was compiled against: a cp310 payload
# built with 3.12's headers (or fatpack's own 3.11 ones) is caught by what it returns.
from setuptools import Extension, setup

setup(
    packages=["pyver"],
    package_dir={"": "src"},
    ext_modules=[Extension("pyver._ver", ["src/pyver/_ver.c"])],
)
