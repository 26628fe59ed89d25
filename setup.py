"""Cython build of cyext/ (compiler directives set once, here)."""

import os

from setuptools import Extension, setup

DIRECTIVES = {
    "language_level": "3",
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
}


def extensions() -> list:
    if os.environ.get("ARBSTREAM_NO_CYTHON_BUILD") == "1":
        return []
    from Cython.Build import cythonize

    mods = [
        Extension(f"arbstream.cyext.{name[:-4]}", [f"cyext/{name}"], extra_compile_args=["-O3"])
        for name in sorted(os.listdir("cyext"))
        if name.startswith("_") and name.endswith(".pyx")
    ]
    return cythonize(mods, compiler_directives=DIRECTIVES, annotate=bool(os.environ.get("ARBSTREAM_ANNOTATE")))


setup(ext_modules=extensions())
