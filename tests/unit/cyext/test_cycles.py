"""Optimal sizing of 2-4 leg V2/V3 cycles, for the pure-Python twin and the Cython kernel.

Every test body runs for both implementations. Each result is checked against an independent
reference chain, built from ``v2_math_py.get_amount_out`` and ``v3.swap_py.swap`` rather than
the optimiser's own code:

* Small cases (2, 3 and 4 legs; V2 only, and mixed with small V3 pools): brute force over
  every input that could be profitable. The optimiser must return the same profit, at the
  smallest argmax.
* Large realistic cases (reserves of 1e18 to 1e27; V3 pools with several initialised ticks):
  the result is a local optimum. For V2-only cycles it is also within one unit of the best
  input found by a dense independent search around it. For mixed cycles the bound is
  relative, 1e-12 of the profit (see the test).
* Kernel against twin on more than 2,000 hypothesis cases.
* The batch API against per-cycle calls.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arbstream.cyext import cycles, v2_math_py
from arbstream.cyext import cycles_py as twin
from arbstream.cyext.errors import FeeError, PricingError, UintRangeError
from arbstream.cyext.v3 import swap_py
from arbstream.cyext.v3.tick_math_py import get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio
from tests.mutation.budget import MUTATING, sized, subset

from .parity import assert_missing_kernel_falls_back

try:
    from arbstream.cyext import _cycles as kernel
except ImportError:  # pragma: no cover - test_kernel_is_built fails in that case
    kernel = None  # type: ignore[assignment]

IMPLS = [pytest.param(twin, id="python")]
if kernel is not None and not MUTATING:  # make mutate: the twin is the module under test
    IMPLS.append(pytest.param(kernel, id="cython"))

MIN_SQRT = twin.MIN_SQRT_RATIO
MAX_SQRT = twin.MAX_SQRT_RATIO
Leg = tuple[Any, ...]


# ---------------------------------------------------------------- independent reference


def ref_leg(leg: Leg, amount: int) -> int:
    if amount <= 0:
        return 0
    if leg[0] == "v2":
        try:
            return v2_math_py.get_amount_out(amount, leg[1], leg[2], leg[3])
        except PricingError:
            return 0
    _, sqrt_p, tick, liq, fee, spacing, ticks, nets, zfo = leg
    if amount >= 2**255:
        return 0
    limit = MIN_SQRT + 1 if zfo else MAX_SQRT - 1
    try:
        a0, a1, *_ = swap_py.swap(sqrt_p, tick, liq, fee, spacing, ticks, nets, zfo, amount, limit)
    except PricingError:
        return 0
    return max(-(a1 if zfo else a0), 0)


def ref_out(legs: Sequence[Leg], x: int) -> int:
    for leg in legs:
        x = ref_leg(leg, x)
        if x == 0:
            return 0
    return x


def ref_profit(legs: Sequence[Leg], x: int) -> int:
    return ref_out(legs, x) - x


def assert_reference_local_optimum(legs: Sequence[Leg], result: tuple[int, int, int]) -> None:
    """``result`` (amount in, amount out, profit) is what the reference chain gives for its
    input, and no neighbouring input pays more; no profit is ``(0, 0, 0)``."""
    x, o, p = result
    if p == 0:
        assert result == (0, 0, 0), (legs, result)
        return
    assert o == ref_out(legs, x) and p == o - x > 0, (legs, result)
    assert p >= ref_profit(legs, x + 1), (legs, result)
    assert x == 1 or p >= ref_profit(legs, x - 1), (legs, result)


def last_leg_total(leg: Leg) -> int:
    """Everything the last leg can pay out: no input at or above this is profitable."""
    if leg[0] == "v2":
        return leg[2]
    out = ref_leg(leg, 2**200)
    return out + 1 if out else twin._max_out(twin._leg(leg))


_BRUTE: dict[str, tuple[int, int, int]] = {}


def brute_force(legs: Sequence[Leg]) -> tuple[int, int, int]:
    key = repr(legs)
    if key not in _BRUTE:
        _BRUTE[key] = _brute_force(legs)
    return _BRUTE[key]


def _brute_force(legs: Sequence[Leg]) -> tuple[int, int, int]:
    best = (0, 0, 0)
    for x in range(1, last_leg_total(legs[-1]) + 1):
        o = ref_out(legs, x)
        if o - x > best[2]:  # strict: the smallest argmax
            best = (x, o, o - x)
    return best


# ---------------------------------------------------------------- pool builders


def v3_pool(
    rng: random.Random,
    tick: int,
    spacing: int,
    fee: int,
    positions: int,
    liq_range: tuple[int, int],
    width: int,
    zfo: bool,
    full_range: int = 0,
) -> Leg:
    """A consistent V3 pool: positions around ``tick`` (and a full-range one of
    ``full_range`` liquidity), in-range liquidity summed from them."""
    nets: dict[int, int] = {}
    if full_range:
        edge = 887272 // spacing * spacing
        nets[-edge] = full_range
        nets[edge] = -full_range
    for _ in range(positions):
        lo = (tick // spacing - rng.randint(0, width)) * spacing
        hi = (tick // spacing + rng.randint(1, width)) * spacing
        amount = rng.randint(*liq_range)
        nets[lo] = nets.get(lo, 0) + amount
        nets[hi] = nets.get(hi, 0) - amount
    ticks = tuple(sorted(t for t, n in nets.items() if n))
    sqrt_lo, sqrt_hi = get_sqrt_ratio_at_tick(tick), get_sqrt_ratio_at_tick(tick + 1)
    sqrt_p = rng.randint(sqrt_lo, sqrt_hi - 1)
    cur = get_tick_at_sqrt_ratio(sqrt_p)
    liq = sum(nets[t] for t in ticks if t <= cur)
    return ("v3", sqrt_p, cur, liq, fee, spacing, ticks, tuple(nets[t] for t in ticks), zfo)


def small_v2(rng: random.Random, scale: int) -> Leg:
    r_in = rng.randint(scale // 2, scale)
    return ("v2", r_in, max(2, int(r_in * rng.uniform(0.6, 1.6))), rng.choice((30, 25, 5, 100)))


def small_v3(rng: random.Random, zfo: bool, depth: int = 1) -> Leg:
    """A small pool (``depth`` scales its liquidity). Its full-range position keeps the
    brute-force swaps short: they never walk through thousands of empty bitmap words to the
    price limit."""
    return v3_pool(
        rng,
        tick=rng.randint(-3000, 3000),
        spacing=rng.choice((10, 60, 200)),
        fee=rng.choice((500, 3000, 10000)),
        positions=rng.randint(1, 2),
        liq_range=(50 * depth, 250 * depth),
        width=rng.choice((1, 3, 10)),
        zfo=zfo,
        full_range=rng.randint(20, 150) * depth,
    )


def small_cycle(rng: random.Random, n: int, mixed: bool) -> list[Leg]:
    """A small cycle whose last leg pays at most ENUM_CAP: the exhaustive regime. Two in three
    have a marginal rate at zero input above 1.03 (1.15 when mixed: small V3 pools lose
    more to rounding), so that many of them pay."""
    want_rate = rng.random() < 0.67
    while True:
        # the last leg bounds the inputs that can pay (<= ENUM_CAP): the others may be deeper
        depth = [rng.choice((10, 50)) for _ in range(n - 1)] + [1]
        legs = [
            small_v3(rng, rng.random() < 0.5, depth[i])
            if mixed and rng.random() < 0.6
            else small_v2(rng, 1500 * depth[i])
            for i in range(n)
        ]
        if mixed and not any(leg[0] == "v3" for leg in legs):
            i = rng.randrange(n)
            legs[i] = small_v3(rng, rng.random() < 0.5, depth[i])
        if twin._max_out(twin._leg(legs[-1])) - 1 > twin.ENUM_CAP:
            continue
        rates = twin._rates(twin._legs(legs))
        if not want_rate or (rates is not None and rates[0] > (1.15 if mixed else 1.03)):
            return legs


def big_v2(rng: random.Random, price: float, skew: float) -> tuple[Leg, Leg]:
    """Two directions of a deep V2 pool of a pair priced ``price`` (out per in), skewed."""
    big = rng.randint(10**18, 10**27)  # the deeper side; the other is priced from it
    if price * skew >= 1:
        r_out, r_in = big, max(1, int(big / (price * skew)))
    else:
        r_in, r_out = big, max(1, int(big * price * skew))
    fee = rng.choice((30, 25, 5))
    return ("v2", r_in, r_out, fee), ("v2", r_out, r_in, fee)


def big_v3(rng: random.Random, price: float, zfo: bool) -> Leg:
    """A deep V3 pool: token1/token0 price ``price`` (zfo) or its inverse (not zfo)."""
    import math

    p10 = price if zfo else 1 / price
    tick = int(math.log(p10) / math.log(1.0001))
    spacing = rng.choice((1, 10, 60))
    fee = {1: 100, 10: 500, 60: 3000}[spacing]
    liq0 = rng.randint(10**17, 10**22)
    return v3_pool(
        rng,
        tick=tick,
        spacing=spacing,
        fee=fee,
        positions=rng.randint(3, 8),
        liq_range=(liq0 // 10, liq0),
        width=rng.choice((2, 5, 30, 300)),
        zfo=zfo,
    )


def big_cycle(rng: random.Random, n: int, mixed: bool) -> list[Leg]:
    """A realistic cycle over tokens with prices p_i: each leg's price is p_in/p_out, mispriced."""
    prices = [10 ** rng.uniform(-6, 6) for _ in range(n)]
    legs: list[Leg] = []
    for i in range(n):
        rate = prices[i] / prices[(i + 1) % n] * rng.uniform(0.985, 1.03)
        if mixed and (rng.random() < 0.5 or (i == n - 1 and not any(g[0] == "v3" for g in legs))):
            legs.append(big_v3(rng, rate, rng.random() < 0.5))
        else:
            legs.append(big_v2(rng, rate, 1.0)[0])
    return legs


