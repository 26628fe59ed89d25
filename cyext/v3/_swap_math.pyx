# cython: annotation_typing=False
"""SwapMath in C: the kernel behind :mod:`arbstream.cyext.v3.swap_math`.

Same results and exceptions as :mod:`arbstream.cyext.v3.swap_math_py`.
"""

include "_boundary.pxi"

cdef extern from "v3math.h" nogil:
    int v3_compute_swap_step(const u256 *cur, const u256 *target, u128 liq,
                             const u256 *amount_remaining, uint32_t fee_pips, u256 *next,
                             u256 *amount_in, u256 *amount_out, u256 *fee_amount)

from libc.stdint cimport uint32_t

__all__ = ["compute_swap_step"]


def compute_swap_step(sqrt_ratio_current, sqrt_ratio_target, liquidity, amount_remaining,
                      fee_pips):
    """``SwapMath.computeSwapStep``: ``(sqrt_ratio_next, amount_in, amount_out, fee_amount)``.

    ``amount_remaining`` is an int256: ``>= 0`` exact input, ``< 0`` exact output.
    """
    cdef u256 cur, tgt, rem, nxt, a_in, a_out, fee_amt
    get_uint(sqrt_ratio_current, &cur, 160)
    get_uint(sqrt_ratio_target, &tgt, 160)
    cdef u128 l = get_u128(liquidity)
    get_int(amount_remaining, &rem, 256)
    cdef uint32_t fee = get_fee_pips(fee_pips)
    cdef int e = v3_compute_swap_step(&cur, &tgt, l, &rem, fee, &nxt, &a_in, &a_out, &fee_amt)
    if e:
        raise_v3(e)
    return (v3_u256_to_py(&nxt), v3_u256_to_py(&a_in), v3_u256_to_py(&a_out),
            v3_u256_to_py(&fee_amt))
