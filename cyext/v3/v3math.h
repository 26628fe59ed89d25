/* Exact Uniswap V3 math in C: FullMath (512-bit mulDiv), TickMath, SqrtPriceMath, SwapMath,
 * LiquidityMath and the UniswapV3Pool.swap loop (TickBitmap.nextInitializedTickWithinOneWord
 * stepping over a sorted array of initialized ticks).
 *
 * Bit-exact with the Solidity 0.7 contracts, including their unchecked wrap-arounds (uint24
 * `1e6 - feePips`, int256 `amountSpecifiedRemaining -= ...`, int128 `-liquidityNet`, EVM
 * `div(x, 0) == 0` in UnsafeMath) and their checked ones (LowGasSafeMath, SafeCast).
 * Every function returns V3_OK or the V3_ERR_* code of the `require` that reverted; the
 * Cython wrappers map codes to exceptions. Nothing here touches the Python API: all of it
 * runs without the GIL.
 *
 * Numbers: uint256 / int256 are u256 (4 little-endian uint64 limbs, int256 in two's
 * complement), uint128 is u128, int128 is i128, ticks are int32_t.
 * Header-only; needs GCC/Clang (unsigned __int128). Built on ../u256.h. */
#ifndef ARBSTREAM_V3MATH_H
#define ARBSTREAM_V3MATH_H

#include "u256.h"

enum {
    V3_OK = 0,
    V3_ERR_MULDIV = 1,        /* FullMath.mulDiv: require(denominator > 0 / > prod1) */
    V3_ERR_MULDIV_UP = 2,     /* FullMath.mulDivRoundingUp: require(result < type(uint256).max) */
    V3_ERR_T = 3,             /* TickMath.getSqrtRatioAtTick: 'T' */
    V3_ERR_R = 4,             /* TickMath.getTickAtSqrtRatio: 'R' */
    V3_ERR_AMOUNT0_SUB = 5,   /* SqrtPriceMath amount0, remove: product overflow or numerator1 <= product */
    V3_ERR_U160 = 6,          /* SafeCast.toUint160 */
    V3_ERR_ADD = 7,           /* LowGasSafeMath.add(uint256) */
    V3_ERR_QUOTIENT = 8,      /* SqrtPriceMath amount1, remove: require(sqrtPX96 > quotient) */
    V3_ERR_PRICE_ZERO = 9,    /* getNextSqrtPriceFrom{Input,Output}: require(sqrtPX96 > 0) */
    V3_ERR_LIQ_ZERO = 10,     /* getNextSqrtPriceFrom{Input,Output}: require(liquidity > 0) */
    V3_ERR_RATIO_ZERO = 11,   /* getAmount0Delta: require(sqrtRatioAX96 > 0) */
    V3_ERR_DIV_ZERO = 12,     /* Solidity `/` by zero (0.7: invalid opcode) */
    V3_ERR_INT256 = 13,       /* SafeCast.toInt256 */
    V3_ERR_LS = 14,           /* LiquidityMath.addDelta: 'LS' */
    V3_ERR_LA = 15,           /* LiquidityMath.addDelta: 'LA' */
    V3_ERR_AS = 16,           /* swap: 'AS' */
    V3_ERR_SPL = 17,          /* swap: 'SPL' */
    V3_ERR_INT_SUB = 18,      /* LowGasSafeMath.sub(int256) */
    V3_ERR_INT_ADD = 19,      /* LowGasSafeMath.add(int256) */
    V3_ERR_FEE_GROWTH = 20,   /* swap: FullMath.mulDiv(feeAmount, Q128, liquidity) overflow */
    V3_ERR_MULDIV_ZERO = 21   /* FullMath.mulDiv: denominator == 0 */
};

#define V3_MIN_TICK (-887272)
#define V3_MAX_TICK 887272

static const u256 V3_MIN_SQRT_RATIO = {{0x1000276a3ULL, 0, 0, 0}};
static const u256 V3_MAX_SQRT_RATIO = {{0x5d951d5263988d26ULL, 0xefd1fc6a50648849ULL,
                                        0xfffd8963ULL, 0}};

/* ------------------------------------------------------------------ limb helpers */

static inline int v3_nlimbs(const uint64_t *a, int n) {
    while (n > 0 && a[n - 1] == 0) n--;
    return n;
}

static inline int v3_fits_u160(const u256 *a) { return a->w[3] == 0 && (a->w[2] >> 32) == 0; }
static inline int v3_is_neg(const u256 *a) { return (int)(a->w[3] >> 63); }
static inline int v3_eq(const u256 *a, const u256 *b) {
    return ((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) | (a->w[2] ^ b->w[2]) |
            (a->w[3] ^ b->w[3])) == 0;
}
static inline int v3_is_max(const u256 *a) {
    return (a->w[0] & a->w[1] & a->w[2] & a->w[3]) == ~(uint64_t)0;
}

/* r = -a mod 2^256 */
static inline void v3_neg(u256 *r, const u256 *a) {
    uint64_t c = 1;
    for (int i = 0; i < 4; i++) {
        uint64_t x = ~a->w[i] + c;
        c = c && x == 0;
        r->w[i] = x;
    }
}

/* r = a + 1, returns carry */
static inline int v3_inc(u256 *r) {
    for (int i = 0; i < 4; i++)
        if (++r->w[i] != 0) return 0;
    return 1;
}

/* signed (two's complement) comparison a < b */
static inline int v3_slt(const u256 *a, const u256 *b) {
    int na = v3_is_neg(a), nb = v3_is_neg(b);
    if (na != nb) return na;
    return u256_cmp(a, b) < 0;
}

/* r = a << 96, a < 2^160 */
static inline void v3_shl96(u256 *r, const u256 *a) {
    uint64_t w0 = a->w[0], w1 = a->w[1], w2 = a->w[2];
    r->w[0] = 0;
    r->w[1] = w0 << 32;
    r->w[2] = (w0 >> 32) | (w1 << 32);
    r->w[3] = (w1 >> 32) | (w2 << 32);
}

/* r = liquidity << 96 (< 2^224) */
static inline void v3_u128_shl96(u256 *r, u128 l) {
    uint64_t lo = (uint64_t)l, hi = (uint64_t)(l >> 64);
    r->w[0] = 0;
    r->w[1] = lo << 32;
    r->w[2] = (lo >> 32) | (hi << 32);
    r->w[3] = hi >> 32;
}

/* UnsafeMath.divRoundingUp: EVM div/mod by zero give 0 */
static inline void v3_div_rounding_up(u256 *z, const u256 *x, const u256 *y) {
    if (u256_is_zero(y)) {
        u256_set_u64(z, 0);
        return;
    }
    u256 r;
    u256_divmod(z, &r, x, y);
    if (!u256_is_zero(&r)) v3_inc(z); /* cannot wrap: y >= 2 here */
}

/* ------------------------------------------------------------------ FullMath */

/* high 128 bits of a * b */
static inline u128 v3_mulhi128(u128 a, u128 b) {
    uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64), b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
    u128 p00 = (u128)a0 * b0, p01 = (u128)a0 * b1, p10 = (u128)a1 * b0, p11 = (u128)a1 * b1;
    u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
    return p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
}