# ---------------------------------------------------------------- implementation selection


def test_kernel_is_built() -> None:
    """The compiled kernel must be importable and selected, unless ARBSTREAM_NO_CYTHON=1."""
    if os.environ.get("ARBSTREAM_NO_CYTHON") == "1":
        assert cycles.IMPLEMENTATION == "python"
        assert cycles.optimize_cycle is twin.optimize_cycle
    else:
        assert kernel is not None, "arbstream.cyext._cycles was not built"
        assert kernel.__file__ is not None and not kernel.__file__.endswith(".py")
        assert cycles.IMPLEMENTATION == "cython"
        assert cycles.optimize_cycles is kernel.optimize_cycles


def test_missing_kernel_falls_back_to_twin_with_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert_missing_kernel_falls_back(monkeypatch, caplog, cycles, "_cycles", twin.optimize_cycle)


# ---------------------------------------------------------------- quotes and validation


@pytest.mark.parametrize("impl", IMPLS)
def test_cycle_output_chains_exact_quotes(impl: ModuleType) -> None:
    rng = random.Random(7)
    for n in (1, 2, 3, 4):
        for mixed in (False, True):
            for _ in range(5):
                legs = big_cycle(rng, n, mixed) if n > 1 else [big_v3(rng, 2.0, True)]
                for x in (1, 10**6, 10**15, 10**18, 10**21, 2**200, 2**255, 2**256 - 1):
                    assert impl.cycle_output(legs, x) == ref_out(legs, x), (legs, x)


