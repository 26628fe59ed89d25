# cython: annotation_typing=False
"""SqrtPriceMath in C: the kernel behind :mod:`arbstream.cyext.v3.sqrt_price_math`.

Same results and exceptions as :mod:`arbstream.cyext.v3.sqrt_price_math_py` (every wrap-around
and revert of the contract, see ``v3math.h``).
"""

include "_boundary.pxi"

cdef extern from "v3math.h" nogil:
    int v3_next_sqrt_price_amount0(u256 *out, const u256 *sp, u128 liq, const u256 *amount,
                                   int add)
    int v3_next_sqrt_price_amount1(u256 *out, const u256 *sp, u128 liq, const u256 *amount,
                                   int add)
    int v3_next_sqrt_price_from_input(u256 *out, const u256 *sp, u128 liq,
                                      const u256 *amount_in, int zero_for_one)
    int v3_next_sqrt_price_from_output(u256 *out, const u256 *sp, u128 liq,
                                       const u256 *amount_out, int zero_for_one)
    int v3_amount0_delta(u256 *out, const u256 *pa, const u256 *pb, u128 liq, int round_up)
    int v3_amount1_delta(u256 *out, const u256 *pa, const u256 *pb, u128 liq, int round_up)
    int v3_amount0_delta_signed(u256 *out, const u256 *a, const u256 *b, i128 liq)
    int v3_amount1_delta_signed(u256 *out, const u256 *a, const u256 *b, i128 liq)

__all__ = [
    "get_amount0_delta",
    "get_amount0_delta_signed",
    "get_amount1_delta",
    "get_amount1_delta_signed",
    "get_next_sqrt_price_from_amount0_rounding_up",
    "get_next_sqrt_price_from_amount1_rounding_down",
    "get_next_sqrt_price_from_input",
    "get_next_sqrt_price_from_output",
]

ctypedef int (*next_fn)(u256 *, const u256 *, u128, const u256 *, int) noexcept nogil
ctypedef int (*delta_fn)(u256 *, const u256 *, const u256 *, u128, int) noexcept nogil
ctypedef int (*signed_fn)(u256 *, const u256 *, const u256 *, i128) noexcept nogil


cdef inline object _next(next_fn fn, object sqrt_px96, object liquidity, object amount, bint flag):
    cdef u256 p, a, r
    get_uint(sqrt_px96, &p, 160)
    cdef u128 l = get_u128(liquidity)
    get_uint(amount, &a, 256)
    cdef int e = fn(&r, &p, l, &a, flag)
    if e:
        raise_v3(e)
    return v3_u256_to_py(&r)


cdef inline object _delta(delta_fn fn, object sqrt_a, object sqrt_b, object liquidity,
                          bint round_up):
    cdef u256 a, b, r
    get_uint(sqrt_a, &a, 160)
    get_uint(sqrt_b, &b, 160)
    cdef u128 l = get_u128(liquidity)
    cdef int e = fn(&r, &a, &b, l, round_up)
    if e:
        raise_v3(e)
    return v3_u256_to_py(&r)


cdef inline object _signed(signed_fn fn, object sqrt_a, object sqrt_b, object liquidity):
    cdef u256 a, b, r
    get_uint(sqrt_a, &a, 160)
    get_uint(sqrt_b, &b, 160)
    cdef i128 l = get_i128(liquidity)
    cdef int e = fn(&r, &a, &b, l)
    if e:
        raise_v3(e)
    return v3_i256_to_py(&r)


def get_next_sqrt_price_from_amount0_rounding_up(sqrt_px96, liquidity, amount, add):
    """``SqrtPriceMath.getNextSqrtPriceFromAmount0RoundingUp``: the price after adding
    (``add``) or removing ``amount`` of token0, rounded up."""
    return _next(v3_next_sqrt_price_amount0, sqrt_px96, liquidity, amount, add)


def get_next_sqrt_price_from_amount1_rounding_down(sqrt_px96, liquidity, amount, add):
    """``SqrtPriceMath.getNextSqrtPriceFromAmount1RoundingDown``: the price after adding
    (``add``) or removing ``amount`` of token1, rounded down."""
    return _next(v3_next_sqrt_price_amount1, sqrt_px96, liquidity, amount, add)


def get_next_sqrt_price_from_input(sqrt_px96, liquidity, amount_in, zero_for_one):
    """``SqrtPriceMath.getNextSqrtPriceFromInput``."""
    return _next(v3_next_sqrt_price_from_input, sqrt_px96, liquidity, amount_in, zero_for_one)


def get_next_sqrt_price_from_output(sqrt_px96, liquidity, amount_out, zero_for_one):
    """``SqrtPriceMath.getNextSqrtPriceFromOutput``."""
    return _next(v3_next_sqrt_price_from_output, sqrt_px96, liquidity, amount_out, zero_for_one)


def get_amount0_delta(sqrt_a, sqrt_b, liquidity, round_up):
    """``SqrtPriceMath.getAmount0Delta(uint160, uint160, uint128, bool)``."""
    return _delta(v3_amount0_delta, sqrt_a, sqrt_b, liquidity, round_up)


def get_amount1_delta(sqrt_a, sqrt_b, liquidity, round_up):
    """``SqrtPriceMath.getAmount1Delta(uint160, uint160, uint128, bool)``."""
    return _delta(v3_amount1_delta, sqrt_a, sqrt_b, liquidity, round_up)


def get_amount0_delta_signed(sqrt_a, sqrt_b, liquidity):
    """``SqrtPriceMath.getAmount0Delta(uint160, uint160, int128)``."""
    return _signed(v3_amount0_delta_signed, sqrt_a, sqrt_b, liquidity)


def get_amount1_delta_signed(sqrt_a, sqrt_b, liquidity):
    """``SqrtPriceMath.getAmount1Delta(uint160, uint160, int128)``."""
    return _signed(v3_amount1_delta_signed, sqrt_a, sqrt_b, liquidity)
