"""Uniswap V3 LiquidityMath: the Cython kernel, or its pure-Python twin.

LiquidityMath (LiquidityMath.sol): addDelta. ``ARBSTREAM_NO_CYTHON=1`` forces the twin
(:mod:`arbstream.cyext.v3.liquidity_math_py`); otherwise the compiled :mod:`arbstream.cyext.v3._liquidity_math`
is used, falling back to the twin with a warning when it was not built. Both give the same
results and raise the same errors (:mod:`arbstream.cyext.v3.errors`). ``IMPLEMENTATION`` says
which one is live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arbstream.cyext.select import choose

__all__ = [
    "IMPLEMENTATION",
    "add_delta",
]

if TYPE_CHECKING:
    from arbstream.cyext.v3.liquidity_math_py import (
        add_delta,
    )

    IMPLEMENTATION: str
else:
    _impl, IMPLEMENTATION = choose(
        "arbstream.cyext.v3._liquidity_math", "arbstream.cyext.v3.liquidity_math_py", __name__
    )

    add_delta = _impl.add_delta
