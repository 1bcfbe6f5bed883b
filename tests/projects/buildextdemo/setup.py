# A custom build_ext subclass that adds a define per compiler run, as many projects' build_ext do.
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class add_define(build_ext):
    def build_extensions(self):
        for ext in self.extensions:
            ext.define_macros.append(("FROM_BUILD_EXT", f'"{self.plat_name}"'))
        super().build_extensions()


setup(
    packages=["bxt"],
    package_dir={"": "src"},
    ext_modules=[Extension("bxt._flag", ["src/bxt/_flag.c"])],
    cmdclass={"build_ext": add_define},
)
