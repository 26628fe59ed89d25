# Boundary code shared by every cyext/v3/_*.pyx (included, not imported): Python int <-> limbs
# conversions and the mapping of v3math.h error codes to the twins' exceptions.
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t

cdef extern from "v3math.h" nogil:
    ctypedef unsigned long long u128      # unsigned __int128 in C
    ctypedef long long i128               # __int128 in C
    ctypedef struct u256:
        uint64_t w[4]
    enum:
        V3_OK, V3_ERR_MULDIV, V3_ERR_MULDIV_UP, V3_ERR_T, V3_ERR_R, V3_ERR_AMOUNT0_SUB,
        V3_ERR_U160, V3_ERR_ADD, V3_ERR_QUOTIENT, V3_ERR_PRICE_ZERO, V3_ERR_LIQ_ZERO,
        V3_ERR_RATIO_ZERO, V3_ERR_DIV_ZERO, V3_ERR_INT256, V3_ERR_LS, V3_ERR_LA, V3_ERR_AS,
        V3_ERR_SPL, V3_ERR_INT_SUB, V3_ERR_INT_ADD, V3_ERR_FEE_GROWTH, V3_ERR_MULDIV_ZERO,
        V3_CONV_OK, V3_CONV_TYPE, V3_CONV_RANGE
    u128 u256_low128(const u256 *a)
    void u256_set_u128(u256 *r, u128 v)

cdef extern from "v3math.h":
    int v3_py_uint(object o, u256 *r, int bits) except -1
    int v3_py_int(object o, u256 *r, int bits) except -1
    int v3_py_small(object o, long long *v, long long lo, long long hi) except -1
    object v3_u256_to_py(const u256 *a)
    object v3_i256_to_py(const u256 *a)
    object v3_u128_to_py(u128 x)
    object v3_i128_to_py(i128 x)

from arbstream.cyext.errors import UintRangeError
from arbstream.cyext.v3 import errors as _E


cdef int _bad_arg(object v, int code, int bits, bint signed) except -1:
    if code == V3_CONV_TYPE:
        raise TypeError(f"expected int, got {type(v).__name__}")
    if signed:
        raise _E.IntRangeError(int(v), bits)
    raise UintRangeError(int(v), bits)


cdef inline int get_uint(object v, u256 *r, int bits) except -1:
    cdef int c = v3_py_uint(v, r, bits)
    if c != V3_CONV_OK:
        _bad_arg(v, c, bits, False)
    return 0


cdef inline int get_int(object v, u256 *r, int bits) except -1:
    cdef int c = v3_py_int(v, r, bits)
    if c != V3_CONV_OK:
        _bad_arg(v, c, bits, True)
    return 0


cdef inline u128 get_u128(object v) except? 0:
    cdef u256 t
    get_uint(v, &t, 128)
    return u256_low128(&t)


cdef inline i128 get_i128(object v) except? 0:
    cdef u256 t
    get_int(v, &t, 128)
    return <i128>u256_low128(&t)


cdef inline long long get_small_int(object v, int bits) except? -1:
    """int<bits> (bits < 64) as a C integer."""
    cdef long long x = 0
    cdef long long half = (<long long>1) << (bits - 1)
    cdef int c = v3_py_small(v, &x, -half, half - 1)
    if c != V3_CONV_OK:
        _bad_arg(v, c, bits, True)
    return x


cdef inline uint32_t get_fee_pips(object v) except? 0xFFFFFFFF:
    """uint24 fee in pips, below 1e6 (the twins' check_fee_pips)."""
    cdef u256 t
    get_uint(v, &t, 24)
    if t.w[0] >= 1000000:
        raise _E.FeePipsError(int(v))
    return <uint32_t>t.w[0]


cdef int raise_v3(int code) except -1:
    """The twin's exception for a V3_ERR_* code."""
    if code == V3_ERR_MULDIV or code == V3_ERR_MULDIV_UP or code == V3_ERR_FEE_GROWTH:
        raise _E.FullMathOverflow()
    if code == V3_ERR_MULDIV_ZERO:
        raise _E.FullMathDivByZero()
    if code == V3_ERR_T:
        raise _E.TickOutOfRange()
    if code == V3_ERR_R:
        raise _E.SqrtPriceOutOfRange()
    if code == V3_ERR_AMOUNT0_SUB or code == V3_ERR_QUOTIENT:
        raise _E.InsufficientReserves()
    if code == V3_ERR_U160 or code == V3_ERR_INT256:
        raise _E.SafeCastOverflow()
    if code == V3_ERR_ADD or code == V3_ERR_INT_SUB or code == V3_ERR_INT_ADD:
        raise _E.SafeMathOverflow()
    if code == V3_ERR_PRICE_ZERO or code == V3_ERR_RATIO_ZERO:
        raise _E.SqrtPriceZero()
    if code == V3_ERR_LIQ_ZERO:
        raise _E.LiquidityZero()
    if code == V3_ERR_DIV_ZERO:
        raise _E.DivisionByZero()
    if code == V3_ERR_LS:
        raise _E.LiquiditySub()
    if code == V3_ERR_LA:
        raise _E.LiquidityAdd()
    if code == V3_ERR_AS:
        raise _E.AmountSpecifiedZero()
    if code == V3_ERR_SPL:
        raise _E.PriceLimit()
    raise SystemError(f"unknown v3 kernel code {code}")
