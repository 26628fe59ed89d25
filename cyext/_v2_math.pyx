# cython: annotation_typing=False
"""Exact Uniswap-V2 pricing kernel in C (uint256 as 4 x uint64 limbs, see u256.h).

Same functions, results and exceptions as :mod:`arbstream.cyext.v2_math_py` (the oracle; its
docstring has the maths). Python ints are converted to limbs once per call; every SafeMath
``mul``/``add``/``sub`` and the division run in C. ``optimal_two_pool`` runs entirely in C
(cyext/v2_opt.h: 512-bit closed form and bounds, exact integer square root, the search).
"""

from libc.stdint cimport uint64_t
from cpython.long cimport (
    PyLong_AsLongLongAndOverflow,
    PyLong_AsUnsignedLongLong,
    PyLong_FromUnsignedLongLong,
)
from cpython.object cimport PyObject

from arbstream.cyext.errors import (
    ADD_OVERFLOW,
    MUL_OVERFLOW,
    SUB_UNDERFLOW,
    DivisionByZero,
    FeeError,
    InsufficientInputAmount,
    InsufficientLiquidity,
    InsufficientOutputAmount,
    InvalidPath,
    MathOverflow,
    UintRangeError,
)

include "_u256.pxi"

__all__ = [
    "get_amount_in",
    "get_amount_out",
    "get_amount_out_batch",
    "get_amounts_out",
    "optimal_two_pool",
    "optimal_two_pool_batch",
]

cdef enum:
    D = 10000
    UINT112_BITS = 112

cdef tuple NO_PROFIT = (0, 0, 0, 0)


# ---------------------------------------------------------------- conversions and errors

cdef inline int to_u256(object v, u256 *r, int bits) except -1:
    """Range-checked Python int -> limbs (``bits`` is 256 or 112)."""
    cdef size_t nbits
    if not PyLong_Check(v):
        raise TypeError(f"expected int, got {type(v).__name__}")
    if _PyLong_Sign(v) < 0:
        raise UintRangeError(v, bits)
    nbits = _PyLong_NumBits(v)
    if nbits <= 64:
        u256_set_u64(r, PyLong_AsUnsignedLongLong(v))
        return 0
    if nbits > <size_t>bits:
        raise UintRangeError(v, bits)
    return arb_long_to_u256(v, r)


cdef inline uint64_t gamma_of(object fee_bps) except 0:
    """10000 - fee_bps, after checking 0 <= fee_bps < 10000 (so the result is >= 1)."""
    cdef int overflow = 0
    cdef long long fee
    if not PyLong_Check(fee_bps):
        raise TypeError(f"fee_bps: expected int, got {type(fee_bps).__name__}")
    fee = PyLong_AsLongLongAndOverflow(fee_bps, &overflow)
    if overflow or fee < 0 or fee >= D:
        raise FeeError(fee_bps)
    return <uint64_t>(D - fee)


cdef int raise_code(int code) except -1:
    if code == V2_INSUFFICIENT_INPUT:
        raise InsufficientInputAmount()
    if code == V2_INSUFFICIENT_OUTPUT:
        raise InsufficientOutputAmount()
    if code == V2_INSUFFICIENT_LIQUIDITY:
        raise InsufficientLiquidity()
    if code == V2_MUL_OVERFLOW:
        raise MathOverflow(MUL_OVERFLOW)
    if code == V2_ADD_OVERFLOW:
        raise MathOverflow(ADD_OVERFLOW)
    if code == V2_SUB_UNDERFLOW:
        raise MathOverflow(SUB_UNDERFLOW)
    if code == V2_DIV_ZERO:
        raise DivisionByZero()
    raise SystemError(f"unknown v2 kernel code {code}")


cdef inline object u128_to_long(u128 v):
    cdef u256 t
    u256_set_u128(&t, v)
    return arb_u256_to_long(&t)


# ---------------------------------------------------------------- quotes

def get_amount_out(amount_in, reserve_in, reserve_out, fee_bps=30):
    """Output of an exact-input swap: ``UniswapV2Library.getAmountOut`` with ``fee_bps``.

    Raises InsufficientInputAmount / InsufficientLiquidity / MathOverflow like the contract.
    """
    cdef u256 a, ri, ro, out
    cdef int code
    to_u256(amount_in, &a, 256)
    to_u256(reserve_in, &ri, 256)
    to_u256(reserve_out, &ro, 256)
    cdef uint64_t g = gamma_of(fee_bps)
    code = v2_amount_out(&out, &a, &ri, &ro, g)
    if code != V2_OK:
        raise_code(code)
    return arb_u256_to_long(&out)


def get_amount_in(amount_out, reserve_in, reserve_out, fee_bps=30):
    """Input needed for an exact-output swap: ``UniswapV2Library.getAmountIn`` with ``fee_bps``.

    Raises InsufficientOutputAmount / InsufficientLiquidity / MathOverflow (including
    ``ds-math-sub-underflow`` when ``amount_out > reserve_out``) and DivisionByZero when
    ``amount_out == reserve_out``.
    """
    cdef u256 a, ri, ro, out
    cdef int code
    to_u256(amount_out, &a, 256)
    to_u256(reserve_in, &ri, 256)
    to_u256(reserve_out, &ro, 256)
    cdef uint64_t g = gamma_of(fee_bps)
    code = v2_amount_in(&out, &a, &ri, &ro, g)
    if code != V2_OK:
        raise_code(code)
    return arb_u256_to_long(&out)


