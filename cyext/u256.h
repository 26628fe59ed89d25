/* 256-bit unsigned arithmetic (4 little-endian uint64 limbs) and the exact Uniswap-V2
 * getAmountOut / getAmountIn with SafeMath (DSMath) overflow semantics.
 * Header-only: included by cyext/_v2_math.pyx. Needs GCC/Clang (unsigned __int128). */
#ifndef ARBSTREAM_U256_H
#define ARBSTREAM_U256_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef unsigned __int128 u128;
typedef __int128 i128;
typedef struct { uint64_t w[4]; } u256;

/* result codes of the V2 kernels (mapped to exceptions by the .pyx) */
enum {
    V2_OK = 0,
    V2_INSUFFICIENT_INPUT = 1,
    V2_INSUFFICIENT_OUTPUT = 2,
    V2_INSUFFICIENT_LIQUIDITY = 3,
    V2_MUL_OVERFLOW = 4,
    V2_ADD_OVERFLOW = 5,
    V2_SUB_UNDERFLOW = 6,
    V2_DIV_ZERO = 7
};

#define V2_D 10000u

static inline void u256_set_u64(u256 *r, uint64_t v) { r->w[0] = v; r->w[1] = r->w[2] = r->w[3] = 0; }
static inline void u256_set_u128(u256 *r, u128 v) {
    r->w[0] = (uint64_t)v; r->w[1] = (uint64_t)(v >> 64); r->w[2] = r->w[3] = 0;
}
static inline int u256_is_zero(const u256 *a) { return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) == 0; }
static inline int u256_fits_u128(const u256 *a) { return (a->w[2] | a->w[3]) == 0; }
static inline u128 u256_low128(const u256 *a) { return ((u128)a->w[1] << 64) | a->w[0]; }

static inline int u256_cmp(const u256 *a, const u256 *b) {
    for (int i = 3; i >= 0; i--) {
        if (a->w[i] != b->w[i]) return a->w[i] < b->w[i] ? -1 : 1;
    }
    return 0;
}

/* r = a + b; returns the carry out (1 = overflow) */
static inline int u256_add(u256 *r, const u256 *a, const u256 *b) {
    uint64_t c = 0;
    for (int i = 0; i < 4; i++) {
        u128 s = (u128)a->w[i] + b->w[i] + c;
        r->w[i] = (uint64_t)s;
        c = (uint64_t)(s >> 64);
    }
    return (int)c;
}

/* r = a - b; returns the borrow out (1 = underflow) */
static inline int u256_sub(u256 *r, const u256 *a, const u256 *b) {
    uint64_t br = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t x = a->w[i], y = b->w[i];
        uint64_t d = x - y;
        uint64_t b1 = x < y;
        uint64_t d2 = d - br;
        uint64_t b2 = d < br;
        r->w[i] = d2;
        br = b1 | b2;
    }
    return (int)br;
}

/* r = a * b mod 2^256; returns 1 when the full product does not fit in 256 bits */
static inline int u256_mul(u256 *r, const u256 *a, const u256 *b) {
    uint64_t t[4] = {0, 0, 0, 0};
    int ovf = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t ai = a->w[i];
        if (ai == 0) continue;
        uint64_t carry = 0;
        for (int j = 0; j < 4; j++) {
            if (i + j < 4) {
                u128 p = (u128)ai * b->w[j] + t[i + j] + carry;
                t[i + j] = (uint64_t)p;
                carry = (uint64_t)(p >> 64);
            } else if (b->w[j]) {
                ovf = 1;
            }
        }
        if (carry) ovf = 1;
    }
    memcpy(r->w, t, sizeof t);
    return ovf;
}

static inline int u256_mul_u64(u256 *r, const u256 *a, uint64_t b) {
    uint64_t carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 p = (u128)a->w[i] * b + carry;
        r->w[i] = (uint64_t)p;
        carry = (uint64_t)(p >> 64);
    }
    return carry != 0;
}

static inline int u256_nlimbs(const u256 *a) {
    int n = 4;
    while (n > 0 && a->w[n - 1] == 0) n--;
    return n;
}