@pytest.mark.parametrize("impl", IMPLS)
def test_reverting_or_empty_legs_give_zero(impl: ModuleType) -> None:
    v2 = ("v2", 10**6, 10**6, 30)
    assert impl.cycle_output([v2, ("v2", 0, 10**6, 30)], 1000) == 0  # INSUFFICIENT_LIQUIDITY
    assert impl.cycle_output([v2, v2], 0) == 0
    assert impl.cycle_output([("v2", 10**30, 1, 30), v2], 10) == 0  # an intermediate 0
    assert impl.cycle_output([("v2", 1, 2**112 - 1, 30)] * 2, 2**150) == 0  # SafeMath revert
    dry = ("v3", 2**96, 0, 0, 3000, 10, (), (), True)
    assert impl.cycle_output([dry, v2], 10**6) == 0
    assert impl.optimize_cycle([dry, v2]) == (0, 0, 0)
    assert impl.optimize_cycle([("v2", 10**6, 0, 30), v2]) == (0, 0, 0)
    assert impl.optimize_cycle([v2, v2]) == (0, 0, 0)
    assert impl.optimize_cycle([v2, ("v2", 10**6, 2 * 10**6, 30)], max_in=0) == (0, 0, 0)


BAD_LEGS: list[tuple[Any, type[BaseException]]] = [
    ([("v4", 1, 2, 3)], ValueError),
    ([("v2", 1, 2)], ValueError),
    ([["v2", 1, 2, 30]], TypeError),
    ([("v2", -1, 2, 30)], UintRangeError),
    ([("v2", 2**112, 2, 30)], UintRangeError),
    ([("v2", 1, 2, 10_000)], FeeError),
    ([("v2", 1.0, 2, 30)], TypeError),
    ([("v2", 1, 2, 30)] * 5, ValueError),
    ([], ValueError),
    ([("v3", 2**96, 0, 1, 3000, 10, (), (), 1)], TypeError),
    ([("v3", 2**96, 0, 1, 3000, 10, (20, 10), (1, -1), True)], ValueError),
    ([("v3", 2**96, 0, 1, 3000, 10, (15,), (1,), True)], ValueError),
    ([("v3", 2**96, 0, 1, 3000, 10, (10,), (1, 2), True)], ValueError),
    ([("v3", 2**96, 0, 1, 3000, 10, (10,), (2**127,), True)], ValueError),
    ([("v3", 2**96, 0, 2**128, 3000, 10, (), (), True)], UintRangeError),
    ([("v3", MIN_SQRT - 1, 0, 1, 3000, 10, (), (), True)], ValueError),
    ([("v3", 2**96, 0, 1, 10**6, 10, (), (), True)], ValueError),
    ([("v3", 2**96, 0, 1, 3000, 0, (), (), True)], ValueError),
    ([("v3", 2**96, 900_000, 1, 3000, 10, (), (), True)], ValueError),
]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize(("legs", "exc"), BAD_LEGS)
def test_invalid_legs_raise_the_same_errors(impl: ModuleType, legs: Any, exc: type) -> None:
    with pytest.raises(exc):
        impl.optimize_cycle(legs)
    with pytest.raises(exc):
        impl.cycle_output(legs, 1)
    with pytest.raises(exc):
        impl.optimize_cycles([[("v2", 5, 6, 30)] * 2, legs])


