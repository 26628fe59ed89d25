# cython: annotation_typing=False
"""LiquidityMath in C: the kernel behind :mod:`arbstream.cyext.v3.liquidity_math`.

Same results and exceptions as :mod:`arbstream.cyext.v3.liquidity_math_py`.
"""

include "_boundary.pxi"

cdef extern from "v3math.h" nogil:
    int v3_add_delta(u128 x, i128 y, u128 *z)

__all__ = ["add_delta"]


def add_delta(x, y):
    """``LiquidityMath.addDelta(x, y)``: ``x`` a uint128 liquidity, ``y`` an int128 delta.

    Raises LiquiditySub ('LS') / LiquidityAdd ('LA'); UintRangeError / IntRangeError for
    arguments outside uint128 / int128.
    """
    cdef u128 a = get_u128(x)
    cdef i128 b = get_i128(y)
    cdef u128 z
    cdef int e = v3_add_delta(a, b, &z)
    if e:
        raise_v3(e)
    return v3_u128_to_py(z)