/* (hi:lo) / d, remainder in *r; requires hi < d (the quotient fits 64 bits) */
static inline uint64_t u256_divq(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *r) {
#if defined(__x86_64__)
    uint64_t q, rem;
    __asm__("divq %4" : "=a"(q), "=d"(rem) : "a"(lo), "d"(hi), "rm"(d) : "cc");
    *r = rem;
    return q;
#else
    u128 n = ((u128)hi << 64) | lo;
    *r = (uint64_t)(n % d);
    return (uint64_t)(n / d);
#endif
}

/* floor((2^128 - 1) / d) - 2^64 for a normalized d (top bit set): Moller-Granlund's inverse */
static inline uint64_t u256_reciprocal(uint64_t d) {
    uint64_t r;
    return u256_divq(~d, ~(uint64_t)0, d, &r);
}

/* (hi:lo) / d with the precomputed inverse v of the normalized d; requires hi < d.
 * Moller & Granlund, "Improved division by invariant integers" (2011), algorithm 4. */
static inline uint64_t u256_div128_64_preinv(uint64_t hi, uint64_t lo, uint64_t d, uint64_t v,
                                           uint64_t *rem) {
    u128 qq = (u128)v * hi + (((u128)hi << 64) | lo);
    uint64_t q1 = (uint64_t)(qq >> 64) + 1, q0 = (uint64_t)qq;
    uint64_t r = lo - q1 * d;
    if (r > q0) {
        q1--;
        r += d;
    }
    if (__builtin_expect(r >= d, 0)) {
        q1++;
        r -= d;
    }
    *rem = r;
    return q1;
}

/* Knuth algorithm D (Hacker's Delight divmnu64): q[0..m-n] = u / v, r[0..n-1] = u % v.
 * m >= n >= 1, v[n-1] != 0, m <= 8, n <= 4. r may be NULL. */
#define U256_AI static inline __attribute__((always_inline))
U256_AI void u256_divmnu_impl(uint64_t *q, uint64_t *r, const uint64_t *u, int m,
                          const uint64_t *v, int n) {
    if (m < n) __builtin_unreachable(); /* the contract above; lets GCC see un[0..n] is set */
    if (n == 1) {
        uint64_t rem = 0, d = v[0];
        if (m >= 3) { /* normalize and divide with one reciprocal */
            int sh = __builtin_clzll(d);
            uint64_t dn = d << sh, vi = u256_reciprocal(dn);
            rem = sh ? u[m - 1] >> (64 - sh) : 0;
            for (int i = m - 1; i >= 0; i--) {
                uint64_t x = sh ? (u[i] << sh) | (i ? u[i - 1] >> (64 - sh) : 0) : u[i];
                q[i] = u256_div128_64_preinv(rem, x, dn, vi, &rem);
            }
            if (r) r[0] = rem >> sh;
            return;
        }
        for (int i = m - 1; i >= 0; i--) q[i] = u256_divq(rem, u[i], d, &rem);
        if (r) r[0] = rem;
        return;
    }
    int s = __builtin_clzll(v[n - 1]);
    uint64_t vn[4], un[9];
    if (s) {
        for (int i = n - 1; i > 0; i--) vn[i] = (v[i] << s) | (v[i - 1] >> (64 - s));
        vn[0] = v[0] << s;
        un[m] = u[m - 1] >> (64 - s);
        for (int i = m - 1; i > 0; i--) un[i] = (u[i] << s) | (u[i - 1] >> (64 - s));
        un[0] = u[0] << s;
    } else {
        for (int i = 0; i < n; i++) vn[i] = v[i];
        for (int i = 0; i < m; i++) un[i] = u[i];
        un[m] = 0;
    }
    const uint64_t vtop = vn[n - 1], vsec = vn[n - 2];
    int j = m - n;
    /* Leading quotient digits that are 0: with (un[j+n] un[j+n-1]) < vtop the estimate qhat is
     * 0, and qhat >= the digit (Knuth), so the step would subtract nothing. */
    while (j >= 0 && un[j + n] == 0 && un[j + n - 1] < vtop) q[j--] = 0;
    uint64_t vinv = 0;
    int preinv = j >= 1;
    if (preinv) vinv = u256_reciprocal(vtop); /* 2+ quotient digits: one divq, then muls */
    for (; j >= 0; j--) {
        uint64_t qhat, rhat;
        int rovf = 0;
        if (un[j + n] >= vtop) { /* == : the estimate is B or more, clamp to B - 1 */
            qhat = ~(uint64_t)0;
            u128 t = (u128)un[j + n - 1] + vtop;
            rhat = (uint64_t)t;
            rovf = (int)(t >> 64);
        } else if (preinv) {
            qhat = u256_div128_64_preinv(un[j + n], un[j + n - 1], vtop, vinv, &rhat);
        } else {
            qhat = u256_divq(un[j + n], un[j + n - 1], vtop, &rhat);
        }
        while (!rovf && (u128)qhat * vsec > (((u128)rhat << 64) | un[j + n - 2])) {
            qhat--;
            u128 t = (u128)rhat + vtop;
            rhat = (uint64_t)t;
            rovf = (int)(t >> 64);
        }
        uint64_t carry = 0, borrow = 0;
        for (int i = 0; i < n; i++) {
            u128 p = (u128)qhat * vn[i] + carry;
            carry = (uint64_t)(p >> 64);
            uint64_t pl = (uint64_t)p, x = un[i + j];
            uint64_t d = x - pl, b1 = x < pl;
            uint64_t d2 = d - borrow, b2 = d < borrow;
            un[i + j] = d2;
            borrow = b1 + b2;
        }
        {
            uint64_t x = un[j + n];
            uint64_t d = x - carry, b1 = x < carry;
            uint64_t d2 = d - borrow, b2 = d < borrow;
            un[j + n] = d2;
            if (b1 | b2) { /* qhat one too large: add back */
                qhat--;
                uint64_t c = 0;
                for (int i = 0; i < n; i++) {
                    u128 sm = (u128)un[i + j] + vn[i] + c;
                    un[i + j] = (uint64_t)sm;
                    c = (uint64_t)(sm >> 64);
                }
                un[j + n] += c;
            }
        }
        q[j] = qhat;
    }
    if (r) {
        if (s) {
            for (int i = 0; i < n - 1; i++) r[i] = (un[i] >> s) | (un[i + 1] << (64 - s));
            r[n - 1] = un[n - 1] >> s;
        } else {
            for (int i = 0; i < n; i++) r[i] = un[i];
        }
    }
}

