"""Optimal sizing of 2-4 leg arbitrage cycles over Uniswap V2 and V3 pools, in pure Python.

This is the oracle that the Cython kernel (:mod:`arbstream.cyext._cycles`) is tested against.
The kernel runs the same algorithm on the same integers, so both return the same results.

Legs are plain tuples, so both implementations take the same input:

* V2: ``("v2", reserve_in, reserve_out, fee_bps)``. Reserves are uint112. The quote is
  ``UniswapV2Library.getAmountOut`` with ``fee_bps`` (:mod:`arbstream.cyext.v2_math_py`).
* V3: ``("v3", sqrt_price_x96, tick, liquidity, fee_pips, tick_spacing, ticks, liquidity_nets,
  zero_for_one)``. The quote is ``-amount_out`` of the exact-input ``UniswapV3Pool.swap``
  (:func:`arbstream.cyext.v3.swap_py.swap`), using the default price limit
  ``MIN_SQRT_RATIO + 1`` or ``MAX_SQRT_RATIO - 1``.

``cycle_output(legs, x)`` chains the exact quotes: each leg's output is the next leg's input.
A leg that reverts (any :class:`~arbstream.cyext.errors.PricingError`, or an amount that does
not fit the leg's uint256/int256 parameter) or returns 0 makes the cycle's output 0. The
profit of an input is ``P(x) = cycle_output(legs, x) - x``, in units of the start token.

Optimality guarantee of ``optimize_cycle(legs, max_in)``. The candidate inputs are
``1 <= x <= cap``, where ``cap = min(max_in, 2**126, M - 1)`` and ``M`` bounds the last leg's
output: ``reserve_out - 1`` for V2, and ``ceil(Lmax * sqrtP / 2**96)`` (token1 out) or
``ceil(Lmax * 2**96 / sqrtP)`` (token0 out) for V3, with ``Lmax = liquidity + sum(|nets|)``.
No input above ``cap`` can be profitable, since ``P(x) <= M - x``.

1. No false "unprofitable". The search is skipped and ``(0, 0, 0)`` returned only when
   ``cap < 1``, when a V2 reserve or a V3 liquidity bound is 0 (the output is then 0 for
   every input), or when the product of the legs' marginal rates at zero input is provably
   at most 1. That product is computed in floating point, and the test uses a margin of
   ``1e-12``, far above the rounding error of at most 4 legs. Every leg's integer output is
   at most its marginal rate times its input: for V2 this is ``g*ro/(D*ri)``, and for V3 it
   is ``(1 - fee) * price``, since the price only moves against the trader and every
   rounding favours the pool. So no input is profitable in that case.
2. Exact when small. If ``cap <= ENUM_CAP`` (2048), every input in ``[1, cap]`` is
   evaluated in increasing order. The result is then the exact integer argmax of ``P``, and
   the smallest input on ties. (In the search of case 3, ties keep the input evaluated
   first.)
3. Local optimum otherwise. The result ``x`` satisfies ``P(x) >= P(x - 1)`` (when
   ``x > 1``) and ``P(x) >= P(x + 1)`` (when ``x < cap``). It also has at least the profit
   of every input evaluated along the way: the seed, the bracket, the golden-section points,
   the exact scan of the final ``<= SCAN + 1`` inputs, and the left-edge snap. Because
   ``P`` is concave only up to integer rounding, a local optimum need not be global. Far
   from the optimum, rounding noise is a few units of the last legs' tokens, converted into
   the start token. In tests against dense independent searches, the result stays within 1
   unit of the best input found. Climbing stops after ``CLIMB_CAP`` strict improvements;
   this has never been seen to bind.

The search in case 3 has four steps:

* Two-leg V2 cycles first evaluate the input chosen by ``v2_math.optimal_two_pool``. That is
  the exact argmax whenever its enumeration of mid amounts applies, so on ties the search
  keeps it, and it can only be beaten strictly.
* Seed. Each leg is modelled continuously as ``a x / (1 + b x)``: V2 exactly, and V3 through
  its current range's virtual reserves. The composition is ``A x / (1 + B x)``, where
  ``A = prod a_i`` and ``B = sum b_i prod_{j<i} a_j``. Its optimum is
  ``(sqrt(A) - 1) / B``. For two V2 legs this is the closed form of
  ``v2_math.optimal_two_pool``. All of this is IEEE-754 double arithmetic with correctly
  rounded int-to-float conversions, so the kernel reproduces it bit for bit.
* Bracket. Steps ``d, 2d, 4d, ...`` go right of the seed, with ``d = max(1, seed >> 16)``;
  they go left too if nothing on the right improves. Expansion stops after two
  non-improving steps once a positive profit has been seen, and otherwise runs to ``1`` or
  ``cap``. The bracket is formed by the evaluated neighbours of the best point.
* Integer golden-section search on the exact integer ``P``. Ties keep the left part. It runs
  until the interval is at most ``SCAN`` wide, and then every input of that interval is
  evaluated.
* Snap and climb. Move to the smallest input with the same cycle output (the left edge of
  the output step; exponential then binary search). Then climb on strict improvements.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from arbstream.cyext.errors import FeeError, PricingError, UintRangeError
from arbstream.cyext.v2_math_py import _out as _v2_out
from arbstream.cyext.v2_math_py import optimal_two_pool as _optimal_two_pool

__all__ = [
    "CLIMB_CAP",
    "ENUM_CAP",
    "MAX_SQRT_RATIO",
    "MAX_THREADS",
    "MIN_SQRT_RATIO",
    "SCAN",
    "X_LIMIT",
    "cycle_output",
    "optimize_cycle",
    "optimize_cycles",
]

ENUM_CAP = 2048
SCAN = 32
CLIMB_CAP = 4096
POLISH = 16
SEED_SHIFT = 16
X_LIMIT = 1 << 126
MAX_THREADS = 256
RATE_MARGIN = 1e-12
MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342
Q96 = 1 << 96
Q96F = 2.0**96
D = 10_000
PIPS = 1_000_000
UINT112_MAX = (1 << 112) - 1
UINT128_MAX = (1 << 128) - 1
INT256_MAX = (1 << 255) - 1
INT128_MIN = -(1 << 127)
INT128_MAX = (1 << 127) - 1
MAX_TICK = 887272
GOLD_LO = 381_966  # 1 - 1/phi, in millionths
GOLD_HI = 618_034  # 1/phi
MILLION = 1_000_000
NO_PROFIT = (0, 0, 0)

_swap: Any = None


def _v3_swap() -> Any:
    global _swap
    if _swap is None:
        from arbstream.cyext.v3.swap_py import swap

        _swap = swap
    return _swap


# ---------------------------------------------------------------- leg validation


def _int(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name}: expected int, got {type(value).__name__}")
    return value


def _uint(value: object, name: str, limit: int) -> int:
    v = _int(value, name)
    if v < 0 or v > limit:
        raise UintRangeError(v, limit.bit_length())
    return v


def _leg(leg: object) -> tuple[Any, ...]:
    """Validate one leg descriptor; return it as a normalised tuple."""
    if not isinstance(leg, tuple) or not leg:
        raise TypeError(f"a leg is a tuple ('v2', ...) or ('v3', ...), got {leg!r}")
    kind = leg[0]
    if kind == "v2":
        if len(leg) != 4:
            raise ValueError("v2 leg: ('v2', reserve_in, reserve_out, fee_bps)")
        rin = _uint(leg[1], "reserve_in", UINT112_MAX)
        rout = _uint(leg[2], "reserve_out", UINT112_MAX)
        fee = _int(leg[3], "fee_bps")
        if not 0 <= fee < D:
            raise FeeError(fee)
        return ("v2", rin, rout, D - fee)
    if kind == "v3":
        if len(leg) != 9:
            raise ValueError(
                "v3 leg: ('v3', sqrt_price_x96, tick, liquidity, fee_pips, tick_spacing,"
                " ticks, liquidity_nets, zero_for_one)"
            )
        _, sqrt_p, tick, liq, fee, spacing, ticks, nets, zfo = leg
        sqrt_p = _int(sqrt_p, "sqrt_price_x96")
        if not MIN_SQRT_RATIO <= sqrt_p < MAX_SQRT_RATIO:
            raise ValueError(f"sqrt_price_x96 outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO): {sqrt_p}")
        tick = _int(tick, "tick")
        if not -MAX_TICK <= tick <= MAX_TICK:
            raise ValueError(f"tick outside [-{MAX_TICK}, {MAX_TICK}]: {tick}")
        liq = _uint(liq, "liquidity", UINT128_MAX)
        fee = _int(fee, "fee_pips")
        if not 0 <= fee < PIPS:
            raise ValueError(f"fee_pips must be in [0, 1000000), got {fee}")
        spacing = _int(spacing, "tick_spacing")
        if not 1 <= spacing < 1 << 23:
            raise ValueError(f"tick_spacing must be in [1, 2**23), got {spacing}")
        ticks = tuple(ticks)
        nets = tuple(nets)
        if len(ticks) != len(nets):
            raise ValueError("ticks and liquidity_nets differ in length")
        previous = -MAX_TICK - 1
        for t in ticks:
            _int(t, "tick")
            if t <= previous or t > MAX_TICK or t % spacing:
                raise ValueError(
                    f"initialized ticks must be increasing multiples of {spacing} in"
                    f" [-{MAX_TICK}, {MAX_TICK}], got {t} after {previous}"
                )
            previous = t
        for n in nets:
            n = _int(n, "liquidity_net")
            if not INT128_MIN <= n <= INT128_MAX:
                raise ValueError(f"liquidity_net outside int128: {n}")
        if not isinstance(zfo, bool):
            raise TypeError(f"zero_for_one: expected bool, got {type(zfo).__name__}")
        return ("v3", sqrt_p, tick, liq, fee, spacing, ticks, nets, zfo)
    raise ValueError(f"unknown leg kind {kind!r} (expected 'v2' or 'v3')")


def _legs(legs: Iterable[object]) -> list[tuple[Any, ...]]:
    out = [_leg(leg) for leg in legs]
    if not 1 <= len(out) <= 4:
        raise ValueError(f"a cycle has 1 to 4 legs, got {len(out)}")
    return out


# ---------------------------------------------------------------- exact quotes


def _quote(leg: tuple[Any, ...], amount: int) -> int:
    """Exact output of one leg for ``amount`` in; 0 when the leg reverts."""
    if amount <= 0:
        return 0
    if leg[0] == "v2":
        try:
            return _v2_out(amount, leg[1], leg[2], leg[3])
        except PricingError:
            return 0
    if amount > INT256_MAX:
        return 0  # amountSpecified is an int256
    _, sqrt_p, tick, liq, fee, spacing, ticks, nets, zfo = leg
    limit = MIN_SQRT_RATIO + 1 if zfo else MAX_SQRT_RATIO - 1
    try:
        a0, a1, *_ = _v3_swap()(sqrt_p, tick, liq, fee, spacing, ticks, nets, zfo, amount, limit)
    except PricingError:
        return 0
    out = -(a1 if zfo else a0)
    return out if out > 0 else 0


def _chain(legs: Sequence[tuple[Any, ...]], x: int) -> int:
    for leg in legs:
        x = _quote(leg, x)
        if x == 0:
            return 0
    return x


def cycle_output(legs: Iterable[object], amount_in: int) -> int:
    """Exact output of the cycle for ``amount_in`` of the start token (0 if a leg reverts)."""
    amount = _uint(amount_in, "amount_in", (1 << 256) - 1)
    return _chain(_legs(legs), amount)


# ---------------------------------------------------------------- bounds and seed


def _max_out(leg: tuple[Any, ...]) -> int:
    """An upper bound M on the leg's output for any input."""
    if leg[0] == "v2":
        return max(leg[2] - 1, 0)
    _, sqrt_p, _, liq, _, _, _, nets, zfo = leg
    lmax = liq + sum(abs(n) for n in nets)
    if zfo:
        return -(-(lmax * sqrt_p) // Q96)
    return -(-(lmax * Q96) // sqrt_p)


def _rates(legs: Sequence[tuple[Any, ...]]) -> tuple[float, float] | None:
    """(A, B) of the continuous model ``A x / (1 + B x)``; None when a leg is dry.

    The operations, in this order, are the kernel's (bit-identical doubles).
    """
    big_a = 1.0
    big_b = 0.0
    for leg in legs:
        if leg[0] == "v2":
            rin, rout, g = leg[1], leg[2], leg[3]
            if rin == 0 or rout == 0:
                return None
            fri = float(rin)
            gm = float(g) / 1e4
            a = gm * (float(rout) / fri)
            b = gm / fri
        else:
            _, sqrt_p, _, liq, fee, _, _, nets, zfo = leg
            if liq == 0 and not any(nets):
                return None
            s = float(sqrt_p) / Q96F
            gm = float(PIPS - fee) / 1e6
            if zfo:
                a = gm * (s * s)
                b = gm * s / float(liq) if liq else math.inf
            else:
                a = gm / (s * s)
                b = gm / (float(liq) * s) if liq else math.inf
        big_b = big_b + b * big_a
        big_a = big_a * a
    return big_a, big_b


def _seed(big_a: float, big_b: float, cap: int) -> int:
    xs = (math.sqrt(big_a) - 1.0) / big_b
    if xs != xs or xs < 1.0:
        return 1
    if xs >= 2.0**126:
        return cap
    return min(int(xs), cap)


def _frac(w: int, num: int) -> int:
    """floor-ish ``w * num / 1e6`` without a product wider than the kernel's u128."""
    return (w // MILLION) * num + (w % MILLION) * num // MILLION


# ---------------------------------------------------------------- search


class _Search:
    __slots__ = ("best_o", "best_p", "best_x", "cap", "legs")

    def __init__(self, legs: Sequence[tuple[Any, ...]], cap: int) -> None:
        self.legs = legs
        self.cap = cap
        self.best_x = 0  # 0: nothing evaluated yet
        self.best_o = 0
        self.best_p = 0

    def out(self, x: int) -> int:
        return _chain(self.legs, x)

    def ev(self, x: int) -> int:
        o = _chain(self.legs, x)
        p = o - x
        if self.best_x == 0 or p > self.best_p:  # ties keep the earlier evaluation
            self.best_x, self.best_o, self.best_p = x, o, p
        return p

    def enumerate(self) -> None:
        for x in range(1, self.cap + 1):
            self.ev(x)

    def bracket(self, s: int) -> tuple[int, int]:
        cap = self.cap
        top, ptop = s, self.ev(s)
        d0 = max(1, s >> SEED_SHIFT)
        below, above = 0, 0  # nearest evaluated neighbours of top (0: none)
        r, d, misses = s, d0, 0
        while r < cap:
            nx = r + d if r + d <= cap else cap
            pn = self.ev(nx)
            if pn > ptop:
                below, top, ptop, above, misses = top, nx, pn, 0, 0
            else:
                if above == 0:
                    above = nx
                misses += 1
                if misses >= 2 and ptop > 0:
                    break
            r, d = nx, d * 2
        if top == s:
            lft, d, misses = s, d0, 0
            while lft > 1:
                nx = lft - d if lft > d else 1
                pn = self.ev(nx)
                if pn > ptop:
                    above, top, ptop, below, misses = top, nx, pn, 0, 0
                else:
                    if below == 0:
                        below = nx
                    misses += 1
                    if misses >= 2 and ptop > 0:
                        break
                lft, d = nx, d * 2
        lo = below if below else 1
        hi = above if above else cap
        return lo, hi

    def golden(self, a: int, b: int) -> tuple[int, int]:
        if b - a <= SCAN:
            return a, b
        c = a + _frac(b - a, GOLD_LO)
        d = a + _frac(b - a, GOLD_HI)
        pc, pd = self.ev(c), self.ev(d)
        while b - a > SCAN:
            if pc < pd:  # the maximum is in [c, b]
                a, c, pc = c, d, pd
                d = a + _frac(b - a, GOLD_HI)
                if d <= c:
                    d = c + 1
                pd = self.ev(d)
            else:  # in [a, d]; ties keep the left part
                b, d, pd = d, c, pc
                c = a + _frac(b - a, GOLD_LO)
                if c >= d:
                    c = d - 1
                pc = self.ev(c)
        return a, b

    def snap(self) -> None:
        """Move best to the smallest input with the same cycle output (never worse)."""
        x, o = self.best_x, self.best_o
        if o == 0 or x <= 1:
            return
        hi, lo, j = x, 0, 1
        while True:
            t = x - j
            if t < 1:
                lo = 0
                break
            if self.out(t) < o:
                lo = t
                break
            hi = t
            j *= 2
        while hi - lo > 1:
            m = (lo + hi) // 2
            if self.out(m) >= o:
                hi = m
            else:
                lo = m
        if hi < x:
            self.ev(hi)

    def first_at_least(self, k: int, m: int, hint: int) -> int:
        """Smallest y >= 1 with ``_chain(legs[:k], y) >= m`` (exponential then binary search
        from ``hint``); 0 when no y <= cap reaches m."""
        part = self.legs[:k]
        if _chain(part, hint) >= m:
            hi, lo, j = hint, 0, 1
            while j < hint:
                t = hint - j
                if _chain(part, t) < m:
                    lo = t
                    break
                hi = t
                j *= 2
        else:
            lo, hi, j = hint, 0, 1
            while True:
                t = hint + j
                if t > self.cap:
                    t = self.cap
                if _chain(part, t) >= m:
                    hi = t
                    break
                if t == self.cap:
                    return 0
                lo = t
                j *= 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _chain(part, mid) >= m:
                hi = mid
            else:
                lo = mid
        return hi

    def polish(self) -> None:
        """Walk the left edges of the steps of every coarse intermediate amount.

        An intermediate amount is coarse when its steps are wider than one input unit, as with
        a high-value token mid-cycle. Inside a step, the profit falls by 1 per input unit.
        That sawtooth can hide a slope of well under 1 per unit from the golden section, for
        example towards a V3 range running dry. So from the best input, move step by step in
        each direction, evaluating each step's smallest input. A direction stops after
        ``POLISH`` steps in a row without a strict improvement.
        """
        for k in range(1, len(self.legs)):
            part = self.legs[:k]
            x = self.best_x
            m0 = _chain(part, x)
            if m0 == 0:
                continue
            if (x == 1 or _chain(part, x - 1) < m0) and (x >= self.cap or _chain(part, x + 1) > m0):
                continue  # every input is a left edge here: the scan covered them
            for step in (1, -1):
                hint = self.best_x
                m = _chain(part, hint)
                misses = 0
                for _ in range(CLIMB_CAP):
                    m += step
                    if m < 1 or misses >= POLISH:
                        break
                    y = self.first_at_least(k, m, hint)
                    if y == 0:
                        break
                    before = self.best_p
                    self.ev(y)
                    misses = 0 if self.best_p > before else misses + 1
                    hint = y

    def climb(self) -> None:
        for _ in range(CLIMB_CAP):
            x, p = self.best_x, self.best_p
            if x < self.cap and self.ev(x + 1) > p:
                continue
            if x > 1 and self.ev(x - 1) > p:
                self.snap()
                continue
            break


def _two_pool(legs: Sequence[tuple[Any, ...]]) -> int:
    """The input ``v2_math.optimal_two_pool`` picks for a two-leg V2 cycle (0: none)."""
    (_, a1, b1, g1), (_, b2, a2, g2) = legs
    return _optimal_two_pool(a1, b1, D - g1, b2, a2, D - g2)[0]


def _optimize(
    legs: Sequence[tuple[Any, ...]], max_in: int | None, enum_cap: int
) -> tuple[int, int, int]:
    cap = _max_out(legs[-1]) - 1
    if max_in is not None:
        cap = min(cap, _uint(max_in, "max_in", (1 << 256) - 1))
    cap = min(cap, X_LIMIT)
    if cap < 1:
        return NO_PROFIT
    rates = _rates(legs)
    if rates is None or rates[0] <= 1.0 - RATE_MARGIN:
        return NO_PROFIT
    srch = _Search(legs, cap)
    if cap <= enum_cap:
        srch.enumerate()
    else:
        if len(legs) == 2 and legs[0][0] == legs[1][0] == "v2":
            # v2_math.optimal_two_pool: its closed form, plus an exact enumeration of the
            # mid amounts that can beat it when there are at most 2048 of them
            x0 = _two_pool(legs)
            if 1 <= x0 <= cap:
                srch.ev(x0)
        a, b = srch.bracket(_seed(rates[0], rates[1], cap))
        a, b = srch.golden(a, b)
        for x in range(a, b + 1):
            srch.ev(x)
        srch.snap()
        srch.climb()
        if len(legs) > 1:
            srch.polish()
            srch.snap()
            srch.climb()
    if srch.best_p <= 0:
        return NO_PROFIT
    return srch.best_x, srch.best_o, srch.best_p


def optimize_cycle(legs: Iterable[object], max_in: int | None = None) -> tuple[int, int, int]:
    """The most profitable input of the cycle: ``(amount_in, amount_out, profit)``.

    Returns ``(0, 0, 0)`` when no input in ``[1, max_in]`` is profitable. See the module
    docstring for the guarantee: exact, with the smallest input on ties, when the bound on
    profitable inputs is at most ``ENUM_CAP``; otherwise a local optimum of the exact integer
    profit.
    """
    return _optimize(_legs(legs), max_in, ENUM_CAP)


def _threads(threads: object) -> int:
    n = _int(threads, "threads")
    if not 1 <= n <= MAX_THREADS:
        raise ValueError(f"threads must be in [1, {MAX_THREADS}], got {n}")
    return n


def optimize_cycles(
    cycles: Iterable[Iterable[object]], threads: int = 1
) -> list[tuple[int, int, int]]:
    """``optimize_cycle`` over many cycles (each a sequence of leg tuples).

    ``threads`` is the number of native threads the compiled kernel sizes the cycles on; it is
    checked here (an int in ``[1, MAX_THREADS]``) but pure Python runs them one after another
    under the GIL. The results do not depend on it.
    """
    _threads(threads)
    return [_optimize(_legs(legs), None, ENUM_CAP) for legs in cycles]
