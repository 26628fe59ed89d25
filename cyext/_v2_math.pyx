# cython: annotation_typing=False
"""Exact Uniswap-V2 pricing kernel in C (uint256 as 4 x uint64 limbs, see u256.h).

Same functions, results and exceptions as :mod:`arbstream.cyext.v2_math_py` (the oracle; its
docstring has the maths). Python ints are converted to limbs once per call (reading CPython's
digits directly, see u256.h); every SafeMath ``mul``/``add``/``sub`` and the division run in
C. ``get_amount_out_packed`` quotes columns of packed little-endian uint256 with no Python int
per quote at all. ``optimal_two_pool`` runs entirely in C (cyext/v2_opt.h: 512-bit closed
form and bounds, exact integer square root, the search).
"""

from libc.stdint cimport uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memset
from cpython.buffer cimport (
    PyBUF_FULL_RO,
    PyBuffer_IsContiguous,
    PyBuffer_Release,
    PyObject_CheckBuffer,
    PyObject_GetBuffer,
)
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.long cimport (
    PyLong_AsLongLongAndOverflow,
    PyLong_FromUnsignedLongLong,
)
from cpython.list cimport PyList_New
from cpython.object cimport PyObject
from cpython.ref cimport Py_DECREF, Py_INCREF, Py_XDECREF
from cpython.tuple cimport PyTuple_GET_SIZE

from arbstream.cyext import errors as _errors
from arbstream.cyext import v2_math_py as _twin
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
    "get_amount_out_packed",
    "get_amounts_out",
    "optimal_two_pool",
    "optimal_two_pool_batch",
    "pack_u256",
    "unpack_u256",
]

# the packed API's status bytes are u256.h's result codes
if (
    _errors.STATUS_OK, _errors.STATUS_INSUFFICIENT_INPUT_AMOUNT,
    _errors.STATUS_INSUFFICIENT_OUTPUT_AMOUNT, _errors.STATUS_INSUFFICIENT_LIQUIDITY,
    _errors.STATUS_MUL_OVERFLOW, _errors.STATUS_ADD_OVERFLOW, _errors.STATUS_SUB_UNDERFLOW,
    _errors.STATUS_DIVISION_BY_ZERO,
) != (
    V2_OK, V2_INSUFFICIENT_INPUT, V2_INSUFFICIENT_OUTPUT, V2_INSUFFICIENT_LIQUIDITY,
    V2_MUL_OVERFLOW, V2_ADD_OVERFLOW, V2_SUB_UNDERFLOW, V2_DIV_ZERO,
):
    raise ImportError("arbstream.cyext.errors STATUS_* codes differ from u256.h's V2_* codes")

cdef enum:
    D = 10000
    UINT112_BITS = 112

cdef tuple NO_PROFIT = (0, 0, 0, 0)


# ---------------------------------------------------------------- conversions and errors

cdef inline int to_u256(object v, u256 *r, int bits) except -1:
    """Range-checked Python int -> limbs (``bits`` is 256 or 112)."""
    cdef int code = arb_py_uint(v, r, bits)
    if code == ARB_UINT_OK:
        return 0
    if code == ARB_UINT_TYPE:
        raise TypeError(f"expected int, got {type(v).__name__}")
    raise UintRangeError(v, bits)


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


cdef extern from "Python.h":
    # borrowed references / a stolen one, without Cython's reference counting
    PyObject *PyTuple_GET_ITEM_B "PyTuple_GET_ITEM"(object t, Py_ssize_t i)
    PyObject *PySequence_Fast_GET_ITEM_B "PySequence_Fast_GET_ITEM"(object s, Py_ssize_t i)
    void PyList_SET_ITEM_S "PyList_SET_ITEM"(object lst, Py_ssize_t i, PyObject *o)
    PyObject *arb_u256_to_long_N "arb_u256_to_long"(const u256 *a) except NULL


cdef struct FeeCache:
    PyObject *fee       # the last fee object seen, a reference owned by the cache
    uint64_t gamma