/* u256_divmnu_impl specialised on the divisor's limb count (constant n: unrolled inner loops) */
static inline void u256_divmnu(uint64_t *q, uint64_t *r, const uint64_t *u, int m,
                             const uint64_t *v, int n) {
    switch (n) {
    case 1: u256_divmnu_impl(q, r, u, m, v, 1); return;
    case 2: u256_divmnu_impl(q, r, u, m, v, 2); return;
    case 3: u256_divmnu_impl(q, r, u, m, v, 3); return;
    default: u256_divmnu_impl(q, r, u, m, v, 4); return;
    }
}

/* q = a / b, r = a % b (b != 0); q or r may be NULL */
static inline void u256_divmod(u256 *q, u256 *r, const u256 *a, const u256 *b) {
    int m = u256_nlimbs(a), n = u256_nlimbs(b);
    if (m < n || (m == n && u256_cmp(a, b) < 0)) {
        if (r) *r = *a;
        if (q) u256_set_u64(q, 0);
        return;
    }
    if (m <= 2) {
        u128 x = u256_low128(a), y = u256_low128(b);
        if (q) u256_set_u128(q, x / y);
        if (r) u256_set_u128(r, x % y);
        return;
    }
    uint64_t qq[4] = {0, 0, 0, 0}, rr[4] = {0, 0, 0, 0};
    u256_divmnu(qq, r ? rr : NULL, a->w, m, b->w, n);
    if (q) memcpy(q->w, qq, sizeof qq);
    if (r) memcpy(r->w, rr, sizeof rr);
}

/* floor((a2 a1 a0) / (b1 b0)) for b1 with its top bit set and (a2 a1) < (b1 b0); rem out.
 * qhat = min((a2 a1) / b1, 2^64 - 1) is at most 2 too large (Knuth, TAOCP 4.3.1 B) and, the
 * divisor having two digits, too large exactly when qhat b0 > (rhat a0) with
 * rhat = (a2 a1) - qhat b1; both corrections are computed without branches (data-dependent
 * branches here cost more than the arithmetic: they serialize consecutive quotes). */
