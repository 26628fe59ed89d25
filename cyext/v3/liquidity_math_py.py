"""LiquidityMath in pure Python: the oracle for :mod:`arbstream.cyext.v3._liquidity_math`.

Ports Uniswap/v3-core contracts/libraries/LiquidityMath.sol ``addDelta(uint128 x, int128 y)``:
``x - |y|`` reverting ``'LS'`` on underflow, ``x + y`` reverting ``'LA'`` past ``uint128``.
"""

from __future__ import annotations

from arbstream.cyext.v3.errors import LiquidityAdd, LiquiditySub
from arbstream.cyext.v3.full_math_py import check_int, check_uint

__all__ = ["add_delta"]

UINT128_MAX = (1 << 128) - 1


def _add_delta(x: int, y: int) -> int:
    """addDelta on already-checked operands."""
    z = x + y
    if y < 0:
        if z < 0:
            raise LiquiditySub()
    elif z > UINT128_MAX:
        raise LiquidityAdd()
    return z


def add_delta(x: int, y: int) -> int:
    """``LiquidityMath.addDelta(x, y)``: ``x`` a uint128 liquidity, ``y`` an int128 delta.

    Raises LiquiditySub ('LS') / LiquidityAdd ('LA'); UintRangeError / IntRangeError for
    arguments outside uint128 / int128.
    """
    return _add_delta(check_uint(x, 128), check_int(y, 128))
