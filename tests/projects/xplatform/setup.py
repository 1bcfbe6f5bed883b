# Chooses its C source by the platform, as psutil does: fatpack must build the target's, not the host's.
import os
import pathlib
import platform
import sys

from setuptools import Extension, setup

HERE = pathlib.Path(__file__).parent  # a Path made while os.name may say "nt"

if os.name == "nt":
    sources = ["csrc/impl_windows.c"]
    libraries = ["ws2_32"]
    macros = [("XPLAT_WINVER", str(sys.getwindowsversion()[0]))]
elif sys.platform.startswith("linux"):
    sources = ["csrc/impl_linux.c"]
    libraries = []
    macros = []
else:
    sys.exit(f"platform {sys.platform} is not supported")
macros.append(("XPLAT_MACHINE", f'"{platform.machine().lower()}"'))
macros.append(("XPLAT_SYSTEM", f'"{platform.system()}"'))

setup(
    name="xplatform",
    version="1.0",
    packages=["xplat"],
    package_dir={"": "src"},
    ext_modules=[
        Extension(
            "xplat._impl",
            sources=[str(pathlib.Path("csrc") / "common.c"), *sources],
            libraries=libraries,
            define_macros=macros,
        )
    ],
)
