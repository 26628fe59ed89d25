"""Cycle sizing checks that mutation testing found missing: every leg check's edges (the last
value accepted and the first rejected) and its exact message, for the twin and the kernel.

The edges are the ranges of the Solidity types and constants the legs carry (uint112
reserves, uint128 liquidity, int128 liquidity nets, TickMath's MIN/MAX tick and sqrt ratio,
a fee below 100 %), written out here; the messages are the twin's, which the kernel repeats.
"""

from __future__ import annotations

import random
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest

from arbstream.cyext import cycles_py as twin
from arbstream.cyext.errors import FeeError, UintRangeError
from arbstream.cyext.v3 import swap_py
from tests.mutation.budget import MUTATING

try:
    from arbstream.cyext import _cycles as kernel
except ImportError:  # pragma: no cover - test_cycles.test_kernel_is_built fails in that case
    kernel = None  # type: ignore[assignment]

IMPLS = [pytest.param(twin, id="python")]
if kernel is not None and not MUTATING:  # make mutate: the twin is the module under test
    IMPLS.append(pytest.param(kernel, id="cython"))

MAX_TICK = 887272
MIN_SQRT = 4295128739
MAX_SQRT = 1461446703485210103287273052203988822378723970342
U112, U128 = 2**112 - 1, 2**128 - 1
I128_MIN, I128_MAX = -(2**127), 2**127 - 1
V2 = ("v2", 10**6, 10**6, 30)


def v3(**fields: Any) -> tuple[Any, ...]:
    leg = {
        "sqrt_p": 2**96,
        "tick": 0,
        "liq": 10**6,
        "fee": 3000,
        "spacing": 1,
        "ticks": (),
        "nets": (),
        "zfo": True,
    } | fields
    return ("v3", *leg.values())


# legs on the edge of every check: each must be accepted (quoted, not raised on)
ACCEPTED: list[tuple[str, tuple[Any, ...]]] = [
    ("fee_bps 0", ("v2", 10**6, 10**6, 0)),
    ("fee_bps 9999", ("v2", 10**6, 10**6, 9999)),
    ("reserves uint112 max", ("v2", U112, U112, 30)),
    ("reserves 0", ("v2", 0, 0, 30)),
    ("reserve_in 0", ("v2", 0, 10**6, 30)),
    ("reserve_out 0", ("v2", 10**6, 0, 30)),
    ("sqrt price MIN_SQRT_RATIO", v3(sqrt_p=MIN_SQRT, tick=-MAX_TICK)),
    ("sqrt price MAX_SQRT_RATIO - 1", v3(sqrt_p=MAX_SQRT - 1, tick=MAX_TICK - 1)),
    ("tick -MAX_TICK", v3(tick=-MAX_TICK)),
    ("tick MAX_TICK", v3(tick=MAX_TICK)),
    ("liquidity uint128 max", v3(liq=U128)),
    ("liquidity 0", v3(liq=0, ticks=(-60, 60), nets=(5, -5))),
    ("fee_pips 0", v3(fee=0)),
    ("fee_pips 999999", v3(fee=999_999)),
    ("tick_spacing 2**23 - 1", v3(spacing=2**23 - 1)),
    ("ticks at both ends", v3(ticks=(-MAX_TICK, MAX_TICK), nets=(I128_MAX, I128_MIN))),
    ("ticks as lists", v3(ticks=[-10, 10], nets=[7, -7], spacing=10)),
]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize(("name", "leg"), ACCEPTED)
def test_legs_on_the_edges_are_accepted(impl: ModuleType, name: str, leg: Any) -> None:
    assert impl.cycle_output([leg, V2], 1000) >= 0, name
    assert impl.optimize_cycle([leg, V2])[2] >= 0, name


