"""A typical setuptools C-extension project, as it is: fatpack reads this file, it does not need edits."""

import sys

from setuptools import Extension, find_packages, setup

macros = [("SPAM_GREETING", '"spam"')]
if sys.platform == "win32":  # fatpack reads setup.py once per OS, with that sys.platform
    macros.append(("SPAM_WINDOWS", "1"))

setup(
    name="spam-demo",
    version="2.1.0",
    description="A setup.py project with a C extension, assembled by fatpack unchanged",
    author="Fatpack Tests",
    license="MIT",
    python_requires=">=3.8",
    install_requires=[],
    packages=find_packages("src"),
    package_dir={"": "src"},
    package_data={"spam": ["data/*.txt"]},
    ext_modules=[
        Extension(
            "spam._spam",
            sources=["src/spam/_spammodule.c", "src/spam/helpers.c"],
            include_dirs=["src/spam/include"],
            define_macros=macros,
        )
    ],
    entry_points={"console_scripts": ["spam-sum = spam:main"]},
)