static inline uint64_t u256_div3by2(uint64_t a2, uint64_t a1, uint64_t a0, uint64_t b1,
                                    uint64_t b0, u128 *rem) {
    uint64_t qhat, rhat, big;
    if (a2 >= b1) { /* a2 == b1: qhat = 2^64 - 1, rhat = a1 + b1, which may reach 2^64 */
        u128 t = (u128)a1 + b1;
        qhat = ~(uint64_t)0;
        rhat = (uint64_t)t;
        big = (uint64_t)(t >> 64);
    } else {
        qhat = u256_divq(a2, a1, b1, &rhat);
        big = 0;
    }
    /* rhat >= 2^64 means (rhat a0) >= 2^128 > qhat b0: never too large */
    u128 p = (u128)qhat * b0;
    uint64_t c1 = !big & (p > (((u128)rhat << 64) | a0));
    u128 t2 = (u128)rhat + b1; /* rhat of qhat - 1 */
    uint64_t c2 = c1 & !(uint64_t)(t2 >> 64) & ((p - b0) > (((u128)(uint64_t)t2 << 64) | a0));
    qhat -= c1 + c2;
    /* the remainder is < (b1 b0) < 2^128: exact modulo 2^128 */
    *rem = (((u128)a1 << 64) | a0) - (u128)qhat * (((u128)b1 << 64) | b0);
    return qhat;
}

/* floor(u / v) for u = (u3 u2 u1 u0), 0 < v < 2^128, (u3 u2) < v (the quotient fits 128 bits) */
static inline u128 u256_div_by_u128(const uint64_t u[4], u128 v) {
    uint64_t v1 = (uint64_t)(v >> 64), v0 = (uint64_t)v, r;
    if (v1 == 0) {
        uint64_t q1 = u256_divq(u[2], u[1], v0, &r);
        uint64_t q0 = u256_divq(r, u[0], v0, &r);
        return ((u128)q1 << 64) | q0;
    }
    int s = __builtin_clzll(v1);
    uint64_t b1 = v1, b0 = v0, n3 = u[3], n2 = u[2], n1 = u[1], n0 = u[0];
    if (s) {
        b1 = (v1 << s) | (v0 >> (64 - s)); b0 = v0 << s;
        n3 = (u[3] << s) | (u[2] >> (64 - s)); n2 = (u[2] << s) | (u[1] >> (64 - s));
        n1 = (u[1] << s) | (u[0] >> (64 - s)); n0 = u[0] << s;
    }
    u128 rem;
    uint64_t q1 = u256_div3by2(n3, n2, n1, b1, b0, &rem);
    uint64_t q0 = u256_div3by2((uint64_t)(rem >> 64), (uint64_t)rem, n0, b1, b0, &rem);
    return ((u128)q1 << 64) | q0;
}

/* Fees that are whole tenths of a percent use the contracts' own 1000 scale (Uniswap and
 * Sushi hard-code 997/1000), others the 10000 scale (PancakeSwap's 9975/10000): the floors
 * are the same either way, but SafeMath's overflow thresholds are those of the contract. */
static inline void v2_reduce_scale(uint64_t *gamma, uint64_t *d) {
    if (*gamma % 10 == 0) {
        *gamma /= 10;
        *d = 1000;
    }
}

/* getAmountOut with the fee on the contract's scale (gamma / d, see v2_reduce_scale) when the
 * amount and both reserves are < 2^112: no SafeMath revert is possible
 * (a * gamma < 2^126, the numerator < 2^238, the denominator < 2^127), one 256/128 division. */
static inline u128 v2_amount_out_112(u128 a, u128 ri, u128 ro, uint64_t gamma, uint64_t d) {
    u128 wf = a * gamma, den = ri * d + wf;
    /* num = wf * ro as 4 limbs */
    uint64_t w0 = (uint64_t)wf, w1 = (uint64_t)(wf >> 64), r0 = (uint64_t)ro, r1 = (uint64_t)(ro >> 64);
    u128 p00 = (u128)w0 * r0, p01 = (u128)w0 * r1, p10 = (u128)w1 * r0, p11 = (u128)w1 * r1;
    u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
    uint64_t u[4];
    u[0] = (uint64_t)p00;
    u[1] = (uint64_t)mid;
    u128 hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    u[2] = (uint64_t)hi;
    u[3] = (uint64_t)(hi >> 64);
    return u256_div_by_u128(u, den);
}

