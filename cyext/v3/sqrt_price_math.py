"""Uniswap V3 SqrtPriceMath: the Cython kernel, or its pure-Python twin.

SqrtPriceMath (SqrtPriceMath.sol): next prices and token deltas. ``ARBSTREAM_NO_CYTHON=1`` forces the twin
(:mod:`arbstream.cyext.v3.sqrt_price_math_py`); otherwise the compiled :mod:`arbstream.cyext.v3._sqrt_price_math`
is used, falling back to the twin with a warning when it was not built. Both give the same
results and raise the same errors (:mod:`arbstream.cyext.v3.errors`). ``IMPLEMENTATION`` says
which one is live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arbstream.cyext.select import choose

__all__ = [
    "IMPLEMENTATION",
    "get_amount0_delta",
    "get_amount0_delta_signed",
    "get_amount1_delta",
    "get_amount1_delta_signed",
    "get_next_sqrt_price_from_amount0_rounding_up",
    "get_next_sqrt_price_from_amount1_rounding_down",
    "get_next_sqrt_price_from_input",
    "get_next_sqrt_price_from_output",
]

if TYPE_CHECKING:
    from arbstream.cyext.v3.sqrt_price_math_py import (
        get_amount0_delta,
        get_amount0_delta_signed,
        get_amount1_delta,
        get_amount1_delta_signed,
        get_next_sqrt_price_from_amount0_rounding_up,
        get_next_sqrt_price_from_amount1_rounding_down,
        get_next_sqrt_price_from_input,
        get_next_sqrt_price_from_output,
    )

    IMPLEMENTATION: str
else:
    _impl, IMPLEMENTATION = choose(
        "arbstream.cyext.v3._sqrt_price_math", "arbstream.cyext.v3.sqrt_price_math_py", __name__
    )

    get_amount0_delta = _impl.get_amount0_delta
    get_amount0_delta_signed = _impl.get_amount0_delta_signed
    get_amount1_delta = _impl.get_amount1_delta
    get_amount1_delta_signed = _impl.get_amount1_delta_signed
    get_next_sqrt_price_from_amount0_rounding_up = (
        _impl.get_next_sqrt_price_from_amount0_rounding_up
    )
    get_next_sqrt_price_from_amount1_rounding_down = (
        _impl.get_next_sqrt_price_from_amount1_rounding_down
    )
    get_next_sqrt_price_from_input = _impl.get_next_sqrt_price_from_input
    get_next_sqrt_price_from_output = _impl.get_next_sqrt_price_from_output