@pytest.mark.parametrize("impl", IMPLS)
def test_bad_amounts(impl: ModuleType) -> None:
    legs = [("v2", 10**6, 2 * 10**6, 30), ("v2", 10**6, 10**6, 30)]
    for bad, exc in ((-1, UintRangeError), (2**256, UintRangeError), (1.5, TypeError)):
        with pytest.raises(exc):
            impl.cycle_output(legs, bad)
        with pytest.raises(exc):
            impl.optimize_cycle(legs, max_in=bad)


# ---------------------------------------------------------------- exactness: brute force


SMALL = [(n, False, seed) for n in (2, 3, 4) for seed in range(8)]
SMALL += [(n, True, seed) for n in (2, 3, 4) for seed in range(8)]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize(("n", "mixed", "seed"), SMALL)
def test_small_cycles_are_the_brute_force_argmax(
    impl: ModuleType, n: int, mixed: bool, seed: int
) -> None:
    """Every input that could be profitable is tried; the result is the smallest argmax."""
    rng = random.Random(1000 * n + 100 * mixed + seed)
    for _ in range(2 if mixed else 6):
        legs = small_cycle(rng, n, mixed)
        assert impl.optimize_cycle(legs) == brute_force(legs), legs


def test_small_cases_include_profitable_cycles() -> None:
    """Guard against a vacuous brute-force test: many of the small cycles do pay."""
    paying = 0
    for n, mixed, seed in SMALL:
        rng = random.Random(1000 * n + 100 * mixed + seed)
        for _ in range(2 if mixed else 6):
            paying += brute_force(small_cycle(rng, n, mixed))[2] > 0
    assert paying >= 40


