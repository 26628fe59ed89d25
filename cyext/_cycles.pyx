# cython: annotation_typing=False
"""Optimal sizing of 2-4 leg V2/V3 arbitrage cycles: the C kernel.

Functions, results and exceptions are the same as in :mod:`arbstream.cyext.cycles_py`, the
oracle. Its docstring has the algorithm and the optimality guarantee. The kernel runs the same
search on the same integers:

* The leg tuples are converted once per cycle: reserves and prices to 4 x uint64 limbs, and the
  V3 initialized ticks and nets to C arrays.
* The search then runs in C without the GIL. That covers the bound, the marginal-rate test,
  the seed (the same IEEE doubles, with correctly rounded int-to-double conversions), the
  bracket, the golden section, the scan, the snap and the climb.
* Every evaluation chains the exact quotes in C: ``v2_amount_out`` from ``u256.h`` and
  ``v3_swap`` (``UniswapV3Pool.swap``) from ``v3/v3math.h``.
* Profits are int256 in two's complement: an output below 2**255 minus an input of at most
  2**126.

When a leg does not pass the fast validation, the twin's validator is called to raise the
twin's exact exception.
"""

from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.math cimport sqrt, ldexp
from cpython.long cimport PyLong_AsLongLongAndOverflow

from arbstream.cyext import cycles_py as _twin
from arbstream.cyext._v2_math import optimal_two_pool as _optimal_two_pool

include "_u256.pxi"
include "_v2_opt.pxi"

cdef extern from "v3/v3math.h" nogil:
    enum:
        V3_OK
    ctypedef struct v3_swap_out:
        u256 amount0
        u256 amount1
    int v3_swap(const int32_t *ticks, const i128 *nets, Py_ssize_t n,
                const u256 *sqrt_price, int32_t tick, u128 liquidity, uint32_t fee,
                int32_t spacing, int zfo, const u256 *amount_specified,
                const u256 *limit, v3_swap_out *out)

cdef extern from *:
    """
    /* Correctly rounded (half-even) uint256 -> double, as Python's float(int). */
    static double cyc_u256_to_double(const u256 *a) {
        int n = 4;
        while (n > 0 && a->w[n - 1] == 0) n--;
        if (n == 0) return 0.0;
        if (n == 1) return (double)a->w[0];
        int top = 64 * (n - 1) + (64 - __builtin_clzll(a->w[n - 1]));
        int sh = top - 64, limb = sh >> 6, off = sh & 63;
        uint64_t t = a->w[limb] >> off;
        int sticky = 0;
        if (off) {
            t |= a->w[limb + 1] << (64 - off);
            sticky = (a->w[limb] & ((((uint64_t)1) << off) - 1)) != 0;
        }
        for (int i = 0; i < limb; i++) sticky |= a->w[i] != 0;
        t |= (uint64_t)sticky;
        return ldexp((double)t, sh);
    }
    static inline int cyc_is_neg(const u256 *a) { return (int)(a->w[3] >> 63); }
    /* signed (two's complement) a > b */
    static inline int cyc_sgt(const u256 *a, const u256 *b) {
        int na = cyc_is_neg(a), nb = cyc_is_neg(b);
        if (na != nb) return nb;
        return u256_cmp(a, b) > 0;
    }
    static inline void cyc_neg(u256 *r, const u256 *a) {
        u256 z = {{0, 0, 0, 0}};
        u256_sub(r, &z, a);
    }
    static const double CYC_INF = __builtin_inf();
    """
    double cyc_u256_to_double(const u256 *a) nogil
    bint cyc_is_neg(const u256 *a) nogil
    bint cyc_sgt(const u256 *a, const u256 *b) nogil
    void cyc_neg(u256 *r, const u256 *a) nogil
    double CYC_INF

__all__ = ["cycle_output", "optimize_cycle", "optimize_cycles"]

cdef enum:
    KIND_V2 = 0
    KIND_V3 = 1
    MAX_LEGS = 4
    D = 10000
    PIPS = 1000000
    MAX_TICK = 887272

cdef u128 ENUM_CAP = _twin.ENUM_CAP
cdef u128 SCAN = _twin.SCAN
cdef long CLIMB_CAP = _twin.CLIMB_CAP
cdef int POLISH = _twin.POLISH
cdef int SEED_SHIFT = _twin.SEED_SHIFT
cdef double RATE_MARGIN = _twin.RATE_MARGIN
cdef u128 GOLD_LO = _twin.GOLD_LO
cdef u128 GOLD_HI = _twin.GOLD_HI
cdef u128 MILLION = 1000000
cdef u128 X_LIMIT = (<u128>1) << 126
cdef tuple NO_PROFIT = (0, 0, 0)

