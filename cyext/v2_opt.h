/* The most profitable integer input of a two-pool Uniswap-V2 cycle, all in C.
 *
 * The same algorithm and integers as arbstream.cyext.v2_math_py.optimal_two_pool (the oracle,
 * whose docstring has the maths): the closed form x0 = (isqrt(p q) - q) / r, its neighbours and
 * the smallest inputs of the two mids next to it, then every input (or the smallest input of
 * every mid amount) whose continuous profit can reach the best integer profit seen, and
 * otherwise a climb on strict improvements. Products reach ~2^506, so the closed form and the
 * bounds use 512-bit integers (8 little-endian uint64 limbs) and an exact integer square root.
 * Used by cyext/_v2_math.pyx and cyext/_cycles.pyx. Header-only; needs GCC/Clang. */
#ifndef ARBSTREAM_V2_OPT_H
#define ARBSTREAM_V2_OPT_H

#include <math.h>
#include "v3/v3math.h" /* v3_mul_full (512-bit products); Knuth division is u256_divmnu */

#define V2OPT_ENUM_CAP 2048
#define V2OPT_CLIMB_CAP 256

typedef struct {
    u256 a1, b1, b2, a2; /* reserves, each < 2^112 and > 0 */
    uint64_t g1, g2;     /* 10000 - fee_bps */
    int has_best;
    u128 bx, bm, bo;
    i128 bp;
} v2opt_cycle;

/* ------------------------------------------------------------------ 512-bit helpers */

static inline int v2opt_nl(const uint64_t *a, int n) {
    while (n > 0 && a[n - 1] == 0) n--;
    return n;
}

static inline int v2opt_cmp8(const uint64_t a[8], const uint64_t b[8]) {
    for (int i = 7; i >= 0; i--)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* r = a - b (a >= b) */
static inline void v2opt_sub8(uint64_t r[8], const uint64_t a[8], const uint64_t b[8]) {
    uint64_t br = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t x = a[i], y = b[i];
        uint64_t d = x - y, b1 = x < y, d2 = d - br, b2 = d < br;
        r[i] = d2;
        br = b1 | b2;
    }
}