@pytest.mark.parametrize("impl", IMPLS)
def test_max_in_is_the_brute_force_argmax_below_it(impl: ModuleType) -> None:
    rng = random.Random(5)
    checked = 0
    while checked < 20:
        legs = small_cycle(rng, rng.choice((2, 3)), mixed=rng.random() < 0.3)
        x, _, p = brute_force(legs)
        if p <= 0 or x < 3:
            continue
        cap = rng.randint(1, x - 1)
        best = (0, 0, 0)
        for y in range(1, cap + 1):
            o = ref_out(legs, y)
            if o - y > best[2]:
                best = (y, o, o - y)
        assert impl.optimize_cycle(legs, max_in=cap) == best
        checked += 1


def test_search_mode_is_a_local_optimum_on_small_cycles() -> None:
    """With the exhaustive regime disabled, the search still returns a local optimum."""
    rng = random.Random(11)
    zeros = paying = 0
    for _ in range(40):
        legs = small_cycle(rng, rng.choice((2, 3, 4)), mixed=rng.random() < 0.4)
        norm = twin._legs(legs)
        x, o, p = twin._optimize(norm, None, 0)
        if p == 0:
            # no profit found: the smallest input already loses, and on these cycles no input
            # pays at all (the brute force agrees that zero is the optimum)
            zeros += 1
            assert ref_profit(legs, 1) <= 0, legs
            assert brute_force(legs) == (0, 0, 0), legs
            continue
        paying += 1
        assert o == ref_out(legs, x) and p == o - x
        assert p >= ref_profit(legs, x + 1)
        if x > 1:
            assert p >= ref_profit(legs, x - 1)
        assert p <= brute_force(legs)[2]
    assert zeros >= 5 and paying >= 20, (zeros, paying)  # both branches are exercised


# ---------------------------------------------------------------- large realistic cycles


def dense_best(legs: Sequence[Leg], x: int) -> tuple[int, int]:
    """An independent dense search around x: every input within +-600, and +-12 around
    points of a relative grid from -2 % to +2 % (steps of 0.1 %); under ``make mutate``
    +-60 and +-2 around the same grid."""
    best_p, best_x = ref_profit(legs, x), x
    near, around = sized(600, 60), sized(12, 2)
    pts = set(range(max(1, x - near), x + near + 1))
    for k in range(-20, 21):
        c = x + x * k // 1000
        pts.update(range(max(1, c - around), c + around + 1))
    for y in sorted(pts):
        p = ref_profit(legs, y)
        if p > best_p:
            best_p, best_x = p, y
    return best_p, best_x