cdef u256 MIN_SQRT
cdef u256 MAX_SQRT
cdef u256 LIMIT_LO
cdef u256 LIMIT_HI
cdef u256 Q96_U
arb_long_to_u256(_twin.MIN_SQRT_RATIO, &MIN_SQRT)
arb_long_to_u256(_twin.MAX_SQRT_RATIO, &MAX_SQRT)
arb_long_to_u256(_twin.MIN_SQRT_RATIO + 1, &LIMIT_LO)
arb_long_to_u256(_twin.MAX_SQRT_RATIO - 1, &LIMIT_HI)
arb_long_to_u256(1 << 96, &Q96_U)


cdef struct Leg:
    int kind
    u256 rin
    u256 rout
    u128 rin128
    u128 rout128
    bint v2_live       # both reserves non-zero: the 112-bit fast path applies
    uint64_t gamma     # 10000 - fee_bps
    uint64_t g_scaled  # gamma / d on the contract's scale (v2_reduce_scale)
    uint64_t d_scaled
    u256 sqrt_p
    u256 limit
    u256 lmax          # liquidity + sum |nets| (bound on the in-range liquidity)
    int32_t tick
    u128 liq
    uint32_t fee
    int32_t spacing
    int zfo
    bint any_net
    int32_t *ticks
    i128 *nets
    Py_ssize_t n


cdef struct Cyc:
    Leg legs[MAX_LEGS]
    int nlegs
    bint all_v2        # every leg V2 with both reserves non-zero: the u128 chain applies
    u128 cap
    bint has_best
    u128 bx
    u256 bo
    u256 bp            # int256, two's complement


# ---------------------------------------------------------------- conversion (GIL)

cdef inline bint py_uint(object v, u256 *r, int bits) except -1:
    """Python int in [0, 2**bits) -> limbs; False (no exception) when not one."""
    cdef size_t nbits
    if not PyLong_Check(v) or PyBool_Check(v):
        return False
    if _PyLong_Sign(v) < 0:
        return False
    nbits = _PyLong_NumBits(v)
    if nbits > <size_t>bits:
        return False
    arb_long_to_u256(v, r)
    return True


cdef inline bint py_small(object v, long long lo, long long hi, long long *out) except -1:
    cdef int overflow = 0
    cdef long long x
    if not PyLong_Check(v) or PyBool_Check(v):
        return False
    x = PyLong_AsLongLongAndOverflow(v, &overflow)
    if overflow or x < lo or x > hi:
        return False
    out[0] = x
    return True


cdef inline bint py_i128(object v, i128 *out) except -1:
    cdef int overflow = 0
    cdef long long x
    cdef u256 m
    if not PyLong_Check(v) or PyBool_Check(v):
        return False
    x = PyLong_AsLongLongAndOverflow(v, &overflow)
    if not overflow:
        out[0] = <i128>x
        return True
    if _PyLong_Sign(v) >= 0:
        if _PyLong_NumBits(v) > 127:
            return False
        arb_long_to_u256(v, &m)
        out[0] = <i128>u256_low128(&m)
        return True
    if _PyLong_NumBits(v) > 128:
        return False
    arb_long_to_u256(-v, &m)
    if u256_low128(&m) > ((<u128>1) << 127):
        return False
    out[0] = <i128>((<u128>0) - u256_low128(&m))
    return True


cdef int invalid(object leg) except -1:
    _twin._leg(leg)  # raises the twin's exception
    raise SystemError(f"kernel rejected a leg the twin accepts: {leg!r}")


cdef class _TickArrays:
    """A V3 leg's initialized ticks and nets as C arrays, validated once and shared by every
    cycle of one batch call that passes the same tick and net tuples (one pool state)."""
    cdef object ticks_obj, nets_obj   # held so their ids stay unique during the batch
    cdef int32_t *ticks
    cdef i128 *nets
    cdef Py_ssize_t n
    cdef u256 net_sum                 # sum of |net|
    cdef bint any_net

    def __dealloc__(self):
        free(self.ticks)
        free(self.nets)


