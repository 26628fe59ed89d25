"""Properties of the twins (the oracle): TickMath round trips and monotonicity, FullMath against
exact rationals, LiquidityMath, and the swap loop on random pools built from Mint events."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal, localcontext

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from arbstream.cyext.v3 import full_math_py as fm
from arbstream.cyext.v3 import liquidity_math_py as lm
from arbstream.cyext.v3 import swap_math_py as smath
from arbstream.cyext.v3 import swap_py
from arbstream.cyext.v3 import tick_math_py as tm
from arbstream.cyext.v3.errors import (
    AmountSpecifiedZero,
    FullMathDivByZero,
    FullMathOverflow,
    LiquidityAdd,
    LiquiditySub,
    PriceLimit,
    SqrtPriceOutOfRange,
    TickOutOfRange,
)
from arbstream.cyext.v3.pool import V3PoolState

from .impls import LIBRARIES, compiled
from .rounding_cases import ROUNDING_CASES, RoundingCase

U256 = 2**256 - 1
U128 = 2**128 - 1
ticks_st = st.integers(tm.MIN_TICK, tm.MAX_TICK)
prices_st = st.integers(tm.MIN_SQRT_RATIO, tm.MAX_SQRT_RATIO - 1)
u256 = st.one_of(st.integers(0, U256), st.integers(0, 2**128), st.sampled_from([0, 1, 2, U256]))


# ---------------------------------------------------------------------------------- TickMath
@settings(max_examples=500, deadline=None)
@given(ticks_st.filter(lambda t: t < tm.MAX_TICK))
def test_tick_round_trip(tick: int) -> None:
    assert tm.get_tick_at_sqrt_ratio(tm.get_sqrt_ratio_at_tick(tick)) == tick


@settings(max_examples=500, deadline=None)
@given(ticks_st, ticks_st)
def test_sqrt_ratio_is_strictly_increasing(a: int, b: int) -> None:
    assume(a != b)
    lo, hi = min(a, b), max(a, b)
    assert tm.get_sqrt_ratio_at_tick(lo) < tm.get_sqrt_ratio_at_tick(hi)


@settings(max_examples=500, deadline=None)
@given(prices_st)
def test_tick_at_price_is_the_greatest_tick_below(price: int) -> None:
    tick = tm.get_tick_at_sqrt_ratio(price)
    assert tm.get_sqrt_ratio_at_tick(tick) <= price
    assert tick == tm.MAX_TICK - 1 or price < tm.get_sqrt_ratio_at_tick(tick + 1)


@settings(max_examples=300, deadline=None)
@given(ticks_st)
def test_sqrt_ratio_is_close_to_exact(tick: int) -> None:
    """sqrt(1.0001**tick) * 2**96 within the contract's (tiny) relative error."""
    with localcontext() as ctx:
        ctx.prec = 80
        exact = Decimal("1.0001") ** tick * 2**192  # the square of the Q96 price
        got = tm.get_sqrt_ratio_at_tick(tick)
        assert abs(Decimal(got * got) / exact - 1) < Decimal("1e-8")


@given(st.one_of(st.integers(tm.MAX_TICK + 1, 2**23 - 1), st.integers(-(2**23), tm.MIN_TICK - 1)))
def test_tick_out_of_range(tick: int) -> None:
    with pytest.raises(TickOutOfRange):
        tm.get_sqrt_ratio_at_tick(tick)


@given(st.one_of(st.integers(0, tm.MIN_SQRT_RATIO - 1), st.integers(tm.MAX_SQRT_RATIO, 2**160 - 1)))
def test_price_out_of_range(price: int) -> None:
    with pytest.raises(SqrtPriceOutOfRange):
        tm.get_tick_at_sqrt_ratio(price)