@pytest.mark.parametrize("impl", IMPLS)
def test_one_to_four_legs(impl: ModuleType) -> None:
    """A cycle of 1 and of 4 legs is sized (here: the same pool's exact quotes chained); 0
    and 5 legs are refused."""
    pool = ("v2", 10**6, 2 * 10**6, 0)
    assert impl.cycle_output([pool], 1000) == 1000 * 2 * 10**6 // (10**6 + 1000)
    assert impl.optimize_cycle([("v2", 10**6, 10**6, 0)] * 4) == (0, 0, 0)
    for n in (0, 5):
        with pytest.raises(ValueError) as exc:
            impl.cycle_output([pool] * n, 1)
        assert str(exc.value) == f"a cycle has 1 to 4 legs, got {n}"


def _msg(name: str, value: object) -> str:
    return f"{name}: expected int, got {type(value).__name__}"


TICKS_MSG = (
    "initialized ticks must be increasing multiples of {} in [-887272, 887272], got {} after {}"
)

# (leg, exception type, exact message)
REJECTED: list[tuple[Any, type[BaseException], str]] = [
    ([1, 2], TypeError, "a leg is a tuple ('v2', ...) or ('v3', ...), got [1, 2]"),
    ((), TypeError, "a leg is a tuple ('v2', ...) or ('v3', ...), got ()"),
    (("v4", 1), ValueError, "unknown leg kind 'v4' (expected 'v2' or 'v3')"),
    (("V2", 1, 2, 30), ValueError, "unknown leg kind 'V2' (expected 'v2' or 'v3')"),
    (("v2", 1, 2, 30, 0), ValueError, "v2 leg: ('v2', reserve_in, reserve_out, fee_bps)"),
    (("v2", 1.0, 2, 30), TypeError, _msg("reserve_in", 1.0)),
    (("v2", 1, "2", 30), TypeError, _msg("reserve_out", "2")),
    (("v2", 1, 2, None), TypeError, _msg("fee_bps", None)),
    (("v2", True, 2, 30), TypeError, _msg("reserve_in", True)),
    (("v2", U112 + 1, 2, 30), UintRangeError, f"value does not fit in uint112: {U112 + 1}"),
    (("v2", 1, U112 + 1, 30), UintRangeError, f"value does not fit in uint112: {U112 + 1}"),
    (("v2", -1, 2, 30), UintRangeError, "value does not fit in uint112: -1"),
    (("v2", 1, 2, 10_000), FeeError, str(FeeError(10_000))),
    (("v2", 1, 2, -1), FeeError, str(FeeError(-1))),
    (
        v3()[:8],
        ValueError,
        "v3 leg: ('v3', sqrt_price_x96, tick, liquidity, fee_pips,"
        " tick_spacing, ticks, liquidity_nets, zero_for_one)",
    ),
    (v3(sqrt_p=float(2**96)), TypeError, _msg("sqrt_price_x96", 1.0)),
    (
        v3(sqrt_p=MIN_SQRT - 1),
        ValueError,
        f"sqrt_price_x96 outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO): {MIN_SQRT - 1}",
    ),
    (
        v3(sqrt_p=MAX_SQRT),
        ValueError,
        f"sqrt_price_x96 outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO): {MAX_SQRT}",
    ),
    (v3(tick=0.0), TypeError, _msg("tick", 0.0)),
    (v3(tick=-MAX_TICK - 1), ValueError, "tick outside [-887272, 887272]: -887273"),
    (v3(tick=MAX_TICK + 1), ValueError, "tick outside [-887272, 887272]: 887273"),
    (v3(liq=1.0), TypeError, _msg("liquidity", 1.0)),
    (v3(liq=U128 + 1), UintRangeError, f"value does not fit in uint128: {U128 + 1}"),
    (v3(fee="3000"), TypeError, _msg("fee_pips", "3000")),
    (v3(fee=10**6), ValueError, "fee_pips must be in [0, 1000000), got 1000000"),
    (v3(fee=-1), ValueError, "fee_pips must be in [0, 1000000), got -1"),
    (v3(spacing=None), TypeError, _msg("tick_spacing", None)),
    (v3(spacing=0), ValueError, "tick_spacing must be in [1, 2**23), got 0"),
    (v3(spacing=2**23), ValueError, f"tick_spacing must be in [1, 2**23), got {2**23}"),
    (v3(ticks=(1,), nets=()), ValueError, "ticks and liquidity_nets differ in length"),
    (v3(ticks=(1.0,), nets=(1,)), TypeError, _msg("tick", 1.0)),
    (v3(ticks=(-MAX_TICK - 1,), nets=(1,)), ValueError, TICKS_MSG.format(1, -887273, -887273)),
    (v3(ticks=(MAX_TICK + 1,), nets=(1,)), ValueError, TICKS_MSG.format(1, 887273, -887273)),
    (v3(ticks=(5, 5), nets=(1, -1)), ValueError, TICKS_MSG.format(1, 5, 5)),
    (v3(ticks=(10, 15), nets=(1, -1), spacing=10), ValueError, TICKS_MSG.format(10, 15, 10)),
    (v3(ticks=(-20, 20), nets=(1, -1), spacing=30), ValueError, TICKS_MSG.format(30, -20, -887273)),
    (v3(ticks=(1,), nets=(1.0,)), TypeError, _msg("liquidity_net", 1.0)),
    (
        v3(ticks=(1,), nets=(I128_MIN - 1,)),
        ValueError,
        f"liquidity_net outside int128: {I128_MIN - 1}",
    ),
    (
        v3(ticks=(1,), nets=(I128_MAX + 1,)),
        ValueError,
        f"liquidity_net outside int128: {I128_MAX + 1}",
    ),
    (v3(zfo=1), TypeError, "zero_for_one: expected bool, got int"),
]


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize(("leg", "exc", "message"), REJECTED)
def test_legs_beyond_the_edges_raise_the_exact_error(
    impl: ModuleType, leg: Any, exc: type[BaseException], message: str
) -> None:
    with pytest.raises(exc) as raised:
        impl.cycle_output([leg, V2], 1)
    assert type(raised.value) is exc and str(raised.value) == message