static inline int u256_fits_112(const u256 *a) { return (a->w[3] | a->w[2] | (a->w[1] >> 48)) == 0; }

/* UniswapV2Library.getAmountOut with gamma = 10000 - fee_bps (SafeMath order of checks). */
static inline int v2_amount_out(u256 *out, const u256 *ain, const u256 *rin, const u256 *rout,
                                uint64_t gamma) {
    if (u256_is_zero(ain)) return V2_INSUFFICIENT_INPUT;
    if (u256_is_zero(rin) || u256_is_zero(rout)) return V2_INSUFFICIENT_LIQUIDITY;
    uint64_t d = V2_D;
    v2_reduce_scale(&gamma, &d);
    if (u256_fits_112(ain) && u256_fits_112(rin) && u256_fits_112(rout)) {
        u256_set_u128(out, v2_amount_out_112(u256_low128(ain), u256_low128(rin), u256_low128(rout), gamma, d));
        return V2_OK;
    }
    /* every intermediate fits in 128 bits */
    if (u256_fits_u128(ain) && u256_fits_u128(rin) && u256_fits_u128(rout)) {
        u128 a = u256_low128(ain), ri = u256_low128(rin), ro = u256_low128(rout);
        u128 wf, num, rd, den;
        if (!__builtin_mul_overflow(a, (u128)gamma, &wf) && !__builtin_mul_overflow(wf, ro, &num) &&
            !__builtin_mul_overflow(ri, (u128)d, &rd) && !__builtin_add_overflow(rd, wf, &den)) {
            u256_set_u128(out, num / den);
            return V2_OK;
        }
    }
    u256 wf, num, rd, den;
    if (u256_mul_u64(&wf, ain, gamma)) return V2_MUL_OVERFLOW;
    if (u256_mul(&num, &wf, rout)) return V2_MUL_OVERFLOW;
    if (u256_mul_u64(&rd, rin, d)) return V2_MUL_OVERFLOW;
    if (u256_add(&den, &rd, &wf)) return V2_ADD_OVERFLOW;
    u256_divmod(out, NULL, &num, &den);
    return V2_OK;
}

/* UniswapV2Library.getAmountIn with gamma = 10000 - fee_bps. */
static inline int v2_amount_in(u256 *out, const u256 *aout, const u256 *rin, const u256 *rout,
                               uint64_t gamma) {
    if (u256_is_zero(aout)) return V2_INSUFFICIENT_OUTPUT;
    if (u256_is_zero(rin) || u256_is_zero(rout)) return V2_INSUFFICIENT_LIQUIDITY;
    uint64_t d = V2_D;
    v2_reduce_scale(&gamma, &d);
    u256 t, num, diff, den, q, one;
    if (u256_mul(&t, rin, aout)) return V2_MUL_OVERFLOW;
    if (u256_mul_u64(&num, &t, d)) return V2_MUL_OVERFLOW;
    if (u256_sub(&diff, rout, aout)) return V2_SUB_UNDERFLOW;
    if (u256_mul_u64(&den, &diff, gamma)) return V2_MUL_OVERFLOW;
    if (u256_is_zero(&den)) return V2_DIV_ZERO;
    u256_divmod(&q, NULL, &num, &den);
    u256_set_u64(&one, 1);
    if (u256_add(out, &q, &one)) return V2_ADD_OVERFLOW;
    return V2_OK;
}

/* Python int <-> u256. The caller has range-checked the value (an int, 0 <= o < 2^256).
 *
 * Fast path (ARB_FAST_LONG): CPython 3.11-3.13 with 30-bit digits, reading and writing the
 * digits of the int object directly (3.11: ob_size / ob_digit; 3.12 and 3.13:
 * long_value.lv_tag / long_value.ob_digit). Any other version or digit size uses the portable
 * byte-array code, which is also the fallback for a value the fast path does not take
 * (negative or >= 2^256: it raises OverflowError). -DARB_NO_FAST_LONG forces the portable code
 * (to test it). */
