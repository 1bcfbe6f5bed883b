"""A setup.py written for MSVC on Windows: its Windows branch adds MSVC's own flags and spells system
libraries as MSVC users do. fatpack translates them for zig (fatpack/builders/msvc_flags.py)."""

import sys

from setuptools import Extension, setup

compile_args = ["-std=c++17"]
link_args = []
libraries = []
if sys.platform == "win32":
    compile_args = [
        "/O2",
        "/EHsc",
        "/W3",
        "/wd4996",
        "/std:c++17",
        "/utf-8",
        "/DMSVC_BRANCH=1",
        "/MT",
        "/GS-",
    ]
    link_args = ["/DEBUG", "/OPT:REF", "Shell32.lib"]
    libraries = ["Advapi32"]

setup(
    name="msvcflags",
    version="1.0",
    packages=["msvcflags"],
    ext_modules=[
        Extension(
            "msvcflags._native",
            sources=["msvcflags/_native.cpp"],
            language="c++",
            extra_compile_args=compile_args,
            extra_link_args=link_args,
            libraries=libraries,
        )
    ],
)