/* full 256-bit a * b as (hi, lo) */
static inline u128 v3_mul128(u128 a, u128 b, u128 *lo) {
    uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64), b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
    u128 p00 = (u128)a0 * b0, p01 = (u128)a0 * b1, p10 = (u128)a1 * b0, p11 = (u128)a1 * b1;
    u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
    *lo = (mid << 64) | (uint64_t)p00;
    return p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
}


/* p[0..7] = a * b (full 512-bit product) */
U256_AI void v3_mul_full_impl(uint64_t p[8], const u256 *a, const u256 *b, int na, int nb) {
    for (int i = 0; i < 8; i++) p[i] = 0;
    for (int i = 0; i < na; i++) {
        uint64_t carry = 0, ai = a->w[i];
        for (int j = 0; j < nb; j++) {
            u128 t = (u128)ai * b->w[j] + p[i + j] + carry;
            p[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        p[i + nb] = carry;
    }
}

static inline void v3_mul_full(uint64_t p[8], const u256 *a, const u256 *b) {
    int na = u256_nlimbs(a), nb = u256_nlimbs(b);
    switch (nb) {
    case 0: v3_mul_full_impl(p, a, b, 0, 0); return;
    case 1: v3_mul_full_impl(p, a, b, na, 1); return;
    case 2: v3_mul_full_impl(p, a, b, na, 2); return;
    case 3: v3_mul_full_impl(p, a, b, na, 3); return;
    default: v3_mul_full_impl(p, a, b, na, 4); return;
    }
}

/* floor(a * b / d) and whether a * b % d != 0. V3_ERR_MULDIV when d == 0 or the quotient
 * does not fit in 256 bits (exactly FullMath.mulDiv's two requires). */
static inline int v3_muldiv_core(u256 *q, int *inexact, const u256 *a, const u256 *b,
                                 const u256 *d) {
    int nd = u256_nlimbs(d);
    if (nd == 0) return V3_ERR_MULDIV_ZERO;
    uint64_t p[8];
    if (u256_fits_u128(a) && u256_fits_u128(b)) {
        u128 x = u256_low128(a), y = u256_low128(b), lo, hi;
        if (((x | y) >> 64) == 0) {
            lo = x * y;
            hi = 0;
        } else {
            hi = v3_mul128(x, y, &lo);
        }
        if (hi == 0 && nd == 1) { /* 128 / 64 bits: one or two hardware divisions */
            uint64_t z = d->w[0], h = (uint64_t)(lo >> 64), rl, qh = 0;
            if (h >= z) {
                qh = h / z;
                h %= z;
            }
            uint64_t ql = u256_divq(h, (uint64_t)lo, z, &rl);
            u256_set_u128(q, ((u128)qh << 64) | ql);
            *inexact = rl != 0;
            return V3_OK;
        }
        if (hi == 0 && nd <= 2) {
            u128 z = u256_low128(d);
            u256_set_u128(q, lo / z);
            *inexact = (lo % z) != 0;
            return V3_OK;
        }
        p[0] = (uint64_t)lo; p[1] = (uint64_t)(lo >> 64);
        p[2] = (uint64_t)hi; p[3] = (uint64_t)(hi >> 64);
        p[4] = p[5] = p[6] = p[7] = 0;
    } else {
        v3_mul_full(p, a, b);
    }
    int m = v3_nlimbs(p, 8);
    if (m > 4) { /* prod1 = p[4..7] must be < d */
        for (int i = 3; i >= 0; i--) {
            if (p[4 + i] != d->w[i]) {
                if (p[4 + i] > d->w[i]) return V3_ERR_MULDIV;
                break;
            }
            if (i == 0) return V3_ERR_MULDIV; /* equal */
        }
    }
    if (m < nd) {
        u256_set_u64(q, 0);
        *inexact = m > 0;
        return V3_OK;
    }
    if (m <= 2) {
        u128 x = ((u128)p[1] << 64) | p[0], z = u256_low128(d);
        u256_set_u128(q, x / z);
        *inexact = (x % z) != 0;
        return V3_OK;
    }
    uint64_t qq[8] = {0, 0, 0, 0, 0, 0, 0, 0}, rr[4] = {0, 0, 0, 0};
    u256_divmnu(qq, rr, p, m, d->w, nd);
    memcpy(q->w, qq, 4 * sizeof(uint64_t));
    *inexact = (rr[0] | rr[1] | rr[2] | rr[3]) != 0;
    return V3_OK;
}

static inline int v3_mul_div(u256 *r, const u256 *a, const u256 *b, const u256 *d) {
    int inexact;
    return v3_muldiv_core(r, &inexact, a, b, d);
}

static inline int v3_mul_div_rounding_up(u256 *r, const u256 *a, const u256 *b, const u256 *d) {
    int inexact;
    int e = v3_muldiv_core(r, &inexact, a, b, d);
    if (e) return e;
    if (inexact) {
        if (v3_is_max(r)) return V3_ERR_MULDIV_UP;
        v3_inc(r);
    }
    return V3_OK;
}

/* floor(p / d) for p < 2^128 and 0 < d < 2^32, remainder in *r: long division in 32-bit digits
 * below the high limb, so that with a constant d (inlined) every division is a multiplication */
U256_AI u128 v3_div_u128_small(u128 p, uint64_t d, uint64_t *r) {
    uint64_t h = (uint64_t)(p >> 64), l = (uint64_t)p;
    if (h == 0) {
        uint64_t q = l / d;
        *r = l - q * d;
        return q;
    }
    uint64_t qh = h / d, rh = h - qh * d;
    uint64_t x1 = (rh << 32) | (l >> 32), q1 = x1 / d, r1 = x1 - q1 * d;
    uint64_t x0 = (r1 << 32) | (l & 0xffffffffULL), q0 = x0 / d;
    *r = x0 - q0 * d;
    return ((u128)qh << 64) | ((u128)q1 << 32) | q0;
}

/* SwapMath's fee: mulDivRoundingUp(amountIn, feePips, 1e6 - feePips) for fee < 1e6; the usual
 * fee tiers divide by constants */
static inline int v3_fee_amount(u256 *r, const u256 *amount_in, uint32_t fee_pips) {
    if (fee_pips < 1000000u && u256_fits_u128(amount_in)) {
        u128 lo, hi = v3_mul128(u256_low128(amount_in), fee_pips, &lo);
        if (hi == 0) {
            uint64_t rem;
            u128 q;
            switch (fee_pips) {
            case 100: q = v3_div_u128_small(lo, 999900u, &rem); break;
            case 500: q = v3_div_u128_small(lo, 999500u, &rem); break;
            case 3000: q = v3_div_u128_small(lo, 997000u, &rem); break;
            case 10000: q = v3_div_u128_small(lo, 990000u, &rem); break;
            default: q = v3_div_u128_small(lo, 1000000u - fee_pips, &rem); break;
            }
            u256_set_u128(r, q + (rem != 0)); /* rem != 0 needs d >= 2: q < 2^127, no wrap */
            return V3_OK;
        }
    }
    u256 fee, one_minus;
    u256_set_u64(&fee, fee_pips);
    u256_set_u64(&one_minus, (uint64_t)((1000000u - fee_pips) & 0xffffffu)); /* uint24 wrap */
    return v3_mul_div_rounding_up(r, amount_in, &fee, &one_minus);
}

/* ------------------------------------------------------------------ TickMath */

static const uint64_t V3_TICK_C[20][2] = { /* {hi, lo} of the Q128 factors, bit 0..19 */
    {0xfffcb933bd6fad37ULL, 0xaa2d162d1a594001ULL},
    {0xfff97272373d4132ULL, 0x59a46990580e213aULL},
    {0xfff2e50f5f656932ULL, 0xef12357cf3c7fdccULL},
    {0xffe5caca7e10e4e6ULL, 0x1c3624eaa0941cd0ULL},
    {0xffcb9843d60f6159ULL, 0xc9db58835c926644ULL},
    {0xff973b41fa98c081ULL, 0x472e6896dfb254c0ULL},
    {0xff2ea16466c96a38ULL, 0x43ec78b326b52861ULL},
    {0xfe5dee046a99a2a8ULL, 0x11c461f1969c3053ULL},
    {0xfcbe86c7900a88aeULL, 0xdcffc83b479aa3a4ULL},
    {0xf987a7253ac41317ULL, 0x6f2b074cf7815e54ULL},
    {0xf3392b0822b70005ULL, 0x940c7a398e4b70f3ULL},
    {0xe7159475a2c29b74ULL, 0x43b29c7fa6e889d9ULL},
    {0xd097f3bdfd2022b8ULL, 0x845ad8f792aa5825ULL},
    {0xa9f746462d870fdfULL, 0x8a65dc1f90e061e5ULL},
    {0x70d869a156d2a1b8ULL, 0x90bb3df62baf32f7ULL},
    {0x31be135f97d08fd9ULL, 0x81231505542fcfa6ULL},
    {0x09aa508b5b7a84e1ULL, 0xc677de54f3e99bc9ULL},
    {0x005d6af8dedb8119ULL, 0x6699c329225ee604ULL},
    {0x00002216e584f5faULL, 0x1ea926041bedfe98ULL},
    {0x00000000048a1703ULL, 0x91f7dc42444e8fa2ULL},
};

/* TickMath.getSqrtRatioAtTick; tick is the int24 value */
static inline int v3_sqrt_ratio_at_tick(int32_t tick, u256 *out) {
    uint32_t abs_tick = tick < 0 ? (uint32_t)(-(int64_t)tick) : (uint32_t)tick;
    if (abs_tick > (uint32_t)V3_MAX_TICK) return V3_ERR_T;
    u128 ratio;
    int one = 0; /* ratio == 2^128 exactly (does not fit u128) */
    if (abs_tick & 1)
        ratio = ((u128)V3_TICK_C[0][0] << 64) | V3_TICK_C[0][1];
    else {
        ratio = 0;
        one = 1;
    }
    for (int i = 1; i < 20; i++) {
        if (abs_tick & (1u << i)) {
            u128 c = ((u128)V3_TICK_C[i][0] << 64) | V3_TICK_C[i][1];
            if (one) {
                ratio = c;
                one = 0;
            } else {
                ratio = v3_mulhi128(ratio, c);
            }
        }
    }
    u256 r;
    if (one) {
        r.w[0] = 0; r.w[1] = 0; r.w[2] = 1; r.w[3] = 0;
    } else if (tick > 0) {
        /* type(uint256).max / ratio */
        u256 mx = {{~0ULL, ~0ULL, ~0ULL, ~0ULL}}, d;
        u256_set_u128(&d, ratio);
        u256_divmod(&r, NULL, &mx, &d);
    } else {
        u256_set_u128(&r, ratio);
    }
    /* (ratio >> 32) + (ratio % 2^32 != 0) */
    int up = (r.w[0] & 0xffffffffULL) != 0;
    out->w[0] = (r.w[0] >> 32) | (r.w[1] << 32);
    out->w[1] = (r.w[1] >> 32) | (r.w[2] << 32);
    out->w[2] = (r.w[2] >> 32) | (r.w[3] << 32);
    out->w[3] = r.w[3] >> 32;
    if (up) v3_inc(out);
    /* uint160(...) truncation: the value always fits */
    out->w[2] &= 0xffffffffULL;
    out->w[3] = 0;
    return V3_OK;
}

/* getSqrtRatioAtTick through a small per-thread direct-mapped cache (the swap loop asks for the
 * same initialized ticks and word edges over and over). Exact: it only memoizes. */
#define V3_SQRT_CACHE_BITS 10
typedef struct {
    int32_t tick;
    int32_t valid;
    uint64_t w[3];
} v3_sqrt_entry;
static __thread v3_sqrt_entry v3_sqrt_cache[1 << V3_SQRT_CACHE_BITS];

static inline int v3_sqrt_ratio_at_tick_cached(int32_t tick, u256 *out) {
    v3_sqrt_entry *c = &v3_sqrt_cache[((uint32_t)tick * 2654435761u) >> (32 - V3_SQRT_CACHE_BITS)];
    if (c->valid && c->tick == tick) {
        out->w[0] = c->w[0];
        out->w[1] = c->w[1];
        out->w[2] = c->w[2];
        out->w[3] = 0;
        return V3_OK;
    }
    int e = v3_sqrt_ratio_at_tick(tick, out);
    if (e) return e;
    c->tick = tick;
    c->w[0] = out->w[0];
    c->w[1] = out->w[1];
    c->w[2] = out->w[2];
    c->valid = 1;
    return V3_OK;
}

/* TickMath.getTickAtSqrtRatio with the contract's own algorithm (fixed-point log2 by 14
 * squarings, then one getSqrtRatioAtTick check). Kept as the reference v3_tick_at_sqrt_ratio is
 * checked against; the swap loop uses the faster v3_tick_at_sqrt_ratio below. */
static inline int v3_tick_at_sqrt_ratio_log2(const u256 *sp, int32_t *tick) {
    if (u256_cmp(sp, &V3_MIN_SQRT_RATIO) < 0 || u256_cmp(sp, &V3_MAX_SQRT_RATIO) >= 0)
        return V3_ERR_R;
    /* ratio = sqrtP << 32, 65..192 bits */
    uint64_t r0 = sp->w[0] << 32, r1 = (sp->w[1] << 32) | (sp->w[0] >> 32),
             r2 = (sp->w[2] << 32) | (sp->w[1] >> 32);
    int msb;
    if (r2) msb = 128 + 63 - __builtin_clzll(r2);
    else msb = 64 + 63 - __builtin_clzll(r1); /* ratio >= 2^64 */
    u128 r;
    if (msb >= 128) {
        int sh = msb - 127; /* 1..64 */
        int limb = sh >> 6, bits = sh & 63;
        uint64_t t[4] = {r0, r1, r2, 0};
        uint64_t x0 = t[limb], x1 = t[limb + 1], x2 = t[limb + 2];
        uint64_t lo = bits ? (x0 >> bits) | (x1 << (64 - bits)) : x0;
        uint64_t hi = bits ? (x1 >> bits) | (x2 << (64 - bits)) : x1;
        r = ((u128)hi << 64) | lo;
    } else {
        u128 x = ((u128)r1 << 64) | r0;
        r = x << (127 - msb);
    }
    i128 log2 = (i128)(msb - 128) * ((i128)1 << 64);
    uint64_t frac = 0;
    for (int bit = 63; bit >= 50; bit--) {
        /* r*r = p11 * 2^128 + 2 * p01 * 2^64 + p00: its high 128 bits and bit 127 */
        uint64_t a0 = (uint64_t)r, a1 = (uint64_t)(r >> 64);
        u128 p00 = (u128)a0 * a0, p01 = (u128)a0 * a1, p11 = (u128)a1 * a1;
        u128 mid = (p00 >> 64) + ((u128)(uint64_t)p01 << 1);
        u128 hi = p11 + ((p01 >> 64) << 1) + (mid >> 64);
        uint64_t f = (uint64_t)(hi >> 127);
        if (f) r = hi; /* (r*r >> 127) >> 1 */
        else r = (hi << 1) | (uint64_t)((mid >> 63) & 1);
        frac |= f << bit;
    }
    log2 += (i128)frac;
    /* log_sqrt10001 = log_2 * 255738958999603826347141 (int256) */
    u128 mag = log2 < 0 ? (u128)0 - (u128)log2 : (u128)log2;
    u128 c = ((u128)0x3627ULL << 64) | 0xa301d71055774c85ULL;
    u128 plo, phi = v3_mul128(mag, c, &plo);
    u256 ls = {{(uint64_t)plo, (uint64_t)(plo >> 64), (uint64_t)phi, (uint64_t)(phi >> 64)}};
    if (log2 < 0) v3_neg(&ls, &ls);
    static const u256 K_LO = {{0x5af012a19d003aaaULL, 0x028f6481ab7f045aULL, 0, 0}};
    static const u256 K_HI = {{0x455e260799a0632fULL, 0xdb2df09e81959a81ULL, 0, 0}};
    u256 a, b;
    u256_sub(&a, &ls, &K_LO);
    u256_add(&b, &ls, &K_HI);
    /* arithmetic >> 128 then int24(): the low 24 bits of limb 2, sign-extended */
    int32_t tick_low = (int32_t)((uint32_t)a.w[2] << 8) >> 8;
    int32_t tick_hi = (int32_t)((uint32_t)b.w[2] << 8) >> 8;
    if (tick_low == tick_hi) {
        *tick = tick_low;
        return V3_OK;
    }
    u256 s;
    int e = v3_sqrt_ratio_at_tick_cached(tick_hi, &s);
    if (e) return e;
    *tick = u256_cmp(&s, sp) <= 0 ? tick_hi : tick_low;
    return V3_OK;
}

/* TickMath.getTickAtSqrtRatio: the greatest tick t with getSqrtRatioAtTick(t) <= sqrtPriceX96
 * (the contract's result; TickMathEchidnaTest checks exactly this invariant), found from a
 * double-precision estimate instead of the contract's 14 dependent 128-bit squarings.
 *
 * Why the estimate is exact away from integers: let x = log_{sqrt(1.0001)}(sp / 2^96), the
 * real position of sp on the tick scale. `est` is within 1e-9 of x (three uint64 -> double
 * roundings, glibc log2 < 1 ulp of a value below 2^8, one product by K ~ 13863). The contract's
 * getSqrtRatioAtTick(t) is the real 2^96 * 1.0001^(t/2) times (1 + e) with |e| < 2^-32 + 2^-58
 * (Q128 products of relative error < 2^-64 each, then the rounding up of >> 32 on a value
 * >= 2^32), i.e. it sits at position t + d with |d| < 5e-6. So when est is more than
 * V3_TICK_EPS (~1e-3) from an integer, floor(est) is the answer; otherwise the answer is t0 or
 * t0 - 1 for t0 the nearest integer, decided by the exact getSqrtRatioAtTick(t0) <= sp. */
#include <math.h>
#define V3_TICK_EPS (1.0 / 1024)
static inline int v3_tick_at_sqrt_ratio(const u256 *sp, int32_t *tick) {
    if (u256_cmp(sp, &V3_MIN_SQRT_RATIO) < 0 || u256_cmp(sp, &V3_MAX_SQRT_RATIO) >= 0)
        return V3_ERR_R;
    /* sp < 2^160: w[3] == 0 */
    const double K = 13863.636746827591; /* 2 / log2(1.0001) (of the exact 1.0001) */
    double d = (double)sp->w[2] * 0x1p128 + (double)sp->w[1] * 0x1p64 + (double)sp->w[0];
    double est = (log2(d) - 96.0) * K;
    double fl = floor(est), frac = est - fl;
    int32_t t = (int32_t)fl;
    if (frac > V3_TICK_EPS && frac < 1.0 - V3_TICK_EPS) {
        *tick = t;
        return V3_OK;
    }
    if (frac >= 0.5) t++;
    if (t > V3_MAX_TICK) t = V3_MAX_TICK;
    if (t < V3_MIN_TICK) t = V3_MIN_TICK;
    u256 s;
    int e = v3_sqrt_ratio_at_tick_cached(t, &s);
    if (e) return e;
    *tick = u256_cmp(&s, sp) <= 0 ? t : t - 1;
    return V3_OK;
}

/* ------------------------------------------------------------------ SqrtPriceMath */

static inline int v3_next_sqrt_price_amount0(u256 *out, const u256 *sp, u128 liq,
                                             const u256 *amount, int add) {
    if (u256_is_zero(amount)) {
        *out = *sp;
        return V3_OK;
    }
    u256 n1, product, den;
    v3_u128_shl96(&n1, liq);
    int ovf = u256_mul(&product, amount, sp);
    if (add) {
        if (!ovf) {
            if (!u256_add(&den, &n1, &product)) {
                int e = v3_mul_div_rounding_up(out, &n1, sp, &den);
                if (e) return e;
                out->w[2] &= 0xffffffffULL; /* uint160(...) */
                out->w[3] = 0;
                return V3_OK;
            }
        }
        if (u256_is_zero(sp)) return V3_ERR_DIV_ZERO;
        u256 t, s;
        u256_divmod(&t, NULL, &n1, sp);
        if (u256_add(&s, &t, amount)) return V3_ERR_ADD;
        v3_div_rounding_up(out, &n1, &s);
        out->w[2] &= 0xffffffffULL;
        out->w[3] = 0;
        return V3_OK;
    }
    if (ovf || u256_cmp(&n1, &product) <= 0) return V3_ERR_AMOUNT0_SUB;
    u256_sub(&den, &n1, &product);
    int e = v3_mul_div_rounding_up(out, &n1, sp, &den);
    if (e) return e;
    if (!v3_fits_u160(out)) return V3_ERR_U160;
    return V3_OK;
}

static inline int v3_next_sqrt_price_amount1(u256 *out, const u256 *sp, u128 liq,
                                             const u256 *amount, int add) {
    u256 quotient, l;
    int small = v3_fits_u160(amount);
    u256_set_u128(&l, liq);
    if (add) {
        if (small) {
            if (liq == 0) return V3_ERR_DIV_ZERO;
            u256 n;
            v3_shl96(&n, amount);
            u256_divmod(&quotient, NULL, &n, &l);
        } else {
            u256 q96 = {{0, 1ULL << 32, 0, 0}};
            int e = v3_mul_div(&quotient, amount, &q96, &l);
            if (e) return e;
        }
        if (u256_add(out, sp, &quotient)) return V3_ERR_ADD;
        if (!v3_fits_u160(out)) return V3_ERR_U160;
        return V3_OK;
    }
    if (small) {
        u256 n;
        v3_shl96(&n, amount);
        v3_div_rounding_up(&quotient, &n, &l);
    } else {
        u256 q96 = {{0, 1ULL << 32, 0, 0}};
        int e = v3_mul_div_rounding_up(&quotient, amount, &q96, &l);
        if (e) return e;
    }
    if (u256_cmp(sp, &quotient) <= 0) return V3_ERR_QUOTIENT;
    u256_sub(out, sp, &quotient);
    return V3_OK;
}

static inline int v3_next_sqrt_price_from_input(u256 *out, const u256 *sp, u128 liq,
                                                const u256 *amount_in, int zero_for_one) {
    if (u256_is_zero(sp)) return V3_ERR_PRICE_ZERO;
    if (liq == 0) return V3_ERR_LIQ_ZERO;
    return zero_for_one ? v3_next_sqrt_price_amount0(out, sp, liq, amount_in, 1)
                        : v3_next_sqrt_price_amount1(out, sp, liq, amount_in, 1);
}

static inline int v3_next_sqrt_price_from_output(u256 *out, const u256 *sp, u128 liq,
                                                 const u256 *amount_out, int zero_for_one) {
    if (u256_is_zero(sp)) return V3_ERR_PRICE_ZERO;
    if (liq == 0) return V3_ERR_LIQ_ZERO;
    return zero_for_one ? v3_next_sqrt_price_amount1(out, sp, liq, amount_out, 0)
                        : v3_next_sqrt_price_amount0(out, sp, liq, amount_out, 0);
}

static inline int v3_amount0_delta(u256 *out, const u256 *pa, const u256 *pb, u128 liq,
                                   int round_up) {
    const u256 *a = pa, *b = pb;
    if (u256_cmp(a, b) > 0) {
        a = pb;
        b = pa;
    }
    u256 n1, n2, t;
    v3_u128_shl96(&n1, liq);
    u256_sub(&n2, b, a);
    if (u256_is_zero(a)) return V3_ERR_RATIO_ZERO;
    if (((a->w[2] | a->w[3]) | (b->w[2] | b->w[3])) == 0) {
        /* a, b < 2^128: one division by a * b (< 2^256). floor(floor(x / b) / a) ==
         * floor(x / (a * b)) and likewise for ceilings; with 0 < a <= b the mulDiv cannot
         * overflow (x / b < n1 < 2^224), so no require() is skipped. */
        u256 ab;
        u128 ablo, abhi = v3_mul128(u256_low128(a), u256_low128(b), &ablo);
        ab.w[0] = (uint64_t)ablo;
        ab.w[1] = (uint64_t)(ablo >> 64);
        ab.w[2] = (uint64_t)abhi;
        ab.w[3] = (uint64_t)(abhi >> 64);
        /* p = n1 * n2 = (liquidity * n2) << 96, n2 < 2^128 */
        u128 lo, hi = v3_mul128(liq, u256_low128(&n2), &lo);
        uint64_t l0 = (uint64_t)lo, l1 = (uint64_t)(lo >> 64), h0 = (uint64_t)hi,
                 h1 = (uint64_t)(hi >> 64);
        uint64_t p[6] = {0, l0 << 32, (l0 >> 32) | (l1 << 32), (l1 >> 32) | (h0 << 32),
                         (h0 >> 32) | (h1 << 32), h1 >> 32};
        int m = v3_nlimbs(p, 6), nd = u256_nlimbs(&ab);
        uint64_t qq[8] = {0, 0, 0, 0, 0, 0, 0, 0}, rr[4] = {0, 0, 0, 0};
        int inexact;
        if (m < nd) {
            inexact = m > 0;
        } else {
            u256_divmnu(qq, rr, p, m, ab.w, nd);
            inexact = (rr[0] | rr[1] | rr[2] | rr[3]) != 0;
        }
        memcpy(out->w, qq, 4 * sizeof(uint64_t));
        if (round_up && inexact) v3_inc(out); /* < 2^224: no wrap */
        return V3_OK;
    }
    int e;
    if (round_up) {
        e = v3_mul_div_rounding_up(&t, &n1, &n2, b);
        if (e) return e;
        v3_div_rounding_up(out, &t, a);
    } else {
        e = v3_mul_div(&t, &n1, &n2, b);
        if (e) return e;
        u256_divmod(out, NULL, &t, a);
    }
    return V3_OK;
}

static inline int v3_amount1_delta(u256 *out, const u256 *pa, const u256 *pb, u128 liq,
                                   int round_up) {
    const u256 *a = pa, *b = pb;
    if (u256_cmp(a, b) > 0) {
        a = pb;
        b = pa;
    }
    u256 diff, l;
    u256_sub(&diff, b, a);
    if (u256_fits_u128(&diff)) { /* product < 2^256: (l * diff) >> 96 never overflows */
        u128 lo, hi = v3_mul128(liq, u256_low128(&diff), &lo);
        uint64_t p1 = (uint64_t)(lo >> 64), p2 = (uint64_t)hi, p3 = (uint64_t)(hi >> 64);
        out->w[0] = (p1 >> 32) | (p2 << 32);
        out->w[1] = (p2 >> 32) | (p3 << 32);
        out->w[2] = p3 >> 32;
        out->w[3] = 0;
        if (round_up && ((uint64_t)lo | (p1 & 0xffffffffULL))) v3_inc(out); /* < 2^160 */
        return V3_OK;
    }
    u256_set_u128(&l, liq);
    /* mulDiv(liquidity, diff, Q96): (l * diff) >> 96, the product has < 2^352 */
    uint64_t p[8];
    v3_mul_full(p, &l, &diff);
    if (p[5] >> 32 || p[6] || p[7]) return V3_ERR_MULDIV; /* quotient >= 2^256 */
    out->w[0] = (p[1] >> 32) | (p[2] << 32);
    out->w[1] = (p[2] >> 32) | (p[3] << 32);
    out->w[2] = (p[3] >> 32) | (p[4] << 32);
    out->w[3] = (p[4] >> 32) | (p[5] << 32);
    if (round_up && (p[0] | (p[1] & 0xffffffffULL))) {
        if (v3_is_max(out)) return V3_ERR_MULDIV_UP;
        v3_inc(out);
    }
    return V3_OK;
}

/* signed variants: liquidity is int128, the result int256 (two's complement) */
static inline int v3_amount0_delta_signed(u256 *out, const u256 *a, const u256 *b, i128 liq) {
    int neg = liq < 0;
    u128 mag = neg ? (u128)0 - (u128)liq : (u128)liq;
    int e = v3_amount0_delta(out, a, b, mag, !neg);
    if (e) return e;
    if (v3_is_neg(out)) return V3_ERR_INT256;
    if (neg) v3_neg(out, out);
    return V3_OK;
}

static inline int v3_amount1_delta_signed(u256 *out, const u256 *a, const u256 *b, i128 liq) {
    int neg = liq < 0;
    u128 mag = neg ? (u128)0 - (u128)liq : (u128)liq;
    int e = v3_amount1_delta(out, a, b, mag, !neg);
    if (e) return e;
    if (v3_is_neg(out)) return V3_ERR_INT256;
    if (neg) v3_neg(out, out);
    return V3_OK;
}

/* getAmount0Delta through a small per-thread direct-mapped memo. computeSwapStep asks it only
 * for the amount between the step's start and its target, which is the same on every quote
 * from one pool state (the start price, the initialized ticks' prices and the liquidity along
 * the path repeat), so repeated quotes skip the 512-bit divisions. Exact: it only memoizes. */
#define V3_D0_CACHE_BITS 8
typedef struct {
    uint64_t k[9]; /* a (3 limbs), b (3 limbs), liquidity (2), round_up | 2 (valid) */
    uint64_t o[4];
} v3_d0_entry;
static __thread v3_d0_entry v3_d0_cache[1 << V3_D0_CACHE_BITS];

static inline int v3_amount0_delta_cached(u256 *out, const u256 *pa, const u256 *pb, u128 liq,
                                          int round_up) {
    if (pa->w[3] | pb->w[3]) return v3_amount0_delta(out, pa, pb, liq, round_up);
    uint64_t k[9] = {pa->w[0], pa->w[1], pa->w[2], pb->w[0], pb->w[1], pb->w[2],
                     (uint64_t)liq, (uint64_t)(liq >> 64), (uint64_t)(round_up != 0) | 2};
    uint64_t h = (k[0] ^ (k[1] * 0x9E3779B97F4A7C15ULL)) + (k[3] ^ (k[4] * 0xC2B2AE3D27D4EB4FULL));
    h ^= k[6] * 0x165667B19E3779F9ULL + k[8];
    h *= 0x9E3779B97F4A7C15ULL;
    v3_d0_entry *c = &v3_d0_cache[h >> (64 - V3_D0_CACHE_BITS)];
    if (((c->k[0] ^ k[0]) | (c->k[1] ^ k[1]) | (c->k[2] ^ k[2]) | (c->k[3] ^ k[3]) |
         (c->k[4] ^ k[4]) | (c->k[5] ^ k[5]) | (c->k[6] ^ k[6]) | (c->k[7] ^ k[7]) |
         (c->k[8] ^ k[8])) == 0) {
        memcpy(out->w, c->o, sizeof c->o);
        return V3_OK;
    }
    int e = v3_amount0_delta(out, pa, pb, liq, round_up);
    if (e) return e;
    memcpy(c->k, k, sizeof k);
    memcpy(c->o, out->w, sizeof c->o);
    return V3_OK;
}

/* ------------------------------------------------------------------ SwapMath */

/* SwapMath.computeSwapStep; amount_remaining is int256, fee_pips the uint24 value.
 * The outputs must not alias the inputs. */
static inline int v3_compute_swap_step(const u256 *cur, const u256 *target, u128 liq,
                                       const u256 *amount_remaining, uint32_t fee_pips,
                                       u256 *next, u256 *amount_in, u256 *amount_out,
                                       u256 *fee_amount) {
    int zfo = u256_cmp(cur, target) >= 0;
    int exact_in = !v3_is_neg(amount_remaining);
    u256 one_minus, e6, neg_rem;
    int e;
    u256_set_u64(&one_minus, (uint64_t)((1000000u - fee_pips) & 0xffffffu)); /* uint24 wrap */
    u256_set_u64(&e6, 1000000u);
    u256_set_u64(amount_in, 0);
    u256_set_u64(amount_out, 0);
    if (exact_in) {
        u256 less_fee;
        if (fee_pips < 1000000u && u256_fits_u128(amount_remaining)) {
            /* amountRemainingLessFee = mulDiv(remaining, 1e6 - fee, 1e6) cannot revert here, so
             * it may come after amountIn, and when it reaches amountIn (the step ends at the
             * target) it is not needed at all: floor(X / 1e6) >= A <=> X >= A * 1e6. */
            e = zfo ? v3_amount0_delta_cached(amount_in, target, cur, liq, 1)
                    : v3_amount1_delta(amount_in, cur, target, liq, 1);
            if (e) return e;
            /* X = remaining * (1e6 - fee) and A * 1e6: both < 2^148, as (hi, lo) */
            u128 xl, xh = v3_mul128(u256_low128(amount_remaining), 1000000u - fee_pips, &xl);
            if (u256_fits_u128(amount_in)) {
                u128 al, ah = v3_mul128(u256_low128(amount_in), 1000000u, &al);
                if (xh > ah || (xh == ah && xl >= al)) {
                    *next = *target;
                    goto step_amounts;
                }
            }
            if (xh == 0) { /* X < 2^128: divisions by the constant 1e6 */
                uint64_t rem;
                u256_set_u128(&less_fee, v3_div_u128_small(xl, 1000000u, &rem));
            } else {
                e = v3_mul_div(&less_fee, amount_remaining, &one_minus, &e6);
                if (e) return e;
            }
        } else {
            e = v3_mul_div(&less_fee, amount_remaining, &one_minus, &e6);
            if (e) return e;
            e = zfo ? v3_amount0_delta_cached(amount_in, target, cur, liq, 1)
                    : v3_amount1_delta(amount_in, cur, target, liq, 1);
            if (e) return e;
        }
        if (u256_cmp(&less_fee, amount_in) >= 0) *next = *target;
        else {
            e = v3_next_sqrt_price_from_input(next, cur, liq, &less_fee, zfo);
            if (e) return e;
        }
    } else {
        e = zfo ? v3_amount1_delta(amount_out, target, cur, liq, 0)
                : v3_amount0_delta_cached(amount_out, cur, target, liq, 0);
        if (e) return e;
        v3_neg(&neg_rem, amount_remaining);
        if (u256_cmp(&neg_rem, amount_out) >= 0) *next = *target;
        else {
            e = v3_next_sqrt_price_from_output(next, cur, liq, &neg_rem, zfo);
            if (e) return e;
        }
    }
step_amounts:;
    int max = v3_eq(target, next);
    if (zfo) {
        if (!(max && exact_in)) {
            e = max ? v3_amount0_delta_cached(amount_in, next, cur, liq, 1)
                    : v3_amount0_delta(amount_in, next, cur, liq, 1);
            if (e) return e;
        }
        if (!(max && !exact_in)) {
            e = v3_amount1_delta(amount_out, next, cur, liq, 0);
            if (e) return e;
        }
    } else {
        if (!(max && exact_in)) {
            e = max ? v3_amount1_delta(amount_in, cur, target, liq, 1)
                    : v3_amount1_delta(amount_in, cur, next, liq, 1);
            if (e) return e;
        }
        if (!(max && !exact_in)) {
            /* next == target when max: a step-to-target amount, memoized */
            e = max ? v3_amount0_delta_cached(amount_out, cur, next, liq, 0)
                    : v3_amount0_delta(amount_out, cur, next, liq, 0);
            if (e) return e;
        }
    }
    if (!exact_in && u256_cmp(amount_out, &neg_rem) > 0) *amount_out = neg_rem;
    if (exact_in && !v3_eq(next, target)) {
        u256_sub(fee_amount, amount_remaining, amount_in);
    } else {
        e = v3_fee_amount(fee_amount, amount_in, fee_pips);
        if (e) return e;
    }
    return V3_OK;
}

/* ------------------------------------------------------------------ LiquidityMath */

static inline int v3_add_delta(u128 x, i128 y, u128 *z) {
    if (y < 0) {
        u128 r = x - ((u128)0 - (u128)y);
        if (!(r < x)) return V3_ERR_LS;
        *z = r;
    } else {
        u128 r = x + (u128)y;
        if (!(r >= x)) return V3_ERR_LA;
        *z = r;
    }
    return V3_OK;
}

/* ------------------------------------------------------------------ TickBitmap + swap */

/* first index i with ticks[i] >= x (ticks sorted ascending) */
static inline Py_ssize_t v3_lower_bound(const int32_t *ticks, Py_ssize_t n, int64_t x) {
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) >> 1;
        if ((int64_t)ticks[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* v3_lower_bound, trying *hint first (the swap loop's next search usually lands next to the
 * previous one); *hint becomes the result */
static inline Py_ssize_t v3_lower_bound_hint(const int32_t *ticks, Py_ssize_t n, int64_t x,
                                             Py_ssize_t *hint) {
    Py_ssize_t h = *hint;
    if (!(h >= 0 && h <= n && (h == n || (int64_t)ticks[h] >= x) &&
          (h == 0 || (int64_t)ticks[h - 1] < x)))
        h = *hint = v3_lower_bound(ticks, n, x);
    return h;
}

/* TickBitmap.nextInitializedTickWithinOneWord over the bitmap of `ticks` (sorted, each a
 * multiple of spacing). *idx is the index of the tick returned when initialized. */
static inline int32_t v3_next_initialized_tick_hint(const int32_t *ticks, Py_ssize_t n,
                                                    int32_t tick, int32_t spacing, int lte,
                                                    int *initialized, Py_ssize_t *idx,
                                                    Py_ssize_t *hint) {
    int32_t compressed = tick / spacing;
    if (tick < 0 && tick % spacing != 0) compressed--;
    if (lte) {
        int32_t word_lo = (compressed >> 8) * 256; /* arithmetic shift */
        /* largest initialized compressed c <= compressed */
        Py_ssize_t i = v3_lower_bound_hint(ticks, n, (int64_t)compressed * spacing + 1, hint) - 1;
        if (i >= 0 && (int64_t)ticks[i] >= (int64_t)word_lo * spacing) {
            *initialized = 1;
            *idx = i;
            return ticks[i];
        }
        *initialized = 0;
        return (int32_t)((int64_t)word_lo * spacing);
    }
    int32_t start = compressed + 1;
    int32_t word_hi = (start >> 8) * 256 + 255;
    Py_ssize_t i = v3_lower_bound_hint(ticks, n, (int64_t)start * spacing, hint);
    if (i < n && (int64_t)ticks[i] <= (int64_t)word_hi * spacing) {
        *initialized = 1;
        *idx = i;
        return ticks[i];
    }
    *initialized = 0;
    return (int32_t)((int64_t)word_hi * spacing);
}

static inline int32_t v3_next_initialized_tick(const int32_t *ticks, Py_ssize_t n, int32_t tick,
                                               int32_t spacing, int lte, int *initialized,
                                               Py_ssize_t *idx) {
    Py_ssize_t hint = -1;
    return v3_next_initialized_tick_hint(ticks, n, tick, spacing, lte, initialized, idx, &hint);
}

typedef struct {
    u256 amount0;     /* int256 */
    u256 amount1;     /* int256 */
    u256 sqrt_price;  /* uint160 */
    int32_t tick;
    u128 liquidity;
    int64_t ticks_crossed;
} v3_swap_out;

/* UniswapV3Pool.swap (feeProtocol 0): the price/tick/liquidity loop and the returned deltas.
 * *first_hint: where the first tick search starts (any value; -1: none), set to where it
 * ended, for the next swap from the same state. */
static inline int v3_swap_hint(const int32_t *ticks, const i128 *nets, Py_ssize_t n,
                               const u256 *sqrt_price, int32_t tick, u128 liquidity, uint32_t fee,
                               int32_t spacing, int zfo, const u256 *amount_specified,
                               const u256 *limit, v3_swap_out *out, Py_ssize_t *first_hint) {
    if (u256_is_zero(amount_specified)) return V3_ERR_AS;
    if (zfo ? !(u256_cmp(limit, sqrt_price) < 0 && u256_cmp(limit, &V3_MIN_SQRT_RATIO) > 0)
            : !(u256_cmp(limit, sqrt_price) > 0 && u256_cmp(limit, &V3_MAX_SQRT_RATIO) < 0))
        return V3_ERR_SPL;
    int exact_in = !v3_is_neg(amount_specified);
    u256 rem = *amount_specified, calc = {{0, 0, 0, 0}}, price = *sqrt_price;
    u128 liq = liquidity;
    int64_t crossed = 0;
    Py_ssize_t hint = *first_hint; /* lower-bound position of the last tick search */
    int e, first = 1;
    while (!u256_is_zero(&rem) && !v3_eq(&price, limit)) {
        u256 start = price, sqrt_next, step_in, step_out, step_fee, s;
        int initialized;
        Py_ssize_t idx = -1;
        int32_t tick_next = v3_next_initialized_tick_hint(ticks, n, tick, spacing, zfo,
                                                          &initialized, &idx, &hint);
        if (first) {
            *first_hint = hint;
            first = 0;
        }
        if (tick_next < V3_MIN_TICK) tick_next = V3_MIN_TICK;
        else if (tick_next > V3_MAX_TICK) tick_next = V3_MAX_TICK;
        e = v3_sqrt_ratio_at_tick_cached(tick_next, &sqrt_next);
        if (e) return e;
        const u256 *target =
            (zfo ? u256_cmp(&sqrt_next, limit) < 0 : u256_cmp(&sqrt_next, limit) > 0) ? limit
                                                                                       : &sqrt_next;
        e = v3_compute_swap_step(&start, target, liq, &rem, fee, &price, &step_in, &step_out,
                                 &step_fee);
        if (e) return e;
        u256_add(&s, &step_in, &step_fee); /* unchecked uint256 add */
        if (exact_in) {
            if (v3_is_neg(&s)) return V3_ERR_INT256;
            u256_sub(&rem, &rem, &s); /* unchecked int256 -= */
            if (v3_is_neg(&step_out)) return V3_ERR_INT256;
            u256 z;
            u256_sub(&z, &calc, &step_out);
            if (v3_slt(&calc, &z)) return V3_ERR_INT_SUB; /* require(z <= x) */
            calc = z;
        } else {
            if (v3_is_neg(&step_out)) return V3_ERR_INT256;
            u256_add(&rem, &rem, &step_out); /* unchecked int256 += */
            if (v3_is_neg(&s)) return V3_ERR_INT256;
            u256 z;
            u256_add(&z, &calc, &s);
            if (v3_slt(&z, &calc)) return V3_ERR_INT_ADD; /* require(z >= x) */
            calc = z;
        }
        /* feeGrowthGlobalX128 += FullMath.mulDiv(feeAmount, Q128, liquidity): reverts when
         * feeAmount >= liquidity * 2^128 */
        if (liq > 0 && ((u128)step_fee.w[3] << 64 | step_fee.w[2]) >= liq)
            return V3_ERR_FEE_GROWTH;
        if (v3_eq(&price, &sqrt_next)) {
            if (initialized) {
                i128 net = nets[idx];
                if (zfo) net = (i128)((u128)0 - (u128)net); /* unchecked int128 negation */
                e = v3_add_delta(liq, net, &liq);
                if (e) return e;
                crossed++;
                hint += zfo ? -1 : 1; /* the next search's position, past the crossed tick */
            }
            tick = zfo ? tick_next - 1 : tick_next;
        } else if (!v3_eq(&price, &start)) {
            e = v3_tick_at_sqrt_ratio(&price, &tick);
            if (e) return e;
        }
    }
    u256 spent;
    u256_sub(&spent, amount_specified, &rem); /* unchecked int256 */
    if (zfo == exact_in) {
        out->amount0 = spent;
        out->amount1 = calc;
    } else {
        out->amount0 = calc;
        out->amount1 = spent;
    }
    out->sqrt_price = price;
    out->tick = tick;
    out->liquidity = liq;
    out->ticks_crossed = crossed;
    return V3_OK;
}

static inline int v3_swap(const int32_t *ticks, const i128 *nets, Py_ssize_t n,
                          const u256 *sqrt_price, int32_t tick, u128 liquidity, uint32_t fee,
                          int32_t spacing, int zfo, const u256 *amount_specified,
                          const u256 *limit, v3_swap_out *out) {
    Py_ssize_t hint = -1;
    return v3_swap_hint(ticks, nets, n, sqrt_price, tick, liquidity, fee, spacing, zfo,
                        amount_specified, limit, out, &hint);
}

/* ------------------------------------------------------------------ Python int boundary */
/* Conversions that only need the GIL (no exception classes): the status codes are turned into
 * the twins' TypeError / UintRangeError / IntRangeError by the .pyx wrappers. */

enum { V3_CONV_OK = 0, V3_CONV_TYPE = 1, V3_CONV_RANGE = 2 };

/* ARB_FAST_LONG (u256.h): CPython 3.11-3.13 int digits are read and written directly; the
 * portable byte-array code otherwise (and with -DARB_NO_FAST_LONG). */

/* |o| into r and its sign; V3_CONV_RANGE when |o| >= 2^256. o is a PyLong. */
static inline int v3_long_mag(PyObject *o, u256 *r, int *neg) {
#ifdef ARB_FAST_LONG
    Py_ssize_t n = ARB_LONG_NDIGITS(o);
    const digit *d = ARB_LONG_DIGITS(o);
    *neg = ARB_LONG_NEGATIVE(o);
    r->w[0] = r->w[1] = r->w[2] = r->w[3] = 0;
    if (n > 9) return V3_CONV_RANGE;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t v = d[i];
        int bit = 30 * (int)i, limb = bit >> 6, off = bit & 63;
        r->w[limb] |= v << off;
        if (off > 34) {
            if (limb < 3) r->w[limb + 1] |= v >> (64 - off);
            else if (v >> (64 - off)) return V3_CONV_RANGE;
        }
    }
    return V3_CONV_OK;
#else
    int sign = _PyLong_Sign(o);
    size_t nbits = _PyLong_NumBits(o);
    unsigned char buf[33];
    *neg = sign < 0;
    if (nbits == (size_t)-1 && PyErr_Occurred()) return -1;
    if (nbits > 256) return V3_CONV_RANGE;
    if (sign >= 0) {
        if (ARB_LONG_AS_BYTES(o, buf, 32) < 0) return -1;
    } else {
        PyObject *m = PyNumber_Negative(o);
        if (!m) return -1;
        int rc = ARB_LONG_AS_BYTES(m, buf, 32);
        Py_DECREF(m);
        if (rc < 0) return -1;
    }
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0;
        for (int k = 7; k >= 0; k--) v = (v << 8) | buf[8 * i + k];
        r->w[i] = v;
    }
    return V3_CONV_OK;
#endif
}

static inline int v3_is_int(PyObject *o) { return PyLong_Check(o) && !PyBool_Check(o); }

/* uint<bits>: 0 <= o < 2^bits */
static inline int v3_py_uint(PyObject *o, u256 *r, int bits) {
    int neg, c;
    if (!v3_is_int(o)) return V3_CONV_TYPE;
    c = v3_long_mag(o, r, &neg);
    if (c) return c;
    if (neg) return V3_CONV_RANGE; /* Py_SIZE < 0 means o < 0 */
    if (bits < 256) {
        int limb = bits >> 6, off = bits & 63;
        if (off && (r->w[limb] >> off)) return V3_CONV_RANGE;
        for (int i = limb + (off ? 1 : 0); i < 4; i++)
            if (r->w[i]) return V3_CONV_RANGE;
    }
    return V3_CONV_OK;
}

/* int<bits> (bits <= 256) into r as two's complement 256 bits */
static inline int v3_py_int(PyObject *o, u256 *r, int bits) {
    int neg, c;
    if (!v3_is_int(o)) return V3_CONV_TYPE;
    c = v3_long_mag(o, r, &neg);
    if (c) return c;
    /* |o| < 2^(bits-1), or == 2^(bits-1) when negative */
    int top = bits - 1, limb = top >> 6, off = top & 63;
    int above = 0, exact = 1;
    for (int i = 3; i > limb; i--)
        if (r->w[i]) above = 1;
    if (r->w[limb] >> off >> 1) above = 1; /* bits above `top` within the limb */
    if (!above) {
        uint64_t bitv = (r->w[limb] >> off) & 1;
        if (bitv) {
            for (int i = 0; i < limb; i++)
                if (r->w[i]) exact = 0;
            if (r->w[limb] & ((((uint64_t)1) << off) - 1)) exact = 0;
            if (!(neg && exact)) above = 1;
        }
    }
    if (above) return V3_CONV_RANGE;
    if (neg) v3_neg(r, r);
    return V3_CONV_OK;
}

/* a small int (tick, fee, spacing, bool-free): within [lo, hi] */
static inline int v3_py_small(PyObject *o, long long *v, long long lo, long long hi) {
    int overflow = 0;
    if (!v3_is_int(o)) return V3_CONV_TYPE;
    long long x = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (x == -1 && PyErr_Occurred()) return -1;
    if (overflow || x < lo || x > hi) return V3_CONV_RANGE;
    *v = x;
    return V3_CONV_OK;
}

/* (-1)^neg * |a| as a Python int */
static inline PyObject *v3_mag_to_py(const u256 *a, int neg) {
    int nl = u256_nlimbs(a);
    if (nl == 0) return PyLong_FromLong(0);
    if (nl == 1) {
        uint64_t x = a->w[0];
        if (!neg) return PyLong_FromUnsignedLongLong(x);
        if (x <= ((uint64_t)1 << 63)) return PyLong_FromLongLong(-(long long)(x - 1) - 1);
    }
    return arb_u256_to_long_big(a, neg); /* here |a| >= 2^63 */
}

static inline PyObject *v3_u256_to_py(const u256 *a) { return v3_mag_to_py(a, 0); }

static inline PyObject *v3_i256_to_py(const u256 *a) {
    if (!v3_is_neg(a)) return v3_mag_to_py(a, 0);
    u256 m;
    v3_neg(&m, a);
    return v3_mag_to_py(&m, 1);
}

static inline PyObject *v3_u128_to_py(u128 x) {
    if ((x >> 64) == 0) return PyLong_FromUnsignedLongLong((uint64_t)x);
    u256 t;
    u256_set_u128(&t, x);
    return v3_mag_to_py(&t, 0);
}

static inline PyObject *v3_i128_to_py(i128 x) {
    if (x >= INT64_MIN && x <= INT64_MAX) return PyLong_FromLongLong((long long)x);
    u256 t;
    if (x < 0) {
        u256_set_u128(&t, (u128)0 - (u128)x);
        return v3_mag_to_py(&t, 1);
    }
    u256_set_u128(&t, (u128)x);
    return v3_mag_to_py(&t, 0);
}

#endif /* ARBSTREAM_V3MATH_H */
