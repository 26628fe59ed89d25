# cython: annotation_typing=False
"""TickMath in C: the kernel behind :mod:`arbstream.cyext.v3.tick_math`.

Same results and exceptions as :mod:`arbstream.cyext.v3.tick_math_py`; the magic constants and
the fixed-point log2 are in ``v3math.h``.
"""

include "_boundary.pxi"

cdef extern from "v3math.h" nogil:
    int v3_sqrt_ratio_at_tick(int32_t tick, u256 *out)
    int v3_tick_at_sqrt_ratio(const u256 *sp, int32_t *tick)

__all__ = [
    "MAX_SQRT_RATIO",
    "MAX_TICK",
    "MIN_SQRT_RATIO",
    "MIN_TICK",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
]

MIN_TICK = -887272
MAX_TICK = 887272
MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342


def get_sqrt_ratio_at_tick(tick):
    """``TickMath.getSqrtRatioAtTick(tick)``: ``sqrt(1.0001**tick) * 2**96``, rounded up.

    Raises TickOutOfRange ('T') when ``|tick| > MAX_TICK``; IntRangeError outside int24.
    """
    cdef u256 r
    r.w[0] = r.w[1] = r.w[2] = r.w[3] = 0  # set on success only; raise_v3 raises otherwise
    cdef int32_t t = <int32_t>get_small_int(tick, 24)
    cdef int e = v3_sqrt_ratio_at_tick(t, &r)
    if e:
        raise_v3(e)
    return v3_u256_to_py(&r)


def get_tick_at_sqrt_ratio(sqrt_price_x96):
    """``TickMath.getTickAtSqrtRatio(sqrtPriceX96)``: the greatest tick with
    ``get_sqrt_ratio_at_tick(tick) <= sqrt_price_x96``.

    Raises SqrtPriceOutOfRange ('R') outside ``[MIN_SQRT_RATIO, MAX_SQRT_RATIO)``;
    UintRangeError outside uint160.
    """
    cdef u256 p
    cdef int32_t t = 0
    get_uint(sqrt_price_x96, &p, 160)
    cdef int e = v3_tick_at_sqrt_ratio(&p, &t)
    if e:
        raise_v3(e)
    return t