cdef _TickArrays tick_arrays(object ticks, object nets, int32_t spacing):
    """Validated arrays of (ticks, nets) for ``spacing``; None when they are not valid."""
    cdef _TickArrays t = _TickArrays.__new__(_TickArrays)
    cdef Py_ssize_t i, n = len(<tuple>ticks)
    cdef long long v, prev = -MAX_TICK - 1
    cdef i128 net
    cdef u128 mag
    cdef u256 m
    t.ticks_obj = ticks
    t.nets_obj = nets
    t.n = n
    t.any_net = False
    u256_set_u64(&t.net_sum, 0)
    if len(<tuple>nets) != n:
        return None
    if n:
        t.ticks = <int32_t *>malloc(n * sizeof(int32_t))
        t.nets = <i128 *>malloc(n * sizeof(i128))
        if t.ticks == NULL or t.nets == NULL:
            raise MemoryError()
    for i in range(n):
        if not py_small((<tuple>ticks)[i], -MAX_TICK, MAX_TICK, &v):
            return None
        if v <= prev or v % spacing != 0:
            return None
        prev = v
        t.ticks[i] = <int32_t>v
        if not py_i128((<tuple>nets)[i], &net):
            return None
        t.nets[i] = net
        if net != 0:
            t.any_net = True
        mag = <u128>net if net >= 0 else (<u128>0) - <u128>net
        u256_set_u128(&m, mag)
        u256_add(&t.net_sum, &t.net_sum, &m)
    return t


cdef int parse_leg(object leg, Leg *L, dict cache) except -1:
    """Fill L from a leg tuple. A V3 leg's L.ticks / L.nets point into a _TickArrays held by
    ``cache``, shared with every leg of the call that passes the same tick and net tuples."""
    cdef _TickArrays arrays
    cdef long long v
    cdef u256 t
    L.ticks = NULL
    L.nets = NULL
    L.n = 0
    if not isinstance(leg, tuple) or len(<tuple>leg) == 0:
        return invalid(leg)
    kind = (<tuple>leg)[0]
    if kind == "v2" and len(<tuple>leg) == 4:
        L.kind = KIND_V2
        if not (py_uint(leg[1], &L.rin, 112) and py_uint(leg[2], &L.rout, 112)
                and py_small(leg[3], 0, D - 1, &v)):
            return invalid(leg)
        L.gamma = <uint64_t>(D - v)
        L.g_scaled = L.gamma
        L.d_scaled = D
        v2_reduce_scale(&L.g_scaled, &L.d_scaled)
        L.rin128 = u256_low128(&L.rin)
        L.rout128 = u256_low128(&L.rout)
        L.v2_live = L.rin128 != 0 and L.rout128 != 0
        return 0
    if kind != "v3" or len(<tuple>leg) != 9:
        return invalid(leg)
    L.kind = KIND_V3
    if not py_uint(leg[1], &L.sqrt_p, 160):
        return invalid(leg)
    if u256_cmp(&L.sqrt_p, &MIN_SQRT) < 0 or u256_cmp(&L.sqrt_p, &MAX_SQRT) >= 0:
        return invalid(leg)
    if not py_small(leg[2], -MAX_TICK, MAX_TICK, &v):
        return invalid(leg)
    L.tick = <int32_t>v
    if not py_uint(leg[3], &t, 128):
        return invalid(leg)
    L.liq = u256_low128(&t)
    if not py_small(leg[4], 0, PIPS - 1, &v):
        return invalid(leg)
    L.fee = <uint32_t>v
    if not py_small(leg[5], 1, (1 << 23) - 1, &v):
        return invalid(leg)
    L.spacing = <int32_t>v
    zfo = leg[8]
    if not PyBool_Check(zfo):
        return invalid(leg)
    L.zfo = 1 if zfo else 0
    L.limit = LIMIT_LO if L.zfo else LIMIT_HI
    ticks = leg[6] if type(leg[6]) is tuple else tuple(leg[6])
    nets = leg[7] if type(leg[7]) is tuple else tuple(leg[7])
    key = (id(ticks), id(nets), L.spacing)
    arrays = cache.get(key)
    if arrays is None:
        arrays = tick_arrays(ticks, nets, L.spacing)
        if arrays is None:
            return invalid(leg)
        cache[key] = arrays
    L.ticks = arrays.ticks
    L.nets = arrays.nets
    L.n = arrays.n
    L.any_net = arrays.any_net
    u256_set_u128(&L.lmax, L.liq)
    u256_add(&L.lmax, &L.lmax, &arrays.net_sum)
    return 0


cdef int parse_cycle(object legs, Cyc *c, dict cache) except -1:
    """Fill c from the leg tuples; V3 tick arrays are kept alive by ``cache`` (see
    tick_arrays), which must outlive every use of c."""
    cdef int k = 0, i
    cdef Leg *L
    c.nlegs = 0
    for leg in legs:
        if k >= MAX_LEGS:
            _twin._legs(legs)  # raises: more than 4 legs
            raise SystemError("kernel rejected a cycle the twin accepts")
        parse_leg(leg, &c.legs[k], cache)
        k += 1
        c.nlegs = k
    if k == 0:
        _twin._legs(legs)
        raise SystemError("kernel rejected a cycle the twin accepts")
    c.all_v2 = True
    for i in range(k):
        L = &c.legs[i]
        if L.kind != KIND_V2 or not L.v2_live:
            c.all_v2 = False
            break
    return 0