@pytest.mark.parametrize("impl", IMPLS)
def test_amount_and_max_in_errors_name_the_argument(impl: ModuleType) -> None:
    legs = [V2, V2]
    for call, name in ((impl.cycle_output, "amount_in"), (impl.optimize_cycle, "max_in")):
        with pytest.raises(TypeError) as raised:
            call(legs, 1.5)
        assert str(raised.value) == f"{name}: expected int, got float"
        for bad in (-1, 2**256):
            with pytest.raises(UintRangeError) as out_of_range:
                call(legs, bad)
            assert str(out_of_range.value) == f"value does not fit in uint256: {bad}"
    assert impl.cycle_output(legs, 2**256 - 1) == 0  # the largest amount is taken (and reverts)


@pytest.mark.parametrize("impl", IMPLS)
def test_threads_up_to_the_maximum(impl: ModuleType) -> None:
    cycle = [("v2", 10**6, 2 * 10**6, 30), ("v2", 10**6, 10**6, 30)]
    for threads in (1, 2, twin.MAX_THREADS):
        assert impl.optimize_cycles([cycle], threads=threads) == [impl.optimize_cycle(cycle)]
    assert twin.MAX_THREADS == 256


def _swap_out(leg: tuple[Any, ...], amount: int) -> int:
    """The leg's exact-input output by ``UniswapV3Pool.swap`` (the twin swap, itself checked on
    the EVM) at the default price limit: MIN_SQRT_RATIO + 1 or MAX_SQRT_RATIO - 1."""
    limit = MIN_SQRT + 1 if leg[8] else MAX_SQRT - 1
    a0, a1, *_ = swap_py.swap(*leg[1:9], amount, limit)
    return int(-(a1 if leg[8] else a0))