#if PY_VERSION_HEX >= 0x030D0000
#define ARB_LONG_AS_BYTES(o, buf, n) \
    _PyLong_AsByteArray((PyLongObject *)(o), (unsigned char *)(buf), (n), 1, 0, 1)
#else
#define ARB_LONG_AS_BYTES(o, buf, n) \
    _PyLong_AsByteArray((PyLongObject *)(o), (unsigned char *)(buf), (n), 1, 0)
#endif

#if defined(PyLong_SHIFT) && PyLong_SHIFT == 30 && PY_VERSION_HEX >= 0x030B0000 && \
    PY_VERSION_HEX < 0x030E0000 && !defined(ARB_NO_FAST_LONG)
#define ARB_FAST_LONG 1
#if PY_VERSION_HEX >= 0x030C0000
/* lv_tag = ndigits << 3 | sign (0 positive, 1 zero, 2 negative) */
#define ARB_LONG_DIGITS(o) (((PyLongObject *)(o))->long_value.ob_digit)
#define ARB_LONG_NEGATIVE(o) ((((PyLongObject *)(o))->long_value.lv_tag & 3) == 2)
#define ARB_LONG_NDIGITS(o) ((Py_ssize_t)(((PyLongObject *)(o))->long_value.lv_tag >> 3))
/* make a fresh int of nd >= 1 digits (from _PyLong_New) negative */
#define ARB_LONG_SET_NEGATIVE(o, nd) \
    (((PyLongObject *)(o))->long_value.lv_tag = ((uintptr_t)(nd) << 3) | 2)
#else
/* ob_size = sign * ndigits */
#define ARB_LONG_DIGITS(o) (((PyLongObject *)(o))->ob_digit)
#define ARB_LONG_NEGATIVE(o) (Py_SIZE(o) < 0)
#define ARB_LONG_NDIGITS(o) (Py_SIZE(o) < 0 ? -Py_SIZE(o) : Py_SIZE(o))
#define ARB_LONG_SET_NEGATIVE(o, nd) Py_SET_SIZE((o), -(Py_ssize_t)(nd))
#endif
#endif

static inline int arb_long_to_u256_bytes(PyObject *o, u256 *r) {
    unsigned char buf[32];
    if (ARB_LONG_AS_BYTES(o, buf, 32) < 0) return -1;
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0;
        for (int k = 7; k >= 0; k--) v = (v << 8) | buf[8 * i + k];
        r->w[i] = v;
    }
    return 0;
}

static inline int arb_long_to_u256(PyObject *o, u256 *r) {
#ifdef ARB_FAST_LONG
    Py_ssize_t n = ARB_LONG_NDIGITS(o);
    const digit *d = ARB_LONG_DIGITS(o);
    /* 9 digits hold 270 bits: the top one must be < 2^16 */
    if (!ARB_LONG_NEGATIVE(o) && (n < 9 || (n == 9 && (d[8] >> 16) == 0))) {
        /* digit i holds bits [30 i, 30 i + 30): shift it into a 128-bit window */
        u128 acc = 0;
        int nb = 0, k = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            acc |= (u128)d[i] << nb;
            nb += 30;
            if (nb >= 64) {
                r->w[k++] = (uint64_t)acc;
                acc >>= 64;
                nb -= 64;
            }
        }
        for (; k < 4; k++) {
            r->w[k] = (uint64_t)acc;
            acc = 0;
        }
        return 0;
    }
#endif
    return arb_long_to_u256_bytes(o, r);
}

/* (-1)^neg * a as a new Python int, for a >= 2^63 (3 or more 30-bit digits: never one of
 * CPython's cached small ints); shared by the V2 and V3 kernels. */