# ---------------------------------------------------------------- exact quotes (no GIL)

cdef inline bint leg_out(Leg *L, const u256 *ain, u256 *aout) noexcept nogil:
    """Exact output of one leg into aout; False when the leg reverts or returns 0."""
    cdef v3_swap_out so
    cdef int code
    if L.kind == KIND_V2:
        if L.v2_live and (ain.w[3] | ain.w[2] | (ain.w[1] >> 48)) == 0:
            # amount and reserves < 2**112: no SafeMath revert is possible, 3 divq in C
            u256_set_u128(aout, v2_amount_out_112(u256_low128(ain), L.rin128, L.rout128, L.g_scaled, L.d_scaled))
            return not u256_is_zero(aout)
        if v2_amount_out(aout, ain, &L.rin, &L.rout, L.gamma) != V2_OK:
            return False
        return not u256_is_zero(aout)
    if cyc_is_neg(ain):
        return False  # amountSpecified is an int256
    code = v3_swap(L.ticks, L.nets, L.n, &L.sqrt_p, L.tick, L.liq, L.fee, L.spacing, L.zfo,
                   ain, &L.limit, &so)
    if code != V3_OK:
        return False
    if L.zfo:
        cyc_neg(aout, &so.amount1)
    else:
        cyc_neg(aout, &so.amount0)
    return not cyc_is_neg(aout) and not u256_is_zero(aout)


cdef inline void chain(Cyc *c, const u256 *x, u256 *out) noexcept nogil:
    chain_n(c, c.nlegs, x, out)


cdef inline void chain_n(Cyc *c, int nlegs, const u256 *x, u256 *out) noexcept nogil:
    """Output of the first ``nlegs`` legs."""
    cdef u256 a = x[0], b
    cdef int i
    cdef u128 v
    cdef Leg *L
    if c.all_v2 and u256_fits_112(x):
        # amounts stay < 2**112 after the first leg (an output is below its reserve)
        v = u256_low128(x)
        i = 0
        while i < nlegs and v != 0:
            L = &c.legs[i]
            v = v2_amount_out_112(v, L.rin128, L.rout128, L.g_scaled, L.d_scaled)
            i += 1
        u256_set_u128(out, v)
        return
    if u256_is_zero(&a):
        out[0] = a
        return
    for i in range(nlegs):
        if not leg_out(&c.legs[i], &a, &b):
            u256_set_u64(out, 0)
            return
        a = b
    out[0] = a


cdef inline void out_at(Cyc *c, u128 x, u256 *o) noexcept nogil:
    cdef u256 xx
    u256_set_u128(&xx, x)
    chain(c, &xx, o)


cdef inline void ev(Cyc *c, u128 x, u256 *p) noexcept nogil:
    """p = profit at x (int256); keeps the best (strict improvements: ties keep the first)."""
    cdef u256 o, xx
    u256_set_u128(&xx, x)
    chain(c, &xx, &o)
    u256_sub(p, &o, &xx)
    if not c.has_best or cyc_sgt(p, &c.bp):
        c.has_best = True
        c.bx = x
        c.bo = o
        c.bp = p[0]


# ---------------------------------------------------------------- bounds, seed, search

cdef inline bint max_out(Leg *L, u256 *m) noexcept nogil:
    """Bound M on the leg's output; False when M >= 2**256 (no useful bound)."""
    cdef u256 prod, q, r, one
    u256_set_u64(&one, 1)
    if L.kind == KIND_V2:
        if u256_is_zero(&L.rout):
            u256_set_u64(m, 0)
        else:
            u256_sub(m, &L.rout, &one)
        return True
    if L.zfo:  # ceil(lmax * sqrtP / 2**96)
        if u256_mul(&prod, &L.lmax, &L.sqrt_p):
            return False
        u256_divmod(&q, &r, &prod, &Q96_U)
    else:      # ceil(lmax * 2**96 / sqrtP)
        if u256_mul(&prod, &L.lmax, &Q96_U):
            return False
        u256_divmod(&q, &r, &prod, &L.sqrt_p)
    if not u256_is_zero(&r):
        u256_add(&q, &q, &one)
    m[0] = q
    return True


