# cython: annotation_typing=False
"""FullMath (512-bit mulDiv) in C: the kernel behind :mod:`arbstream.cyext.v3.full_math`.

Same results and exceptions as :mod:`arbstream.cyext.v3.full_math_py` (the twin); the arithmetic
is ``v3math.h``.
"""

include "_boundary.pxi"

cdef extern from "v3math.h" nogil:
    int v3_mul_div(u256 *r, const u256 *a, const u256 *b, const u256 *d)
    int v3_mul_div_rounding_up(u256 *r, const u256 *a, const u256 *b, const u256 *d)

__all__ = ["mul_div", "mul_div_rounding_up"]


def mul_div(a, b, denominator):
    """``FullMath.mulDiv(a, b, denominator)``: ``floor(a * b / denominator)`` (512-bit product).

    Raises FullMathDivByZero (denominator 0), FullMathOverflow (result >= 2**256),
    UintRangeError (an argument outside uint256).
    """
    cdef u256 x, y, d, r
    cdef int e
    get_uint(a, &x, 256)
    get_uint(b, &y, 256)
    get_uint(denominator, &d, 256)
    e = v3_mul_div(&r, &x, &y, &d)
    if e:
        raise_v3(e)
    return v3_u256_to_py(&r)


def mul_div_rounding_up(a, b, denominator):
    """``FullMath.mulDivRoundingUp(a, b, denominator)``: ``ceil(a * b / denominator)``.

    Raises like :func:`mul_div`, and FullMathOverflow when the rounded-up result is 2**256.
    """
    cdef u256 x, y, d, r
    cdef int e
    get_uint(a, &x, 256)
    get_uint(b, &y, 256)
    get_uint(denominator, &d, 256)
    e = v3_mul_div_rounding_up(&r, &x, &y, &d)
    if e:
        raise_v3(e)
    return v3_u256_to_py(&r)