static inline PyObject *arb_u256_to_long_big(const u256 *a, int neg) {
#ifdef ARB_FAST_LONG
    int top = a->w[3] ? 3 : a->w[2] ? 2 : a->w[1] ? 1 : 0;
    int bits = 64 * top + 64 - __builtin_clzll(a->w[top]);
    Py_ssize_t nd = (bits + PyLong_SHIFT - 1) / PyLong_SHIFT;
    PyLongObject *v = _PyLong_New(nd);
    if (!v) return NULL;
    digit *dg = ARB_LONG_DIGITS(v);
    for (Py_ssize_t i = 0; i < nd; i++) {
        int bit = PyLong_SHIFT * (int)i, limb = bit >> 6, off = bit & 63;
        uint64_t x = a->w[limb] >> off;
        if (off > 64 - PyLong_SHIFT && limb < 3) x |= a->w[limb + 1] << (64 - off);
        dg[i] = (digit)(x & PyLong_MASK);
    }
    if (neg) ARB_LONG_SET_NEGATIVE(v, nd);
    return (PyObject *)v;
#else
    unsigned char buf[32];
    for (int i = 0; i < 4; i++) {
        uint64_t v = a->w[i];
        for (int k = 0; k < 8; k++) { buf[8 * i + k] = (unsigned char)(v & 0xff); v >>= 8; }
    }
    PyObject *m = _PyLong_FromByteArray(buf, 32, 1, 0);
    if (!m || !neg) return m;
    PyObject *r = PyNumber_Negative(m);
    Py_DECREF(m);
    return r;
#endif
}

static inline PyObject *arb_u256_to_long(const u256 *a) {
    if ((a->w[1] | a->w[2] | a->w[3]) == 0) return PyLong_FromUnsignedLongLong(a->w[0]);
    return arb_u256_to_long_big(a, 0);
}

/* A Python object that must be a uint<bits> (bits <= 256), range-checked and converted:
 * ARB_UINT_OK, ARB_UINT_TYPE (not an int) or ARB_UINT_RANGE (negative or >= 2^bits), -1 with
 * an exception set on an internal error. No exception is set for TYPE / RANGE: the caller
 * raises its own (the twin's TypeError / UintRangeError). */
enum { ARB_UINT_OK = 0, ARB_UINT_TYPE = 1, ARB_UINT_RANGE = 2 };

static inline int arb_py_uint(PyObject *o, u256 *r, int bits) {
    if (!PyLong_Check(o)) return ARB_UINT_TYPE;
#ifdef ARB_FAST_LONG
    if (ARB_LONG_NEGATIVE(o)) return ARB_UINT_RANGE;
    Py_ssize_t n = ARB_LONG_NDIGITS(o);
    if (n <= 2) { /* < 2^60 */
        const digit *d = ARB_LONG_DIGITS(o);
        uint64_t v = n == 0 ? 0 : n == 1 ? d[0] : ((uint64_t)d[1] << 30) | d[0];
        if (bits < 64 && (v >> bits)) return ARB_UINT_RANGE;
        u256_set_u64(r, v);
        return ARB_UINT_OK;
    }
    if (n > 9) return ARB_UINT_RANGE;
    /* the top digit of a normalized int is non-zero */
    int nbits = 30 * (int)(n - 1) + 32 - __builtin_clz((unsigned int)ARB_LONG_DIGITS(o)[n - 1]);
    if (nbits > bits) return ARB_UINT_RANGE;
#else
    if (_PyLong_Sign(o) < 0) return ARB_UINT_RANGE;
    size_t nbits = _PyLong_NumBits(o);
    if (nbits == (size_t)-1 && PyErr_Occurred()) return -1;
    if (nbits > (size_t)bits) return ARB_UINT_RANGE;
#endif
    return arb_long_to_u256(o, r) < 0 ? -1 : ARB_UINT_OK;
}

/* little-endian 32-byte uint256 <-> limbs (the packed columns) */
static inline void u256_load_le(u256 *r, const unsigned char *p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(r->w, p, 32);
#else
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0;
        for (int k = 7; k >= 0; k--) v = (v << 8) | p[8 * i + k];
        r->w[i] = v;
    }
#endif
}

static inline void u256_store_le(unsigned char *p, const u256 *a) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, a->w, 32);
#else
    for (int i = 0; i < 4; i++) {
        uint64_t v = a->w[i];
        for (int k = 0; k < 8; k++) { p[8 * i + k] = (unsigned char)(v & 0xff); v >>= 8; }
    }
#endif
}

#endif /* ARBSTREAM_U256_H */