/* floor(sqrt(n)) for a 512-bit n (the root is < 2^256) */
static inline void v2opt_isqrt512(u256 *s, const uint64_t n[8]) {
    int nl = v2opt_nl(n, 8);
    if (nl == 0) {
        u256_set_u64(s, 0);
        return;
    }
    int bits = 64 * (nl - 1) + (64 - __builtin_clzll(n[nl - 1]));
    /* top 64 bits at an even shift; sqrt in double; a margin far above its error */
    int shift = bits > 64 ? bits - 64 : 0;
    shift += shift & 1;
    int limb = shift >> 6, off = shift & 63;
    uint64_t top = n[limb] >> off;
    if (off && limb + 1 < 8) top |= n[limb + 1] << (64 - off);
    double est = sqrt((double)top) * (1.0 + 0x1p-40) + 2.0; /* < 2^33 */
    uint64_t e = (uint64_t)est;
    /* x = e << (shift / 2) >= isqrt(n) */
    u256 x = {{e, 0, 0, 0}};
    int h = shift >> 1;
    if (h) {
        int hl = h >> 6, ho = h & 63;
        u256 t = {{0, 0, 0, 0}};
        t.w[hl] = e << ho;
        if (ho && hl + 1 < 4) t.w[hl + 1] = e >> (64 - ho);
        if (hl == 3 && ho && (e >> (64 - ho)) != 0) /* >= 2^256: start from 2^256 - 1 */
            t.w[0] = t.w[1] = t.w[2] = t.w[3] = ~(uint64_t)0;
        x = t;
    }
    /* Newton from above: x_{k+1} = (x_k + n / x_k) / 2 while it decreases */
    for (;;) {
        uint64_t q[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int xn = u256_nlimbs(&x);
        if (nl >= xn) u256_divmnu(q, NULL, n, nl, x.w, xn);
        if (q[4] | q[5] | q[6] | q[7]) break; /* n / x >= 2^256 > x: x is the root */
        u256 qq = {{q[0], q[1], q[2], q[3]}}, y;
        uint64_t carry = (uint64_t)u256_add(&y, &x, &qq);
        for (int i = 0; i < 3; i++) y.w[i] = (y.w[i] >> 1) | (y.w[i + 1] << 63);
        y.w[3] = (y.w[3] >> 1) | (carry << 63);
        if (u256_cmp(&y, &x) >= 0) break;
        x = y;
    }
    *s = x;
}

/* ------------------------------------------------------------------ the cycle */

static inline u128 v2opt_mid(const v2opt_cycle *c, u128 x) {
    /* reserves are uint112 and x <= ~2^113: no revert is possible here */
    u256 xx, out = {{0, 0, 0, 0}};
    u256_set_u128(&xx, x);
    v2_amount_out(&out, &xx, &c->a1, &c->b1, c->g1);
    return u256_low128(&out);
}

static inline i128 v2opt_eval(const v2opt_cycle *c, u128 x, u128 *m, u128 *o) {
    u256 mm, out = {{0, 0, 0, 0}};
    *m = v2opt_mid(c, x);
    *o = 0;
    if (*m != 0) {
        u256_set_u128(&mm, *m);
        v2_amount_out(&out, &mm, &c->b2, &c->a2, c->g2);
        *o = u256_low128(&out);
    }
    return (i128)*o - (i128)x;
}

static inline void v2opt_set(v2opt_cycle *c, u128 x, u128 m, u128 o, i128 p) {
    c->has_best = 1;
    c->bx = x;
    c->bm = m;
    c->bo = o;
    c->bp = p;
}

static inline void v2opt_consider(v2opt_cycle *c, u128 x) {
    u128 m, o;
    i128 p = v2opt_eval(c, x, &m, &o);
    if (!c->has_best || p > c->bp || (p == c->bp && x < c->bx)) v2opt_set(c, x, m, o, p);
}

/* v2opt_consider when mid(x) == m >= 1 is already known (x = x_min(m)) */
static inline void v2opt_consider_mid(v2opt_cycle *c, u128 x, u128 m) {
    u256 mm, out = {{0, 0, 0, 0}};
    u256_set_u128(&mm, m);
    v2_amount_out(&out, &mm, &c->b2, &c->a2, c->g2);
    u128 o = u256_low128(&out);
    i128 p = (i128)o - (i128)x;
    if (!c->has_best || p > c->bp || (p == c->bp && x < c->bx)) v2opt_set(c, x, m, o, p);
}

/* smallest x with mid(x) >= m, for 1 <= m < b1: ceil(m D a1 / (g1 (b1 - m))) */
static inline void v2opt_x_min(const v2opt_cycle *c, u128 m, u256 *x) {
    u256 t, num, diff, den, rem;
    u256_set_u128(&t, m);
    u256_mul_u64(&t, &t, V2_D);
    u256_mul(&num, &t, &c->a1);
    u256_set_u128(&t, m);
    u256_sub(&diff, &c->b1, &t);
    u256_mul_u64(&den, &diff, c->g1);
    u256_divmod(x, &rem, &num, &den);
    if (!u256_is_zero(&rem)) {
        u256_set_u64(&t, 1);
        u256_add(x, x, &t);
    }
}

/* Fill c->bx/bm/bo/bp with the optimum; returns 1 when it is profitable, else 0.
 * c: reserves (each in [1, 2^112)) and gammas (1..10000) set by the caller. */
static inline int v2opt_optimal(v2opt_cycle *c) {
    u256 t1, t2, p, q, r;
    c->has_best = 0;
    /* p = g1 g2 b1 a2 (< 2^252), q = D^2 a1 b2 (< 2^251), r = g1 (D b2 + g2 b1) (< 2^142) */
    u256_mul_u64(&t1, &c->b1, c->g1 * c->g2);
    u256_mul(&p, &t1, &c->a2);
    u256_mul_u64(&t1, &c->a1, (uint64_t)V2_D * V2_D);
    u256_mul(&q, &t1, &c->b2);
    if (u256_cmp(&p, &q) <= 0) return 0;
    u256_mul_u64(&t1, &c->b2, V2_D);
    u256_mul_u64(&t2, &c->b1, c->g2);
    u256_add(&t1, &t1, &t2);
    u256_mul_u64(&r, &t1, c->g1);

    /* x0 = (isqrt(p q) - q) / r ; cap = (p - q) / r + 1 */
    uint64_t pq[8];
    u256 s, x0, cap, one = {{1, 0, 0, 0}}, pmq;
    v3_mul_full(pq, &p, &q);
    v2opt_isqrt512(&s, pq);
    u256_sub(&t1, &s, &q);
    u256_divmod(&x0, NULL, &t1, &r);
    u256_sub(&pmq, &p, &q);
    u256_divmod(&cap, NULL, &pmq, &r);
    u256_add(&cap, &cap, &one);
    /* both are < 2^128 here; the oracle keeps their low 128 bits */
    u128 x0c = u256_low128(&x0);
    u256 cap256;
    u256_set_u128(&cap256, u256_low128(&cap));
    u128 b1c = u256_low128(&c->b1);

    if (x0c >= 1) v2opt_consider(c, x0c);
    v2opt_consider(c, x0c + 1);
    u128 m0 = v2opt_mid(c, x0c >= 1 ? x0c : 1);
    for (int k = 0; k < 2; k++) {
        u128 m = m0 + (u128)k;
        if (1 <= m && m < b1c) {
            u256 xm;
            v2opt_x_min(c, m, &xm);
            if (u256_cmp(&xm, &cap256) <= 0) v2opt_consider(c, u256_low128(&xm));
        }
    }

    /* inputs whose continuous profit reaches t: r x^2 - bq x + t q <= 0 */
    u256 t, rt, bq;
    u256_set_u128(&t, c->bp > 0 ? (u128)c->bp : 1);
    u256_mul(&rt, &r, &t);
    if (u256_cmp(&pmq, &rt) <= 0) return 0; /* bq <= 0 */
    u256_sub(&bq, &pmq, &rt);
    uint64_t bq2[8], rtq[8], disc[8];
    v3_mul_full(bq2, &bq, &bq);
    v3_mul_full(rtq, &rt, &q);
    /* rtq *= 4 (< 2^506) */
    for (int i = 7; i > 0; i--) rtq[i] = (rtq[i] << 2) | (rtq[i - 1] >> 62);
    rtq[0] <<= 2;
    if (v2opt_cmp8(bq2, rtq) < 0) return 0; /* disc < 0 */
    v2opt_sub8(disc, bq2, rtq);
    u256 sd, r2, num, lo256, hi256, rem;
    v2opt_isqrt512(&sd, disc);
    u256_add(&r2, &r, &r);
    /* lo = max(1, floor((bq - sd - 1) / 2r)) */
    u256_add(&t1, &sd, &one);
    u128 lo_x = 1;
    if (u256_cmp(&bq, &t1) >= 0) {
        u256_sub(&num, &bq, &t1);
        u256_divmod(&lo256, NULL, &num, &r2);
        u128 l = u256_low128(&lo256);
        if (!u256_fits_u128(&lo256) || l > 1) lo_x = l;
    }
    /* hi = ceil((bq + sd + 1) / 2r) */
    u256_add(&num, &bq, &t1);
    u256_divmod(&hi256, &rem, &num, &r2);
    if (!u256_is_zero(&rem)) u256_add(&hi256, &hi256, &one);
    u128 hi_x = u256_low128(&hi256);

    u128 x, m;
    if (hi_x < lo_x || hi_x - lo_x < V2OPT_ENUM_CAP) {
        for (x = lo_x; x <= hi_x; x++) v2opt_consider(c, x);
    } else {
        u128 m_lo = v2opt_mid(c, lo_x), m_hi = v2opt_mid(c, hi_x);
        if (m_hi - m_lo < V2OPT_ENUM_CAP) {
            u256 xm, hb;
            u256_set_u128(&hb, hi_x);
            for (m = m_lo >= 1 ? m_lo : 1; m <= m_hi; m++) {
                v2opt_x_min(c, m, &xm);
                if (u256_cmp(&xm, &hb) <= 0) {
                    x = u256_low128(&xm);
                    if (x >= lo_x) v2opt_consider_mid(c, x, m);
                    else v2opt_consider(c, lo_x);
                }
            }
        } else {
            u128 o;
            for (int k = 0; k < V2OPT_CLIMB_CAP; k++) { /* strict improvements */
                x = c->bx;
                i128 pe;
                if (x > 1) {
                    pe = v2opt_eval(c, x - 1, &m, &o);
                    if (pe > c->bp) {
                        v2opt_set(c, x - 1, m, o, pe);
                        continue;
                    }
                }
                pe = v2opt_eval(c, x + 1, &m, &o);
                if (pe <= c->bp) break;
                v2opt_set(c, x + 1, m, o, pe);
            }
        }
    }
    return c->bp > 0;
}

#endif /* ARBSTREAM_V2_OPT_H */