cdef inline PyObject *quote_row(object row, FeeCache *fc) except NULL:
    """One row of get_amount_out_batch: a new reference to the output int, or to None."""
    cdef u256 a, ri, ro, out
    cdef uint64_t g
    cdef int code
    cdef PyObject *f
    if type(row) is tuple and PyTuple_GET_SIZE(row) == 4:
        to_u256(<object>PyTuple_GET_ITEM_B(row, 0), &a, 256)
        to_u256(<object>PyTuple_GET_ITEM_B(row, 1), &ri, 256)
        to_u256(<object>PyTuple_GET_ITEM_B(row, 2), &ro, 256)
        f = PyTuple_GET_ITEM_B(row, 3)
    else:
        amount_in, reserve_in, reserve_out, fee_bps = row
        to_u256(amount_in, &a, 256)
        to_u256(reserve_in, &ri, 256)
        to_u256(reserve_out, &ro, 256)
        f = <PyObject *>fee_bps
    # ints are immutable: the same fee object as the last row has the same gamma
    if f == fc.fee:
        g = fc.gamma
    else:
        g = gamma_of(<object>f)
        Py_INCREF(<object>f)  # held: its address cannot be reused by another object
        Py_XDECREF(fc.fee)
        fc.fee = f
        fc.gamma = g
    code = v2_amount_out(&out, &a, &ri, &ro, g)
    if code != V2_OK:
        Py_INCREF(None)
        return <PyObject *>None
    return arb_u256_to_long_N(&out)


def get_amount_out_batch(rows):
    """``get_amount_out`` for many ``(amount_in, reserve_in, reserve_out, fee_bps)`` rows.

    Errors as data: a row that would revert on-chain yields ``None``; bad argument types or
    ranges raise as in the single call. The loop and the arithmetic run in C.
    """
    cdef FeeCache fc
    cdef Py_ssize_t i, n
    cdef list result
    cdef object value
    fc.fee = NULL
    fc.gamma = 0
    try:
        if type(rows) is list or type(rows) is tuple:
            n = len(rows)
            result = PyList_New(n)  # NULL items until set; freed cleanly on an error
            for i in range(n):
                # rows cannot change meanwhile: nothing below runs Python code but to raise
                PyList_SET_ITEM_S(
                    result, i, quote_row(<object>PySequence_Fast_GET_ITEM_B(rows, i), &fc)
                )
            return result
        result = []
        for row in rows:
            value = <object>quote_row(row, &fc)  # takes a reference of its own
            Py_DECREF(value)  # drop quote_row's
            result.append(value)
        return result
    finally:
        Py_XDECREF(fc.fee)


# ---------------------------------------------------------------- packed uint256 columns

cdef enum:
    NOGIL_ROWS = 4096   # packed quotes release the GIL from this many rows on


cdef int get_column(object column, str name, Py_buffer *view) except -1:
    """Acquire a C-contiguous buffer of 32-byte values (released here on an error)."""
    cdef Py_ssize_t nbytes
    if not PyObject_CheckBuffer(column):
        raise TypeError(
            f"{name}: expected a buffer of little-endian uint256, got {type(column).__name__}"
        )
    PyObject_GetBuffer(column, view, PyBUF_FULL_RO)
    if not PyBuffer_IsContiguous(view, b'C'):
        PyBuffer_Release(view)
        raise ValueError(f"{name}: the buffer is not C-contiguous")
    nbytes = view.len
    if nbytes % 32:
        PyBuffer_Release(view)
        raise ValueError(
            f"{name}: {nbytes} bytes is not a whole number of uint256 (32 bytes each)"
        )
    return 0


cdef void quote_packed(const unsigned char *pa, const unsigned char *pi,
                       const unsigned char *po, unsigned char *out, unsigned char *status,
                       Py_ssize_t n, uint64_t g) noexcept nogil:
    cdef u256 a, ri, ro, q
    cdef Py_ssize_t k
    cdef int code
    for k in range(n):
        u256_load_le(&a, pa + 32 * k)
        u256_load_le(&ri, pi + 32 * k)
        u256_load_le(&ro, po + 32 * k)
        code = v2_amount_out(&q, &a, &ri, &ro, g)
        if code != V2_OK:
            memset(&q, 0, sizeof(q))
        u256_store_le(out + 32 * k, &q)
        status[k] = <unsigned char>code