LARGE = [(n, mixed, seed) for n in (2, 3, 4) for mixed in (False, True) for seed in range(3)]
# make mutate: every V2 case, and the mixed cases whose V3 swaps are the fewest
LARGE = subset(LARGE, [c for c in LARGE if not c[1]] + [(2, True, 0), (3, True, 0), (4, True, 1)])


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize(("n", "mixed", "seed"), LARGE)
def test_large_cycles_local_optimum_and_dense_search(
    impl: ModuleType, n: int, mixed: bool, seed: int
) -> None:
    rng = random.Random(50_000 + 1000 * n + 100 * mixed + seed)
    found = 0
    for _ in range(200):
        legs = big_cycle(rng, n, mixed)
        x, o, p = impl.optimize_cycle(legs)
        if p == 0:
            continue
        found += 1
        assert o == ref_out(legs, x) and p == o - x > 0
        assert p >= ref_profit(legs, x - 1)
        assert p >= ref_profit(legs, x + 1)
        best_p, best_x = dense_best(legs, x)
        # V2 only: within one unit. Mixed: V3 range edges put kinks on the profit curve, and a
        # coarse token's sawtooth can hide the last stretch towards one. The gap seen is then
        # at most a few dozen units of 1e14..1e18: asserted below a 1e-12 relative bound.
        tol = 1 if not mixed else max(1, p // 10**12)
        assert p >= best_p - tol, (legs, x, p, best_x, best_p)
        if found == 2:
            break
    assert found == 2


@pytest.mark.parametrize("impl", IMPLS)
def test_two_leg_v2_matches_optimal_two_pool(impl: ModuleType) -> None:
    """v2_math.optimal_two_pool's input seeds 2-leg V2 cycles: never a lower profit."""
    rng = random.Random(3)
    paying = 0
    for _ in range(150):
        a = rng.randint(10**18, 10**26)
        p = 10 ** rng.uniform(-5, 5)
        a2 = rng.randint(10**18, 10**26)
        row = (a, int(a * p), 30, int(a2 * p * rng.uniform(0.97, 1.03)), a2, rng.choice((30, 5)))
        ref = v2_math_py.optimal_two_pool(*row)
        got = impl.optimize_cycle([("v2", row[0], row[1], row[2]), ("v2", row[3], row[4], row[5])])
        # optimal_two_pool's input is evaluated first (the exact argmax when its mid
        # enumeration applies): the search can only improve on it
        assert got[2] >= ref[3]
        if ref[3] > 0:
            paying += 1
            assert got[2] > 0
    assert paying > 30


# ---------------------------------------------------------------- kernel == twin


def _kernel() -> ModuleType:
    assert kernel is not None, "arbstream.cyext._cycles was not built"
    return kernel


def v2_legs(draw: Any, n: int) -> list[Leg]:
    prices = [10 ** draw(st.floats(-6, 6)) for _ in range(n)]
    legs: list[Leg] = []
    for i in range(n):
        r_in = draw(st.integers(1, 2**112 - 1) | st.integers(10**18, 10**27))
        rate = prices[i] / prices[(i + 1) % n] * draw(st.floats(0.98, 1.05))
        r_out = min(max(int(r_in * rate), 1), 2**112 - 1)
        legs.append(("v2", r_in, r_out, draw(st.sampled_from((30, 25, 5, 1, 0, 100)))))
    return legs


@st.composite
def v2_cycles(draw: Any) -> list[Leg]:
    return v2_legs(draw, draw(st.integers(2, 4)))


@st.composite
def mixed_cycles(draw: Any) -> list[Leg]:
    n = draw(st.integers(2, 4))
    rng = random.Random(draw(st.integers(0, 2**32)))
    small = draw(st.booleans())
    if small:
        return small_cycle(rng, n, mixed=True)
    return big_cycle(rng, n, mixed=True)


# kernel == twin: 8,000 + 300 + 1,400 + 300 = 10,000 hypothesis cases for the sizing kernel
@pytest.mark.parity
@settings(max_examples=8000, deadline=None, suppress_health_check=list(HealthCheck))
@given(v2_cycles())
def test_kernel_matches_twin_v2(legs: list[Leg]) -> None:
    k = _kernel()
    assert k.optimize_cycle(legs) == twin.optimize_cycle(legs)


@pytest.mark.parity
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(mixed_cycles())
def test_kernel_matches_twin_mixed(legs: list[Leg]) -> None:
    k = _kernel()
    assert k.optimize_cycle(legs) == twin.optimize_cycle(legs)


@pytest.mark.parity
@settings(max_examples=1400, deadline=None, suppress_health_check=list(HealthCheck))
@given(mixed_cycles(), st.integers(0, 2**256 - 1) | st.integers(0, 10**24))
def test_kernel_matches_twin_cycle_output(legs: list[Leg], x: int) -> None:
    assert _kernel().cycle_output(legs, x) == twin.cycle_output(legs, x)


@pytest.mark.parity
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(v2_cycles(), st.integers(0, 2**130))
def test_kernel_matches_twin_max_in(legs: list[Leg], max_in: int) -> None:
    assert _kernel().optimize_cycle(legs, max_in) == twin.optimize_cycle(legs, max_in)


# ---------------------------------------------------------------- batch API


@pytest.mark.parametrize("impl", IMPLS)
def test_batch_equals_per_cycle(impl: ModuleType) -> None:
    rng = random.Random(99)
    batch = [big_cycle(rng, rng.choice((2, 3, 4)), rng.random() < 0.3) for _ in range(sized(60, 8))]
    batch += [small_cycle(rng, rng.choice((2, 3)), rng.random() < 0.5) for _ in range(sized(20, 4))]
    batch += [[tuple(leg) for leg in legs] for legs in batch[:3]]  # iterables of tuples
    assert impl.optimize_cycles(batch) == [impl.optimize_cycle(legs) for legs in batch]
    assert impl.optimize_cycles(iter(batch[:5])) == [
        impl.optimize_cycle(legs) for legs in batch[:5]
    ]
    assert impl.optimize_cycles([]) == []


def shared_v3_batch() -> tuple[Leg, list[list[Leg]]]:
    """Cycles through one V3 pool sharing its leg tuple, and the same legs with its ticks as
    lists (separate pool data for the kernel)."""
    rng = random.Random(7)
    shared = big_v3(rng, 2000.0, True)
    batch = [
        [shared, *big_v2(rng, 1 / 2000.0, rng.uniform(0.99, 1.03))[:1]] for _ in range(sized(12, 4))
    ]
    as_lists = (*shared[:6], list(shared[6]), list(shared[7]), shared[8])
    batch += [[as_lists, legs[1]] for legs in batch[:3]]
    return shared, batch


def bad_spacing_batch() -> list[list[Leg]]:
    """A batch whose second cycle shares the first one's V3 state with a tick spacing of 7 its
    ticks are not multiples of."""
    shared, batch = shared_v3_batch()
    bad = (*shared[:5], 7, shared[6], shared[7], shared[8])
    return [batch[0], [bad, batch[0][1]]]


@pytest.mark.parametrize("impl", IMPLS)
def test_batch_sharing_one_v3_pool_state(impl: ModuleType) -> None:
    """Cycles through one V3 pool share its leg tuple (the kernel converts its ticks once per
    call); the same ticks with another spacing, or as lists, are separate pool data. Each
    result is the reference chain's local optimum."""
    _, batch = shared_v3_batch()
    results = impl.optimize_cycles(batch)
    assert results == [impl.optimize_cycle(legs) for legs in batch]
    for legs, result in zip(batch, results, strict=True):
        assert_reference_local_optimum(legs, result)
    assert any(r[2] > 0 for r in results)
    # one bad tick (not a multiple of the spacing) in a shared state fails every cycle's way in
    with pytest.raises(ValueError, match="increasing multiples of 7"):
        impl.optimize_cycles(bad_spacing_batch())


@pytest.mark.parametrize("impl", IMPLS)
def test_batch_on_threads_gives_the_same_results(impl: ModuleType) -> None:
    """``threads`` changes how the kernel schedules the searches, never their results: V2,
    mixed and small cycles, one V3 pool state shared across threads, a generator, and a batch
    longer than the kernel's round of 4,096 cycles (dry cycles are cheap to fill it with).
    The per-cycle results are checked against the reference chain first."""
    rng = random.Random(2024)
    shared = big_v3(rng, 2000.0, True)
    batch = [big_cycle(rng, rng.choice((2, 3, 4)), rng.random() < 0.3) for _ in range(sized(40, 6))]
    batch += [small_cycle(rng, rng.choice((2, 3)), rng.random() < 0.5) for _ in range(sized(20, 4))]
    batch += [
        [shared, *big_v2(rng, 1 / 2000.0, rng.uniform(0.99, 1.03))[:1]] for _ in range(sized(12, 3))
    ]
    expected = [impl.optimize_cycle(legs) for legs in batch]
    for legs, result in zip(batch, expected, strict=True):
        assert_reference_local_optimum(legs, result)
    assert sum(r[2] > 0 for r in expected) >= sized(10, 3)
    for threads in (1, 2, 3, 8):
        assert impl.optimize_cycles(batch, threads=threads) == expected
    assert impl.optimize_cycles(iter(batch), threads=2) == expected
    dry = [("v2", 10**20, 10**20, 30), ("v2", 10**20, 10**20, 30)]  # no profit: no search
    assert impl.optimize_cycle(dry) == (0, 0, 0) and ref_profit(dry, 1) <= 0
    long_batch = [dry] * 4090 + batch[:10] + [dry] * 5
    long_expected = [(0, 0, 0)] * 4090 + expected[:10] + [(0, 0, 0)] * 5
    assert impl.optimize_cycles(long_batch, threads=2) == long_expected
    assert impl.optimize_cycles([], threads=2) == []


BAD_THREADS: list[tuple[Any, type[BaseException], str]] = [
    (0, ValueError, r"^threads must be in \[1, 256\], got 0$"),
    (257, ValueError, r"^threads must be in \[1, 256\], got 257$"),
    (-1, ValueError, r"^threads must be in \[1, 256\], got -1$"),
    (2**70, ValueError, rf"^threads must be in \[1, 256\], got {2**70}$"),
    ("2", TypeError, r"^threads: expected int, got str$"),
    (True, TypeError, r"^threads: expected int, got bool$"),
    (1.0, TypeError, r"^threads: expected int, got float$"),
    (None, TypeError, r"^threads: expected int, got NoneType$"),
]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize(("threads", "exc", "message"), BAD_THREADS)
def test_batch_threads_must_be_a_small_positive_int(
    impl: ModuleType, threads: Any, exc: type, message: str
) -> None:
    with pytest.raises(exc, match=message):
        impl.optimize_cycles([], threads=threads)


@pytest.mark.parity
@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda m: m.optimize_cycles(bad_spacing_batch()), id="bad-shared-spacing"),
        *(
            pytest.param(lambda m, t=t: m.optimize_cycles([], threads=t), id=f"threads={t!r}")
            for t, _, _ in BAD_THREADS
        ),
    ],
)
def test_kernel_batch_errors_are_the_twins(call: Any) -> None:
    """The kernel raises the twin's exception type with the twin's message."""
    with pytest.raises((TypeError, ValueError)) as kernel_exc:
        call(_kernel())
    with pytest.raises((TypeError, ValueError)) as twin_exc:
        call(twin)
    assert type(kernel_exc.value) is type(twin_exc.value)
    assert str(kernel_exc.value) == str(twin_exc.value)


@pytest.mark.parametrize("impl", IMPLS)
def test_batch_error_after_the_first_round_raises_the_twins_error(impl: ModuleType) -> None:
    dry = [("v2", 10**20, 10**20, 30), ("v2", 10**20, 10**20, 30)]
    bad = [("v2", 10**20, 10**20, 10_000), ("v2", 10**20, 10**20, 30)]
    with pytest.raises(FeeError):
        impl.optimize_cycles([dry] * 5000 + [bad], threads=2)