cdef inline bint rates(Cyc *c, double *big_a, double *big_b) noexcept nogil:
    """The twin's ``_rates``, operation for operation; False when a leg is dry."""
    cdef double a, b, fri, gm, s, ba = 1.0, bb = 0.0
    cdef Leg *L
    cdef int i
    for i in range(c.nlegs):
        L = &c.legs[i]
        if L.kind == KIND_V2:
            if u256_is_zero(&L.rin) or u256_is_zero(&L.rout):
                return False
            fri = cyc_u256_to_double(&L.rin)
            gm = <double>L.gamma / 1e4
            a = gm * (cyc_u256_to_double(&L.rout) / fri)
            b = gm / fri
        else:
            if L.liq == 0 and not L.any_net:
                return False
            s = cyc_u256_to_double(&L.sqrt_p) / 79228162514264337593543950336.0
            gm = <double>(PIPS - L.fee) / 1e6
            if L.zfo:
                a = gm * (s * s)
                b = gm * s / u128_to_double(L.liq) if L.liq else CYC_INF
            else:
                a = gm / (s * s)
                b = gm / (u128_to_double(L.liq) * s) if L.liq else CYC_INF
        bb = bb + b * ba
        ba = ba * a
    big_a[0] = ba
    big_b[0] = bb
    return True


cdef inline double u128_to_double(u128 v) noexcept nogil:
    cdef u256 t
    u256_set_u128(&t, v)
    return cyc_u256_to_double(&t)


cdef inline u128 seed_of(double big_a, double big_b, u128 cap) noexcept nogil:
    cdef double xs = (sqrt(big_a) - 1.0) / big_b
    cdef u128 x0
    if xs != xs or xs < 1.0:
        return 1
    if xs >= ldexp(1.0, 126):
        return cap
    x0 = <u128>xs
    return x0 if x0 < cap else cap


cdef inline u128 frac(u128 w, u128 num) noexcept nogil:
    cdef uint64_t w64, n64
    if (w >> 64) == 0:  # 64-bit division by the constant: a multiply, not a libgcc call
        w64 = <uint64_t>w
        n64 = <uint64_t>num
        return <u128>((w64 / 1000000) * n64 + (w64 % 1000000) * n64 / 1000000)
    return (w / MILLION) * num + (w % MILLION) * num / MILLION


cdef inline bint s_pos(const u256 *p) noexcept nogil:
    return not cyc_is_neg(p) and not u256_is_zero(p)


cdef void bracket(Cyc *c, u128 s, u128 *lo_out, u128 *hi_out) noexcept nogil:
    cdef u128 cap = c.cap, top = s, below = 0, above = 0, r, d, d0, nx, lft
    cdef u256 ptop, pn
    cdef int misses
    ev(c, s, &ptop)
    d0 = s >> SEED_SHIFT
    if d0 < 1:
        d0 = 1
    r = s
    d = d0
    misses = 0
    while r < cap:
        nx = r + d if r + d <= cap else cap
        ev(c, nx, &pn)
        if cyc_sgt(&pn, &ptop):
            below = top
            top = nx
            ptop = pn
            above = 0
            misses = 0
        else:
            if above == 0:
                above = nx
            misses += 1
            if misses >= 2 and s_pos(&ptop):
                break
        r = nx
        d = d * 2
    if top == s:
        lft = s
        d = d0
        misses = 0
        while lft > 1:
            nx = lft - d if lft > d else 1
            ev(c, nx, &pn)
            if cyc_sgt(&pn, &ptop):
                above = top
                top = nx
                ptop = pn
                below = 0
                misses = 0
            else:
                if below == 0:
                    below = nx
                misses += 1
                if misses >= 2 and s_pos(&ptop):
                    break
            lft = nx
            d = d * 2
    lo_out[0] = below if below else 1
    hi_out[0] = above if above else cap


cdef void golden(Cyc *c, u128 *pa, u128 *pb) noexcept nogil:
    cdef u128 a = pa[0], b = pb[0], cc, dd
    cdef u256 pc, pd
    if b - a <= SCAN:
        return
    cc = a + frac(b - a, GOLD_LO)
    dd = a + frac(b - a, GOLD_HI)
    ev(c, cc, &pc)
    ev(c, dd, &pd)
    while b - a > SCAN:
        if cyc_sgt(&pd, &pc):  # pc < pd: the maximum is in [c, b]
            a = cc
            cc = dd
            pc = pd
            dd = a + frac(b - a, GOLD_HI)
            if dd <= cc:
                dd = cc + 1
            ev(c, dd, &pd)
        else:
            b = dd
            dd = cc
            pd = pc
            cc = a + frac(b - a, GOLD_LO)
            if cc >= dd:
                cc = dd - 1
            ev(c, cc, &pc)
    pa[0] = a
    pb[0] = b


cdef void snap(Cyc *c) noexcept nogil:
    cdef u128 x = c.bx, hi, lo, j, t, m
    cdef u256 o = c.bo, ot, p
    if u256_is_zero(&o) or x <= 1:
        return
    hi = x
    lo = 0
    j = 1
    while True:
        if j >= x:
            lo = 0
            break
        t = x - j
        out_at(c, t, &ot)
        if u256_cmp(&ot, &o) < 0:
            lo = t
            break
        hi = t
        j = j * 2
    while hi - lo > 1:
        m = lo + (hi - lo) / 2
        out_at(c, m, &ot)
        if u256_cmp(&ot, &o) >= 0:
            hi = m
        else:
            lo = m
    if hi < x:
        ev(c, hi, &p)


