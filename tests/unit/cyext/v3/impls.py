"""The implementations under test: each V3 twin always, plus its compiled kernel when it was
built (no skips: a missing kernel is reported by ``test_cython_kernels_are_built``)."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

from arbstream.cyext.v3 import (
    full_math_py,
    liquidity_math_py,
    sqrt_price_math_py,
    swap_math_py,
    swap_py,
    tick_math_py,
)

DATA = Path(__file__).resolve().parents[3] / "data"
LIBRARIES = ("full_math", "tick_math", "sqrt_price_math", "swap_math", "liquidity_math", "swap")
TWINS: dict[str, ModuleType] = {
    "full_math": full_math_py,
    "tick_math": tick_math_py,
    "sqrt_price_math": sqrt_price_math_py,
    "swap_math": swap_math_py,
    "liquidity_math": liquidity_math_py,
    "swap": swap_py,
}


def compiled(name: str) -> ModuleType | None:
    """``arbstream.cyext.v3._<name>`` if it was built, else None."""
    try:
        return importlib.import_module(f"arbstream.cyext.v3._{name}")
    except ImportError:
        return None


def impls(name: str) -> list[object]:
    """pytest params: the twin of ``name``, and its kernel when importable."""
    params = [pytest.param(TWINS[name], id="python")]
    kernel = compiled(name)
    if kernel is not None:
        params.append(pytest.param(kernel, id="cython"))
    return params
