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
    from pathlib import Path

    from Cython.Build import cythonize

    # cyext/_x.pyx -> arbstream.cyext._x ; cyext/v3/_y.pyx -> arbstream.cyext.v3._y
    mods = [
        Extension(
            "arbstream." + ".".join(path.with_suffix("").parts),
            [str(path)],
            include_dirs=["cyext"],
            extra_compile_args=["-O3"],
            libraries=["m"],  # v3math.h: log2
        )
        for path in sorted(Path("cyext").rglob("_*.pyx"))
    ]
    return cythonize(
        mods, compiler_directives=DIRECTIVES, annotate=bool(os.environ.get("ARBSTREAM_ANNOTATE"))
    )


setup(ext_modules=extensions())