cdef inline void part_at(Cyc *c, int k, u128 y, u256 *o) noexcept nogil:
    cdef u256 yy
    u256_set_u128(&yy, y)
    chain_n(c, k, &yy, o)


cdef u128 first_at_least(Cyc *c, int k, const u256 *m, u128 hint) noexcept nogil:
    """The twin's ``first_at_least``: smallest y with part_k(y) >= m; 0 when none <= cap."""
    cdef u128 lo, hi, j, t, mid
    cdef u256 o
    part_at(c, k, hint, &o)
    if u256_cmp(&o, m) >= 0:
        hi = hint
        lo = 0
        j = 1
        while j < hint:
            t = hint - j
            part_at(c, k, t, &o)
            if u256_cmp(&o, m) < 0:
                lo = t
                break
            hi = t
            j = j * 2
    else:
        lo = hint
        hi = 0
        j = 1
        while True:
            t = hint + j
            if t > c.cap:
                t = c.cap
            part_at(c, k, t, &o)
            if u256_cmp(&o, m) >= 0:
                hi = t
                break
            if t == c.cap:
                return 0
            lo = t
            j = j * 2
    while hi - lo > 1:
        mid = lo + (hi - lo) / 2
        part_at(c, k, mid, &o)
        if u256_cmp(&o, m) >= 0:
            hi = mid
        else:
            lo = mid
    return hi


cdef void polish(Cyc *c) noexcept nogil:
    """The twin's ``polish``: walk the left edges of coarse intermediate amounts' steps."""
    cdef int k, step, misses, si
    cdef long it
    cdef bint left_edge
    cdef u128 x, hint, y
    cdef u256 m0, m, o, one, before, p
    u256_set_u64(&one, 1)
    for k in range(1, c.nlegs):
        x = c.bx
        part_at(c, k, x, &m0)
        if u256_is_zero(&m0):
            continue
        if x == 1:
            left_edge = True
        else:
            part_at(c, k, x - 1, &o)
            left_edge = u256_cmp(&o, &m0) < 0
        if left_edge:
            if x >= c.cap:
                continue
            part_at(c, k, x + 1, &o)
            if u256_cmp(&o, &m0) > 0:
                continue
        for si in range(2):
            step = 1 if si == 0 else -1
            hint = c.bx
            part_at(c, k, hint, &m)
            misses = 0
            for it in range(CLIMB_CAP):
                if step > 0:
                    u256_add(&m, &m, &one)
                else:
                    if u256_cmp(&m, &one) <= 0:
                        break
                    u256_sub(&m, &m, &one)
                if misses >= POLISH:
                    break
                y = first_at_least(c, k, &m, hint)
                if y == 0:
                    break
                before = c.bp
                ev(c, y, &p)
                if cyc_sgt(&c.bp, &before):
                    misses = 0
                else:
                    misses += 1
                hint = y


cdef void climb(Cyc *c) noexcept nogil:
    cdef long k
    cdef u128 x
    cdef u256 p, pn
    for k in range(CLIMB_CAP):
        x = c.bx
        p = c.bp
        if x < c.cap:
            ev(c, x + 1, &pn)
            if cyc_sgt(&pn, &p):
                continue
        if x > 1:
            ev(c, x - 1, &pn)
            if cyc_sgt(&pn, &p):
                snap(c)
                continue
        break


cdef int prepare(Cyc *c, const u256 *max_in, bint has_max, double *big_a,
                 double *big_b) noexcept nogil:
    """The twin's ``_optimize`` up to the search: 0 no profit, 1 enumerate, 2 search."""
    cdef u256 m, one, lim
    cdef u128 cap
    u256_set_u64(&one, 1)
    u256_set_u128(&lim, X_LIMIT)
    if max_out(&c.legs[c.nlegs - 1], &m):
        if u256_is_zero(&m):
            return 0
        u256_sub(&m, &m, &one)           # cap = M - 1
    else:
        m = lim
    if has_max and u256_cmp(max_in, &m) < 0:
        m = max_in[0]
    if u256_cmp(&m, &lim) > 0:
        m = lim
    cap = u256_low128(&m)
    if cap < 1:
        return 0
    if not rates(c, big_a, big_b) or big_a[0] <= 1.0 - RATE_MARGIN:
        return 0
    c.cap = cap
    c.has_best = False
    return 1 if cap <= ENUM_CAP else 2


