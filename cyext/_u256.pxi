# Declarations of cyext/u256.h (256-bit limbs, the V2 formulas, Python int conversion) and
# the CPython int helpers, shared by every cyext/_*.pyx that computes with u256 (included).
cdef extern from "Python.h":
    bint PyLong_Check(object o)
    bint PyBool_Check(object o)
    int _PyLong_Sign(object o)
    size_t _PyLong_NumBits(object o)

cdef extern from "u256.h" nogil:
    ctypedef unsigned long long u128      # unsigned __int128 in C
    ctypedef long long i128               # __int128 in C
    ctypedef struct u256:
        uint64_t w[4]
    enum:
        V2_OK, V2_INSUFFICIENT_INPUT, V2_INSUFFICIENT_OUTPUT, V2_INSUFFICIENT_LIQUIDITY,
        V2_MUL_OVERFLOW, V2_ADD_OVERFLOW, V2_SUB_UNDERFLOW, V2_DIV_ZERO
    void u256_set_u64(u256 *r, uint64_t v)
    void u256_set_u128(u256 *r, u128 v)
    bint u256_is_zero(const u256 *a)
    bint u256_fits_u128(const u256 *a)
    u128 u256_low128(const u256 *a)
    int u256_cmp(const u256 *a, const u256 *b)
    bint u256_add(u256 *r, const u256 *a, const u256 *b)
    bint u256_sub(u256 *r, const u256 *a, const u256 *b)
    bint u256_mul(u256 *r, const u256 *a, const u256 *b)
    bint u256_mul_u64(u256 *r, const u256 *a, uint64_t b)
    void u256_divmod(u256 *q, u256 *r, const u256 *u, const u256 *v)
    void v2_reduce_scale(uint64_t *gamma, uint64_t *d)
    u128 v2_amount_out_112(u128 a, u128 ri, u128 ro, uint64_t gamma, uint64_t d)
    bint u256_fits_112(const u256 *a)
    u128 u256_div_by_u128(const uint64_t *u, u128 v)
    int v2_amount_out(u256 *out, const u256 *ain, const u256 *rin, const u256 *rout,
                      uint64_t gamma)
    int v2_amount_in(u256 *out, const u256 *aout, const u256 *rin, const u256 *rout,
                     uint64_t gamma)
    int arb_long_to_u256(object o, u256 *r) except -1
    object arb_u256_to_long(const u256 *a)
    enum:
        ARB_UINT_OK, ARB_UINT_TYPE, ARB_UINT_RANGE
    int arb_py_uint(object o, u256 *r, int bits) except? -1
    void u256_load_le(u256 *r, const unsigned char *p)
    void u256_store_le(unsigned char *p, const u256 *a)