@pytest.mark.parametrize("impl", IMPLS)
def test_quotes_at_the_edges_of_the_amount(impl: ModuleType) -> None:
    """The smallest amounts that pay 1 or more, the largest int256 amount (a V3 swap's
    amountSpecified), which runs a deep full-range pool to the default price limit (at this
    liquidity a limit one unit higher pays less), and one more, which cannot be swapped."""
    assert impl.cycle_output([("v2", 1, 1000, 0)], 1) == 500
    assert impl.cycle_output([("v2", 1, 1000, 0)], 0) == 0  # nothing in, nothing out
    shallow = v3(liq=1000)
    assert _swap_out(shallow, 3) == 1 and impl.cycle_output([shallow], 3) == 1
    liq = 2**120
    deep = v3(liq=liq, ticks=(-MAX_TICK, MAX_TICK), nets=(liq, -liq))
    top = 2**255 - 1
    out = _swap_out(deep, top)
    assert impl.cycle_output([deep], top) == out > 0
    _, a1, *_ = swap_py.swap(*deep[1:9], top, MIN_SQRT + 2)
    assert -a1 < out  # the limit decides this output
    assert impl.cycle_output([deep], top + 1) == 0
    rising = v3(liq=liq, ticks=(-MAX_TICK, MAX_TICK), nets=(liq, -liq), zfo=False)
    assert impl.cycle_output([rising], top) == _swap_out(rising, top) > 0


def _v2_chain(legs: list[tuple[Any, ...]], x: int) -> int:
    """getAmountOut (``x g r_out // (r_in D + x g)``, D = 10,000) leg after leg; 0 stops."""
    for _, r_in, r_out, fee in legs:
        g = 10_000 - fee
        x = x * g * r_out // (r_in * 10_000 + x * g)
        if x == 0:
            return 0
    return x


def _mid_sized_cycles() -> list[list[tuple[Any, ...]]]:
    """V2 cycles of 2-4 legs whose last leg pays out 3,000-40,000 units: past ENUM_CAP, so
    the search runs, yet every input can be tried. The other legs are shallow (a coarse
    token mid-cycle: output steps many inputs wide), medium or deep."""
    rng = random.Random(4)
    cycles = []
    while len(cycles) < 30:
        n = rng.choice((2, 3, 4))
        legs = []
        for i in range(n):
            r_in = rng.choice(
                (rng.randint(40, 400), rng.randint(3000, 10**6), rng.randint(10**6, 10**9))
            )
            r_out = int(r_in * rng.uniform(0.5, 2)) if i < n - 1 else rng.randint(3000, 40_000)
            legs.append(("v2", r_in, max(r_out, 2), rng.choice((30, 5, 0, 25, 100))))
        rates = twin._rates(twin._legs(legs))
        if rates is not None and rates[0] > 1.01:
            cycles.append(legs)
    return cycles


@pytest.mark.parametrize("impl", IMPLS)
def test_search_on_mid_sized_cycles_against_every_input(impl: ModuleType) -> None:
    """The search (bracket, golden section, scan, snap, polish, climb) against a brute force
    over every input that could pay: two V2 legs give the exact argmax (optimal_two_pool's
    exact input is evaluated first and only beaten strictly), more legs a local optimum
    within one unit of the best profit (the module docstring's guarantee and its measured
    bound)."""
    exact = 0
    for legs in _mid_sized_cycles():
        best_x, best_p = 0, 0
        for y in range(1, legs[-1][2]):
            profit = _v2_chain(legs, y) - y
            if profit > best_p:
                best_x, best_p = y, profit
        x, o, p = impl.optimize_cycle(legs)
        assert twin._max_out(twin._leg(legs[-1])) - 1 > twin.ENUM_CAP
        if len(legs) == 2:
            assert (x, p) == (best_x, best_p), legs
        else:
            assert best_p - 1 <= p <= best_p, legs
        if p == 0:
            assert (x, o) == (0, 0), legs
            continue
        assert o == _v2_chain(legs, x) and p == o - x, legs
        assert p >= _v2_chain(legs, x + 1) - x - 1 and p >= _v2_chain(legs, x - 1) - x + 1, legs
        exact += p == best_p
    assert exact >= 25