cdef bint run(Cyc *c, int mode, double big_a, double big_b, u128 pre) noexcept nogil:
    """The rest of the twin's ``_optimize``; ``pre`` is optimal_two_pool's input (0: none)."""
    cdef u128 x, a, b
    cdef u256 p
    if mode == 1:
        x = 1
        while x <= c.cap:
            ev(c, x, &p)
            x += 1
    else:
        if pre >= 1 and pre <= c.cap:
            ev(c, pre, &p)
        bracket(c, seed_of(big_a, big_b, c.cap), &a, &b)
        golden(c, &a, &b)
        x = a
        while x <= b:
            ev(c, x, &p)
            x += 1
        snap(c)
        climb(c)
        if c.nlegs > 1:
            polish(c)
            snap(c)
            climb(c)
    return s_pos(&c.bp)


# ---------------------------------------------------------------- Python API

cdef tuple result(Cyc *c, bint ok):
    cdef u256 x
    if not ok:
        return NO_PROFIT
    u256_set_u128(&x, c.bx)
    return (arb_u256_to_long(&x), arb_u256_to_long(&c.bo), arb_u256_to_long(&c.bp))


cdef struct Job:
    Cyc c
    int mode           # prepare's: 0 no profit, 1 enumerate, 2 search
    double big_a
    double big_b
    u128 pre           # optimal_two_pool's input for a two-leg V2 cycle (0: none)
    bint two_v2        # a live two-leg V2 cycle: run computes pre (v2_opt.h) first
    bint ok            # run's verdict: a profitable input was found


cdef int prepare_job(object legs, object max_in, Job *job, dict cache) except -1:
    """Everything that needs the GIL before the search: parse, bound, seed, and the
    closed-form input of a two-leg V2 cycle (errors raise here, in the order of the input)."""
    cdef Cyc *c = &job.c
    cdef u256 mx
    cdef bint has_max = max_in is not None
    cdef u256 t
    job.mode = 0
    job.two_v2 = False
    job.ok = False
    job.pre = 0
    job.big_a = 0.0
    job.big_b = 0.0
    if has_max and not py_uint(max_in, &mx, 256):
        _twin._uint(max_in, "max_in", (1 << 256) - 1)  # raises the twin's error
        raise SystemError("kernel rejected max_in")
    if not isinstance(legs, (list, tuple)):
        legs = tuple(legs)
    parse_cycle(legs, c, cache)
    job.mode = prepare(c, &mx, has_max, &job.big_a, &job.big_b)
    if job.mode == 2 and c.nlegs == 2 and c.legs[0].kind == KIND_V2 and c.legs[1].kind == KIND_V2:
        if c.legs[0].v2_live and c.legs[1].v2_live:
            job.two_v2 = True
        else:  # the twin's exception (a zero reserve)
            l0 = legs[0]
            l1 = legs[1]
            x0 = _optimal_two_pool(l0[1], l0[2], l0[3], l1[1], l1[2], l1[3])[0]
            arb_long_to_u256(x0, &t)  # < 2**113
            job.pre = u256_low128(&t)
    return 0


cdef inline void run_job(Job *job) noexcept nogil:
    cdef v2opt_cycle two
    cdef Cyc *c = &job.c
    if job.two_v2:
        two.a1 = c.legs[0].rin
        two.b1 = c.legs[0].rout
        two.b2 = c.legs[1].rin
        two.a2 = c.legs[1].rout
        two.g1 = c.legs[0].gamma
        two.g2 = c.legs[1].gamma
        if v2opt_optimal(&two):
            job.pre = two.bx
    job.ok = job.mode != 0 and run(c, job.mode, job.big_a, job.big_b, job.pre)


cdef tuple optimize_one(object legs, object max_in, dict cache):
    cdef Job job
    prepare_job(legs, max_in, &job, cache)
    with nogil:
        run_job(&job)
    return result(&job.c, job.ok)


# ---------------------------------------------------------------- batch on native threads