# ---------------------------------------------------------------------------------- FullMath
@settings(max_examples=800, deadline=None)
@given(u256, u256, u256)
def test_mul_div_is_floor_and_reverts_past_uint256(a: int, b: int, d: int) -> None:
    if d == 0:
        with pytest.raises(FullMathDivByZero):
            fm.mul_div(a, b, d)
        with pytest.raises(FullMathDivByZero):
            fm.mul_div_rounding_up(a, b, d)
        return
    floor = a * b // d
    ceil = -(-a * b // d)
    if floor >= 2**256:
        with pytest.raises(FullMathOverflow):
            fm.mul_div(a, b, d)
    else:
        assert fm.mul_div(a, b, d) == floor
    if ceil >= 2**256:
        with pytest.raises(FullMathOverflow):
            fm.mul_div_rounding_up(a, b, d)
    else:
        assert fm.mul_div_rounding_up(a, b, d) == ceil


def test_mul_div_edges() -> None:
    assert fm.mul_div(U256, U256, U256) == U256
    assert fm.mul_div_rounding_up(U256, U256, U256) == U256
    with pytest.raises(FullMathOverflow):
        fm.mul_div(2**128, 2**128, 1)
    with pytest.raises(
        FullMathOverflow
    ):  # Uniswap: 'reverts if mulDiv overflows 256 bits after rounding up'
        fm.mul_div_rounding_up(
            535006138814359, 432862656469423142931042426214547535783388063929571229938474969, 2
        )
    assert fm.mul_div(2**128, 2**128 * 35, 2**128 * 8) == 4375 * 2**128 // 1000


# ----------------------------------------------------------------------------- LiquidityMath
@given(st.integers(0, U128), st.integers(-(2**127), 2**127 - 1))
def test_add_delta(x: int, y: int) -> None:
    if x + y < 0:
        with pytest.raises(LiquiditySub):
            lm.add_delta(x, y)
    elif x + y > U128:
        with pytest.raises(LiquidityAdd):
            lm.add_delta(x, y)
    else:
        assert lm.add_delta(x, y) == x + y


# -------------------------------------------------------------------------------- SwapMath
@settings(max_examples=500, deadline=None)
@given(
    prices_st,
    prices_st,
    st.integers(1, U128),
    st.integers(-(2**255), 2**255 - 1).filter(bool),
    st.integers(0, 999_999),
)
def test_compute_swap_step_bounds(
    current: int, target: int, liq: int, remaining: int, fee: int
) -> None:
    """Uniswap's SwapMath fuzz invariants."""
    try:
        nxt, amount_in, amount_out, fee_amount = smath.compute_swap_step(
            current, target, liq, remaining, fee
        )
    except FullMathOverflow:
        return
    if remaining > 0:
        assert amount_in + fee_amount <= remaining
    else:
        assert amount_out <= -remaining
    if current == target:
        assert nxt == target
    zero_for_one = current >= target
    assert target <= nxt <= current if zero_for_one else current <= nxt <= target


# ------------------------------------------------------------------------- the swap loop
SPACINGS = (1, 10, 60, 200)


@st.composite
def pools(draw: st.DrawFn) -> V3PoolState:
    """A pool built from an empty one by Initialize and Mint events (so its state is a real
    pool's: liquidity = cumulative liquidityNet at the tick)."""
    spacing = draw(st.sampled_from(SPACINGS))
    lo_c, hi_c = -(tm.MAX_TICK // spacing), tm.MAX_TICK // spacing
    center = draw(st.integers(lo_c // 2, hi_c // 2))
    near = st.integers(max(lo_c, center - 2000), min(hi_c, center + 2000))
    price = tm.get_sqrt_ratio_at_tick(center * spacing) + draw(st.integers(0, 2**40))
    price = min(price, tm.MAX_SQRT_RATIO - 2)
    state = V3PoolState(
        "pool", "t0", "t1", draw(st.sampled_from([100, 500, 3000, 10_000])), spacing, 0, 0, 0
    )
    state = state.apply_initialize(price, tm.get_tick_at_sqrt_ratio(price))
    for _ in range(draw(st.integers(0, 12))):
        a = draw(st.one_of(near, st.integers(lo_c, hi_c)))
        b = draw(st.one_of(near, st.integers(lo_c, hi_c)))
        assume(a != b)
        amount = draw(st.one_of(st.integers(1, 10**24), st.integers(1, 2**100)))
        state = state.apply_mint(min(a, b) * spacing, max(a, b) * spacing, amount)
    return state


def cumulative_liquidity(state: V3PoolState, tick: int) -> int:
    return sum(n for t, n in zip(state.ticks, state.liquidity_net, strict=True) if t <= tick)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(pools(), st.booleans(), st.booleans(), st.integers(1, 2**130), st.integers(0, 2**64))
def test_swap_properties(
    state: V3PoolState, zero_for_one: bool, exact_in: bool, amount: int, limit_offset: int
) -> None:
    assert cumulative_liquidity(state, state.tick) == state.liquidity
    if zero_for_one:
        limit = max(tm.MIN_SQRT_RATIO + 1, state.sqrt_price_x96 - 1 - limit_offset * 2**70)
    else:
        limit = min(tm.MAX_SQRT_RATIO - 1, state.sqrt_price_x96 + 1 + limit_offset * 2**70)
    assume(limit != state.sqrt_price_x96)
    r = state.swap(zero_for_one, amount if exact_in else -amount, limit)
    paid, received = (r.amount0, -r.amount1) if zero_for_one else (r.amount1, -r.amount0)
    # conservation: never more in than specified, never more out than asked, never negative
    assert paid >= 0 and received >= 0
    if exact_in:
        assert paid <= amount
        assert paid == amount or r.sqrt_price_x96 == limit
    else:
        assert received <= amount
        assert received == amount or r.sqrt_price_x96 == limit
    # the price moves the right way, not past the limit
    if zero_for_one:
        assert limit <= r.sqrt_price_x96 <= state.sqrt_price_x96
        crossed = [t for t in state.ticks if r.tick < t <= state.tick]
    else:
        assert state.sqrt_price_x96 <= r.sqrt_price_x96 <= limit
        crossed = [t for t in state.ticks if state.tick < t <= r.tick]
    assert r.ticks_crossed == len(crossed)
    # the post-state is a pool state
    assert tm.get_sqrt_ratio_at_tick(r.tick) <= r.sqrt_price_x96
    if r.tick < tm.MAX_TICK:
        upper = tm.get_sqrt_ratio_at_tick(r.tick + 1)
        # the contract's quirk: crossing tick t leftwards leaves tick = t - 1 at price(t)
        assert r.sqrt_price_x96 < upper or (zero_for_one and r.sqrt_price_x96 == upper)
    assert r.liquidity == cumulative_liquidity(state, r.tick)
    # nothing for free: output only with input
    assert received == 0 or paid > 0


@pytest.mark.parametrize("case", ROUNDING_CASES, ids=lambda c: c.name)
def test_exact_output_can_cost_more_than_the_exact_input_that_gave_it(case: RoundingCase) -> None:
    """Buying back what an exact-input swap returned is not always cheaper: exact output rounds
    its input and its fee up (per step). Hypothesis found these pools on the twin; the expected
    numbers are the real UniswapV3Pool's (the same cases run on Anvil in
    tests/integration/test_v3_rounding_on_evm.py), so this is the contract's rounding, not ours."""
    state = case.state()
    # the pool the case was found on: in-range liquidity is the sum of the positions' nets
    assert state.liquidity == cumulative_liquidity(state, state.tick) > 0
    for swap in (case.exact_input, case.exact_output):
        r = state.swap(swap.zero_for_one, swap.amount)
        assert (r.amount0, r.amount1, r.ticks_crossed) == (
            swap.amount0,
            swap.amount1,
            swap.ticks_crossed,
        )
    # the property: the exact output asks for exactly what the exact input returned, and
    # costs more than that input
    zfo = case.exact_input.zero_for_one
    paid = case.exact_input.amount
    received = -(case.exact_input.amount1 if zfo else case.exact_input.amount0)
    assert case.exact_output.zero_for_one == zfo and case.exact_output.amount == -received
    cost = case.exact_output.amount0 if zfo else case.exact_output.amount1
    assert cost > paid > 0 and received > 0


def test_next_initialized_tick_within_one_word() -> None:
    """TickBitmap's own test pool: ticks -200, -55, -4, 70, 78, 84, 139, 240, 535 (spacing 1)."""
    ticks = [-200, -55, -4, 70, 78, 84, 139, 240, 535]
    nxt = swap_py.next_initialized_tick_within_one_word
    # lte = false
    assert nxt(ticks, 78, 1, False) == (84, True)
    assert nxt(ticks, -55, 1, False) == (-4, True)
    assert nxt(ticks, 77, 1, False) == (78, True)
    assert nxt(ticks, -56, 1, False) == (-55, True)
    assert nxt(ticks, 255, 1, False) == (511, False)
    assert nxt(ticks, -257, 1, False) == (-200, True)
    assert nxt(ticks, 340, 1, False) == (511, False)
    assert nxt(ticks, 508, 1, False) == (511, False)
    assert nxt(ticks, 329, 1, False) == (511, False)
    assert nxt(sorted([*ticks, 340]), 328, 1, False) == (340, True)
    # lte = true
    assert nxt(ticks, 78, 1, True) == (78, True)
    assert nxt(ticks, 79, 1, True) == (78, True)
    assert nxt(ticks, 258, 1, True) == (256, False)
    assert nxt(ticks, 256, 1, True) == (256, False)
    assert nxt(ticks, 72, 1, True) == (70, True)
    assert nxt(ticks, -257, 1, True) == (-512, False)
    assert nxt(ticks, 1023, 1, True) == (768, False)
    assert nxt(ticks, 900, 1, True) == (768, False)
    assert nxt(sorted([*ticks, 329]), 456, 1, True) == (329, True)
    # compression rounds towards negative infinity
    assert nxt([-60], -1, 60, True) == (-60, True)
    assert nxt([], -1, 60, True) == (-256 * 60, False)
    assert nxt([], -1, 60, False) == (255 * 60, False)


def test_swap_reverts() -> None:
    args = (2**96, 0, 10**18, 3000, 60, (-60, 60), (10**18, -(10**18)))
    with pytest.raises(AmountSpecifiedZero) as info:
        swap_py.swap(*args, True, 0, tm.MIN_SQRT_RATIO + 1)
    assert info.value.reason == "AS"
    for zfo, limit in (
        (True, 2**96),
        (True, 2**96 + 1),
        (True, tm.MIN_SQRT_RATIO),
        (False, 2**96),
        (False, 2**96 - 1),
        (False, tm.MAX_SQRT_RATIO),
    ):
        with pytest.raises(PriceLimit) as info2:
            swap_py.swap(*args, zfo, 10, limit)
        assert info2.value.reason == "SPL"


# ------------------------------------------------------------------- pickers and kernels
def test_cython_kernels_are_built() -> None:
    """Every V3 library has its compiled kernel, and the pickers use it (unless the twin is
    forced with ARBSTREAM_NO_CYTHON=1)."""
    import importlib

    forced = os.environ.get("ARBSTREAM_NO_CYTHON") == "1"
    for name in LIBRARIES:
        picker = importlib.import_module(f"arbstream.cyext.v3.{name}")
        if forced:
            assert picker.IMPLEMENTATION == "python"
            continue
        assert compiled(name) is not None, f"arbstream.cyext.v3._{name} was not built"
        assert picker.IMPLEMENTATION == "cython", name


def test_no_cython_forces_the_twins() -> None:
    code = (
        "import importlib, sys\n"
        f"names = {LIBRARIES!r}\n"
        "impl = {n: importlib.import_module('arbstream.cyext.v3.' + n).IMPLEMENTATION for n in names}\n"
        "assert set(impl.values()) == {'python'}, impl\n"
        "assert not [m for m in sys.modules if m.startswith('arbstream.cyext.v3._')], sorted(sys.modules)\n"
    )
    env = {**os.environ, "ARBSTREAM_NO_CYTHON": "1"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def test_pickers_export_the_twin_api() -> None:
    import importlib

    from .impls import TWINS

    for name in LIBRARIES:
        picker = importlib.import_module(f"arbstream.cyext.v3.{name}")
        public = set(picker.__all__) - {"IMPLEMENTATION"}
        assert public <= set(TWINS[name].__all__)
        for attr in public:
            assert callable(getattr(picker, attr)) or isinstance(getattr(picker, attr), int)