def get_amount_out_packed(amounts, reserves_in, reserves_out, fee_bps=30):
    """``get_amount_out`` over packed columns, one fee for every row: ``(outputs, status)``.

    Each column is a C-contiguous buffer (bytes, bytearray, memoryview, array.array('Q'),
    ...) of little-endian uint256, 32 bytes per value, the three of the same length.
    ``outputs`` holds 32 bytes per row (zero for a reverted row), ``status`` one byte per row:
    ``STATUS_OK`` or the revert's ``STATUS_*`` code (:mod:`arbstream.cyext.errors`).
    ValueError names a column that is misaligned, not contiguous or of another length;
    FeeError for ``fee_bps`` outside ``[0, 10000)``. Large batches run without the GIL (do not
    write to the input buffers meanwhile).
    """
    cdef Py_buffer ba, bi, bo
    cdef int held = 0
    cdef Py_ssize_t n
    cdef uint64_t g
    cdef bytes outputs, status
    cdef const unsigned char *pa
    cdef const unsigned char *pi
    cdef const unsigned char *po
    cdef unsigned char *pout
    cdef unsigned char *pst
    try:
        get_column(amounts, "amounts", &ba)
        held = 1
        get_column(reserves_in, "reserves_in", &bi)
        held = 2
        get_column(reserves_out, "reserves_out", &bo)
        held = 3
        n = ba.len // 32
        if bi.len != ba.len:
            raise ValueError(f"reserves_in: {bi.len // 32} values, but amounts has {n}")
        if bo.len != ba.len:
            raise ValueError(f"reserves_out: {bo.len // 32} values, but amounts has {n}")
        g = gamma_of(fee_bps)
        outputs = PyBytes_FromStringAndSize(NULL, 32 * n)
        status = PyBytes_FromStringAndSize(NULL, n)
        pa = <const unsigned char *>ba.buf
        pi = <const unsigned char *>bi.buf
        po = <const unsigned char *>bo.buf
        pout = <unsigned char *>PyBytes_AS_STRING(outputs)
        pst = <unsigned char *>PyBytes_AS_STRING(status)
        if n >= NOGIL_ROWS:
            with nogil:
                quote_packed(pa, pi, po, pout, pst, n, g)
        else:
            quote_packed(pa, pi, po, pout, pst, n, g)
        return outputs, status
    finally:
        if held >= 3:
            PyBuffer_Release(&bo)
        if held >= 2:
            PyBuffer_Release(&bi)
        if held >= 1:
            PyBuffer_Release(&ba)


def pack_u256(values):
    """Ints as one packed column: 32 little-endian bytes each (TypeError / UintRangeError)."""
    cdef u256 x
    cdef unsigned char *buf = NULL
    cdef unsigned char *grown
    cdef Py_ssize_t n = 0, cap = 0
    try:
        if type(values) is list or type(values) is tuple:
            cap = len(values)
            buf = <unsigned char *>malloc(32 * cap + 1)
            if buf == NULL:
                raise MemoryError()
        for v in values:
            if n == cap:  # an iterator (or a list that grew)
                cap = 2 * cap if cap >= 32 else 32
                grown = <unsigned char *>realloc(buf, 32 * cap)
                if grown == NULL:
                    raise MemoryError()
                buf = grown
            to_u256(v, &x, 256)
            u256_store_le(buf + 32 * n, &x)
            n += 1
        return PyBytes_FromStringAndSize(<char *>buf, 32 * n)
    finally:
        free(buf)


def unpack_u256(column):
    """The ints of a packed column (any C-contiguous buffer of little-endian uint256)."""
    cdef Py_buffer view
    cdef u256 x
    cdef Py_ssize_t k, n
    cdef list result
    cdef const unsigned char *p
    get_column(column, "column", &view)
    try:
        n = view.len // 32
        p = <const unsigned char *>view.buf
        result = PyList_New(n)
        for k in range(n):
            u256_load_le(&x, p + 32 * k)
            PyList_SET_ITEM_S(result, k, arb_u256_to_long_N(&x))
        return result
    finally:
        PyBuffer_Release(&view)


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


def _u256_div_by_u128(n, d):
    """Test hook: the C 256/128 division of the 112-bit quote, floor(n / d) for
    0 < d < 2**128 and n < d * 2**128 (the quotient fits 128 bits)."""
    cdef u256 un, ud, q
    to_u256(n, &un, 256)
    to_u256(d, &ud, 128)
    if u256_is_zero(&ud):
        raise ZeroDivisionError("division by zero")
    if (n >> 128) >= d:
        raise OverflowError("quotient does not fit in 128 bits")
    u256_set_u128(&q, u256_div_by_u128(un.w, u256_low128(&ud)))
    return arb_u256_to_long(&q)


def _dependent_quotes(amount_in, reserve_in, reserve_out, fee_bps, n):
    """Bench hook: the twin's ``_dependent_quotes``, n exact getAmountOut quotes in C, each
    waiting for the one before (the latency of a quote, as in a sizing search's chain)."""
    cdef u256 a, ri, ro
    cdef uint64_t g, d = D
    cdef u128 x = 0, a128, ri128, ro128
    cdef long long k, count
    g = _twin._dependent_check(amount_in, reserve_in, reserve_out, fee_bps, n)  # raises its errors
    to_u256(amount_in, &a, 111)
    to_u256(reserve_in, &ri, 111)
    to_u256(reserve_out, &ro, 111)
    v2_reduce_scale(&g, &d)
    a128 = u256_low128(&a)
    ri128 = u256_low128(&ri)
    ro128 = u256_low128(&ro)
    count = n
    with nogil:
        for k in range(count):
            x = v2_amount_out_112(x + a128, ri128, ro128, g, d)
    u256_set_u128(&a, x)
    return arb_u256_to_long(&a)
