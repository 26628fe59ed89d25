"""Uniswap V3 FullMath: the Cython kernel, or its pure-Python twin.

FullMath (FullMath.sol): 512-bit mulDiv / mulDivRoundingUp. ``ARBSTREAM_NO_CYTHON=1`` forces the twin
(:mod:`arbstream.cyext.v3.full_math_py`); otherwise the compiled :mod:`arbstream.cyext.v3._full_math`
is used, falling back to the twin with a warning when it was not built. Both give the same
results and raise the same errors (:mod:`arbstream.cyext.v3.errors`). ``IMPLEMENTATION`` says
which one is live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arbstream.cyext.select import choose

__all__ = [
    "IMPLEMENTATION",
    "mul_div",
    "mul_div_rounding_up",
]

if TYPE_CHECKING:
    from arbstream.cyext.v3.full_math_py import (
        mul_div,
        mul_div_rounding_up,
    )

    IMPLEMENTATION: str
else:
    _impl, IMPLEMENTATION = choose(
        "arbstream.cyext.v3._full_math", "arbstream.cyext.v3.full_math_py", __name__
    )

    mul_div = _impl.mul_div
    mul_div_rounding_up = _impl.mul_div_rounding_up