@pytest.mark.parametrize("impl", IMPLS)
def test_search_respects_max_in(impl: ModuleType) -> None:
    """max_in below the best input, still past ENUM_CAP (the search runs): the result never
    exceeds max_in and is within one unit of the brute-force best at or below it."""
    checked = 0
    for legs in _mid_sized_cycles():
        profits = [_v2_chain(legs, y) - y for y in range(1, legs[-1][2])]
        best_x = 1 + profits.index(max(profits))
        if best_x <= 2300:
            continue
        max_in = (best_x + 2100) // 2
        x, o, p = impl.optimize_cycle(legs, max_in=max_in)
        assert 1 <= x <= max_in and o == _v2_chain(legs, x) and p == o - x, legs
        assert max(profits[:max_in]) - 1 <= p <= max(profits[:max_in]), legs
        checked += 1
    assert checked >= 4


def test_a_fresh_interpreter_quotes_v3_legs_exactly() -> None:
    """The twin imports the V3 swap lazily, on its first V3 quote: in a new interpreter (this
    process has quoted V3 legs already) that first quote is the swap's exact output too."""
    leg = v3(liq=10**6)
    code = f"from arbstream.cyext import cycles_py; print(cycles_py.cycle_output([{leg!r}], 1000))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) == _swap_out(leg, 1000) == twin.cycle_output([leg], 1000) > 0


@pytest.mark.parametrize("impl", IMPLS)
def test_a_pool_at_the_price_limit_cannot_be_swapped(impl: ModuleType) -> None:
    """A pool priced at MIN_SQRT_RATIO (selling token0) or MAX_SQRT_RATIO - 1 (selling
    token1) is at or past the default price limit: UniswapV3Pool.swap reverts ('SPL'), so the
    leg pays nothing."""
    bottom = v3(sqrt_p=MIN_SQRT, tick=-MAX_TICK)
    top = v3(sqrt_p=MAX_SQRT - 1, tick=MAX_TICK - 1, zfo=False)
    for leg in (bottom, top):
        assert impl.cycle_output([leg], 1000) == 0, leg


@pytest.mark.parametrize("impl", IMPLS)
def test_max_in_at_its_edges(impl: ModuleType) -> None:
    """max_in = 1 sizes the one input 1 (a pool of reserves 1 and 1000 pays
    floor(1000 / 2) = 500 for it); the largest uint256 is a bound like none."""
    assert impl.optimize_cycle([("v2", 1, 1000, 0)], max_in=1) == (1, 500, 499)
    legs = [("v2", 10**6, 2 * 10**6, 30), ("v2", 10**6, 10**6, 30)]
    assert impl.optimize_cycle(legs, max_in=2**256 - 1) == impl.optimize_cycle(legs)


@pytest.mark.parametrize("impl", IMPLS)
def test_a_marginal_rate_just_above_one_still_pays(impl: ModuleType) -> None:
    """One fee-free pool with out/in reserves 1 + 5e-13 (uint112-sized): the profit
    x * ro / (ri + x) - x peaks near x = ri * 5e-13 / 2 at about ri * (5e-13)**2 / 4, some
    3e8 units. The rate test must not call that unprofitable (its margin is 1e-12 below 1)."""
    r_out = 2**112 - 1
    r_in = r_out - r_out // (2 * 10**12)
    leg = ("v2", r_in, r_out, 0)
    x_star = r_in // (4 * 10**12)
    expected = _v2_chain([leg], x_star) - x_star
    assert expected > 10**8
    x, o, p = impl.optimize_cycle([leg])
    assert p >= expected and o == _v2_chain([leg], x) and p == o - x
