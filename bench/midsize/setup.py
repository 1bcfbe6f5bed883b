"""The same extension built the ordinary way (setuptools + the host compiler), for comparison."""

from setuptools import Extension, setup

SOURCES = ["module.c", "hashing.c", "codecs.c", "text.c", "numeric.c", "structures.c"]

setup(
    name="midsize",
    version="1.0",
    packages=["midsize"],
    package_dir={"": "src"},
    ext_modules=[
        Extension(
            "midsize._core",
            sources=[f"src/midsize/native/{s}" for s in SOURCES],
            include_dirs=["src/midsize/native"],
            define_macros=[("Py_LIMITED_API", "0x03080000")],
            py_limited_api=True,
        )
    ],
)