cdef extern from *:
    """
    #include <pthread.h>
    #define CYC_MAX_THREADS 256
    typedef void (*cyc_work_fn)(void *jobs, Py_ssize_t n, Py_ssize_t *next);
    typedef struct { cyc_work_fn fn; void *jobs; Py_ssize_t n; Py_ssize_t *next; } cyc_task;
    static inline Py_ssize_t cyc_fetch_add(Py_ssize_t *p, Py_ssize_t v) {
        return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
    }
    static void *cyc_thread_main(void *arg) {
        cyc_task *t = (cyc_task *)arg;
        t->fn(t->jobs, t->n, t->next);
        return NULL;
    }
    /* fn on this thread and on threads - 1 others, all taking chunks of jobs from one shared
     * counter until none is left; returns the number of threads that ran. A thread that
     * cannot be started leaves its share to the others: every job runs exactly once. */
    static int cyc_run_threads(cyc_work_fn fn, void *jobs, Py_ssize_t n, int threads) {
        Py_ssize_t next = 0;
        cyc_task task = {fn, jobs, n, &next};
        pthread_t tid[CYC_MAX_THREADS];
        int started = 0;
        for (int i = 1; i < threads && i < CYC_MAX_THREADS; i++) {
            if (pthread_create(&tid[started], NULL, cyc_thread_main, &task) != 0) break;
            started++;
        }
        fn(jobs, n, &next);
        for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
        return started + 1;
    }
    """
    ctypedef void (*cyc_work_fn)(void *jobs, Py_ssize_t n, Py_ssize_t *next) noexcept nogil
    Py_ssize_t cyc_fetch_add(Py_ssize_t *p, Py_ssize_t v) nogil
    int cyc_run_threads(cyc_work_fn fn, void *jobs, Py_ssize_t n, int threads) nogil

cdef enum:
    CHUNK = 8          # cycles a thread takes at a time (their costs differ widely)
    BLOCK = 4096       # cycles parsed, sized and turned into results per round (bounds memory)
    MIN_SEARCHES = 32  # searches per thread below which another thread is not worth starting


cdef void work(void *jobs, Py_ssize_t n, Py_ssize_t *next) noexcept nogil:
    cdef Job *js = <Job *>jobs
    cdef Py_ssize_t i, k, end
    while True:
        i = cyc_fetch_add(next, CHUNK)
        if i >= n:
            return
        end = i + CHUNK if i + CHUNK < n else n
        for k in range(i, end):
            run_job(&js[k])


cdef int check_threads(object threads) except 0:
    """The twin's ``_threads``: an int in [1, MAX_THREADS]."""
    if not PyLong_Check(threads) or PyBool_Check(threads) or not 1 <= threads <= _twin.MAX_THREADS:
        _twin._threads(threads)  # raises the twin's error
        raise SystemError(f"kernel rejected threads={threads!r}")
    return threads


def cycle_output(legs, amount_in):
    """Exact output of the cycle for ``amount_in`` of the start token (0 if a leg reverts)."""
    cdef Cyc c
    cdef u256 x, o
    if not py_uint(amount_in, &x, 256):
        _twin._uint(amount_in, "amount_in", (1 << 256) - 1)
        raise SystemError("kernel rejected amount_in")
    cdef dict cache = {}
    parse_cycle(legs, &c, cache)
    chain(&c, &x, &o)
    return arb_u256_to_long(&o)


def optimize_cycle(legs, max_in=None):
    """The most profitable input of the cycle: ``(amount_in, amount_out, profit)``.

    ``(0, 0, 0)`` when no input in ``[1, max_in]`` is profitable; see
    :mod:`arbstream.cyext.cycles_py` for the guarantee.
    """
    return optimize_one(legs, max_in, {})


def optimize_cycles(cycles, threads=1):
    """``optimize_cycle`` over many cycles (each a sequence of leg tuples).

    V3 legs that pass the same ``ticks`` and ``liquidity_nets`` tuple objects (one pool state
    shared by the cycles through that pool) have them validated and converted once per call.
    With ``threads`` > 1 the searches run on up to that many native threads without the GIL,
    one per 32 cycles that need a search (the cycles are parsed, and the results built, on the
    calling thread); the results are the same whatever the number of threads.
    """
    cdef int nthreads = check_threads(threads)
    cdef list out = []
    cdef dict cache = {}
    cdef Py_ssize_t n, k, searches, used, size = BLOCK
    if type(cycles) is list or type(cycles) is tuple:  # a round's jobs: ~1 KiB per cycle
        size = max(1, min(BLOCK, len(cycles)))
    cdef Job *jobs = <Job *>malloc(size * sizeof(Job))
    if jobs == NULL:
        raise MemoryError()
    try:
        it = iter(cycles)
        while True:
            n = 0
            for legs in it:
                prepare_job(legs, None, &jobs[n], cache)
                n += 1
                if n == size:
                    break
            if n == 0:
                break
            searches = 0
            for k in range(n):
                if jobs[k].mode != 0:
                    searches += 1
            # a thread costs tens of microseconds to start: one per MIN_SEARCHES searches
            used = max(1, min(nthreads, searches // MIN_SEARCHES))
            with nogil:
                cyc_run_threads(work, jobs, n, used)  # 1: this thread alone, none started
            for k in range(n):
                out.append(result(&jobs[k].c, jobs[k].ok))
            if n < size:
                break
    finally:
        free(jobs)
    return out