def get_amounts_out(amount_in, reserves):
    """Router ``getAmountsOut`` over hops ``(reserve_in, reserve_out, fee_bps)``.

    Returns ``[amount_in, out_hop1, ..., out_hopN]``; an intermediate zero reverts the next hop
    with INSUFFICIENT_INPUT_AMOUNT, as on-chain. No hop raises InvalidPath.
    """
    cdef u256 cur, ri, ro, nxt
    cdef uint64_t g
    cdef int code
    to_u256(amount_in, &cur, 256)
    cdef list amounts = [amount_in]
    for reserve_in, reserve_out, fee_bps in reserves:
        to_u256(reserve_in, &ri, 256)
        to_u256(reserve_out, &ro, 256)
        g = gamma_of(fee_bps)
        code = v2_amount_out(&nxt, &cur, &ri, &ro, g)
        if code != V2_OK:
            raise_code(code)
        cur = nxt
        amounts.append(arb_u256_to_long(&cur))
    if len(amounts) < 2:
        raise InvalidPath()
    return amounts


def get_amount_out_batch(rows):
    """``get_amount_out`` for many ``(amount_in, reserve_in, reserve_out, fee_bps)`` rows.

    Errors as data: a row that would revert on-chain yields ``None``; bad argument types or
    ranges raise as in the single call. The loop and the arithmetic run in C.
    """
    cdef u256 a, ri, ro, out
    cdef uint64_t g
    cdef int code
    cdef list result = []
    for amount_in, reserve_in, reserve_out, fee_bps in rows:
        to_u256(amount_in, &a, 256)
        to_u256(reserve_in, &ri, 256)
        to_u256(reserve_out, &ro, 256)
        g = gamma_of(fee_bps)
        code = v2_amount_out(&out, &a, &ri, &ro, g)
        if code != V2_OK:
            result.append(None)
        elif out.w[1] == 0 and out.w[2] == 0 and out.w[3] == 0:
            result.append(<object>PyLong_FromUnsignedLongLong(out.w[0]))
        else:
            result.append(arb_u256_to_long(&out))
    return result


# ---------------------------------------------------------------- two-pool cycle sizing

include "_v2_opt.pxi"


cdef tuple _optimal(object ra1, object rb1, object f1, object rb2, object ra2, object f2):
    """Validate and convert, then the whole search in C (cyext/v2_opt.h)."""
    cdef v2opt_cycle c
    to_u256(ra1, &c.a1, UINT112_BITS)
    to_u256(rb1, &c.b1, UINT112_BITS)
    to_u256(rb2, &c.b2, UINT112_BITS)
    to_u256(ra2, &c.a2, UINT112_BITS)
    c.g1 = gamma_of(f1)
    c.g2 = gamma_of(f2)
    if u256_is_zero(&c.a1) or u256_is_zero(&c.b1) or u256_is_zero(&c.b2) or u256_is_zero(&c.a2):
        raise InsufficientLiquidity()
    if not v2opt_optimal(&c):
        return NO_PROFIT
    return (u128_to_long(c.bx), u128_to_long(c.bm), u128_to_long(c.bo),
            u128_to_long(<u128>c.bp))


def optimal_two_pool(reserve_a1, reserve_b1, fee1_bps, reserve_b2, reserve_a2, fee2_bps):
    """Most profitable integer input of the cycle A -> B on pool 1, B -> A on pool 2.

    Reserves are uint112 (as stored by UniswapV2Pair). Returns ``(amount_in, amount_mid,
    amount_out, profit)`` or ``(0, 0, 0, 0)`` when no input is profitable.
    """
    return _optimal(reserve_a1, reserve_b1, fee1_bps, reserve_b2, reserve_a2, fee2_bps)


def optimal_two_pool_batch(rows):
    """``optimal_two_pool`` over many 6-tuples ``(a1, b1, fee1, b2, a2, fee2)``."""
    cdef list out = []
    for a1, b1, f1, b2, a2, f2 in rows:
        out.append(_optimal(a1, b1, f1, b2, a2, f2))
    return out


def _u256_divmod(n, d):
    """Test hook: the C 256-bit division."""
    cdef u256 un, ud, q, r
    to_u256(n, &un, 256)
    to_u256(d, &ud, 256)
    if u256_is_zero(&ud):
        raise ZeroDivisionError("division by zero")
    u256_divmod(&q, &r, &un, &ud)
    return arb_u256_to_long(&q), arb_u256_to_long(&r)


cdef extern from "v2_opt.h" nogil:
    void v2opt_isqrt512(u256 *s, const uint64_t *n)


def _isqrt512(n):
    """Test hook: the C integer square root of a 512-bit n (math.isqrt)."""
    cdef uint64_t limbs[8]
    cdef u256 lo, hi, s
    cdef int i
    if not PyLong_Check(n) or n < 0 or n >> 512:
        raise ValueError("expected an int in [0, 2**512)")
    to_u256(n & ((1 << 256) - 1), &lo, 256)
    to_u256(n >> 256, &hi, 256)
    for i in range(4):
        limbs[i] = lo.w[i]
        limbs[i + 4] = hi.w[i]
    v2opt_isqrt512(&s, limbs)
    return arb_u256_to_long(&s)
