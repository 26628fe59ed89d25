"""V3PoolState bookkeeping and loading (checks that mutation testing found missing).

Oracles: a ledger of positions recomputed from scratch after every event (a tick's
liquidityGross is the sum of the positions ending on it, its liquidityNet the sum entering
minus leaving, the in-range liquidity the sum of the positions with ``lower <= tick < upper``:
Tick.update and _modifyPosition's definitions, not their incremental updates), the snapshot
format as degenbot writes it, and the event semantics (an event's state carries its own
``(block, log_index)``; one without them keeps the state's).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arbstream.cyext.errors import PricingInputError
from arbstream.cyext.v3.errors import (
    LiquidityOverflow,
    SafeCastOverflow,
    TickDataError,
    TickOrder,
)
from arbstream.cyext.v3.pool import V3PoolState, V3SwapResult, max_liquidity_per_tick
from arbstream.cyext.v3.tick_math_py import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
)

Q96 = 2**96
SPACING = 10
INT128_MIN, INT128_MAX = -(2**127), 2**127 - 1


def ledger(
    positions: dict[tuple[int, int], int], tick: int
) -> tuple[dict[int, tuple[int, int]], int]:
    """({tick: (gross, net)} of the initialized ticks, in-range liquidity) from the positions."""
    gross: dict[int, int] = defaultdict(int)
    net: dict[int, int] = defaultdict(int)
    active = 0
    for (lower, upper), amount in positions.items():
        if amount == 0:
            continue
        gross[lower] += amount
        gross[upper] += amount
        net[lower] += amount
        net[upper] -= amount
        if lower <= tick < upper:
            active += amount
    return {t: (gross[t], net[t]) for t in gross if gross[t]}, active


events = st.lists(
    st.tuples(
        st.integers(-6, 5).map(lambda i: i * SPACING),
        st.integers(1, 6).map(lambda w: w * SPACING),
        st.integers(1, 10**6),
        st.booleans(),
    ),
    min_size=1,
    max_size=14,
)


@given(events=events, tick=st.integers(-70, 70))
def test_mints_and_burns_keep_the_ledger(
    events: list[tuple[int, int, int, bool]], tick: int
) -> None:
    pool = V3PoolState("0xp", "0xA", "0xB", 500, SPACING, get_sqrt_ratio_at_tick(tick), tick, 0)
    positions: dict[tuple[int, int], int] = defaultdict(int)
    for n, (lower, width, amount, burn) in enumerate(events):
        key = (lower, lower + width)
        if burn:
            amount = min(amount, positions[key])  # burning more reverts 'LS' (tested elsewhere)
            pool = pool.apply_burn(*key, amount, block=n, log_index=n % 3)
            positions[key] -= amount
        else:
            pool = pool.apply_mint(*key, amount, block=n, log_index=n % 3)
            positions[key] += amount
        ticks, active = ledger(positions, tick)
        assert pool.tick_map == ticks
        assert pool.ticks == tuple(sorted(ticks))
        assert pool.liquidity == active
        assert (pool.block, pool.log_index) == (n, n % 3)
        for t in range(-70, 121, SPACING):
            assert pool.liquidity_gross_at(t) == ticks.get(t, (0, 0))[0]
            assert pool.liquidity_net_at(t) == ticks.get(t, (0, 0))[1]


def test_position_on_both_sides_of_the_current_tick() -> None:
    pool = V3PoolState("0xp", "0xA", "0xB", 500, SPACING, get_sqrt_ratio_at_tick(20), 20, 0)
    assert pool.apply_mint(20, 30, 5).liquidity == 5  # lower == tick: in range
    assert pool.apply_mint(10, 20, 5).liquidity == 0  # upper == tick: not
    assert pool.apply_mint(-10, 40, 5).apply_burn(-10, 40, 2).liquidity == 3
    assert pool.apply_mint(10, 20, 5).apply_burn(10, 20, 5).tick_map == {}


def test_event_amounts_are_uint128_and_fit_int128() -> None:
    pool = V3PoolState("0xp", "0xA", "0xB", 500, SPACING, Q96, 0, 0).apply_mint(-10, 10, 5)
    for call in (
        lambda: pool.apply_mint(-10, 10, -1),
        lambda: pool.apply_mint(-10, 10, 2**128),
        lambda: pool.apply_burn(-10, 10, -1),
        lambda: pool.apply_burn(-10, 10, 2**128),
    ):
        with pytest.raises(PricingInputError, match="must be a uint128"):
            call()
    assert pool.apply_mint(-10, 10, 0) == pool.apply_burn(-10, 10, 0) == pool
    with pytest.raises(SafeCastOverflow):  # int256(amount).toInt128() of a uint128 past int128
        pool.apply_mint(-10, 10, 2**127)


# ------------------------------------------------------------------------------- loading
SNAPSHOT = {
    "pool": "0xpool",
    "block": "17",
    "token0": {"address": "0xA"},
    "token1": "0xB",
    "scalars": {
        "fee": "3000",
        "tick_spacing": 60,
        "sqrt_price_x96": str(Q96),
        "tick": "0",
        "liquidity": "25",
    },
    "tick_data": {
        "60": ["25", "-25", "1"],
        "-60": {"liquidity_gross": 25, "liquidity_net": "25"},
        "120": [0, 0, 1],  # gross 0: not initialized
        "180": [7, 0, 1],  # net 0 but gross 7: initialized (both sides of positions end here)
    },
}


def test_snapshot_loads_every_form() -> None:
    pool = V3PoolState.from_snapshot(SNAPSHOT)
    assert (pool.address, pool.token0, pool.token1, pool.block, pool.log_index) == (
        "0xpool",
        "0xA",
        "0xB",
        17,
        -1,
    )
    assert (pool.fee, pool.tick_spacing, pool.sqrt_price_x96, pool.tick, pool.liquidity) == (
        3000,
        60,
        Q96,
        0,
        25,
    )
    assert pool.tick_map == {-60: (25, 25), 60: (25, -25), 180: (7, 0)}
    assert pool.ticks == (-60, 60, 180)
    flat = {k: v for k, v in SNAPSHOT.items() if k != "scalars"} | SNAPSHOT["scalars"]
    flat = {k: v for k, v in flat.items() if k != "pool"} | {"address": "0xflat"}
    flat |= {"block_number": 9, "log_index": 4}
    del flat["block"]
    other = V3PoolState.from_snapshot(flat)
    assert (other.address, other.block, other.log_index) == ("0xflat", 9, 4)
    assert other.tick_map == pool.tick_map
    bare = {k: v for k, v in flat.items() if k not in ("address", "block_number", "log_index")}
    bare.pop("tick_data")
    empty = V3PoolState.from_snapshot(bare)
    assert (empty.address, empty.block, empty.log_index, empty.ticks) == ("", 0, -1, ())


LENGTHS = "^ticks, liquidity_net and liquidity_gross differ in length$"
GROSS = "^initialized ticks need liquidity_gross > 0$"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"tick_spacing": 0}, "tick_spacing must be positive"),
        ({"tick_spacing": -60}, "tick_spacing must be positive"),
        ({"ticks": (-60, 60), "liquidity_net": (1,)}, LENGTHS),
        ({"ticks": (-60,), "liquidity_net": (1,), "liquidity_gross": (1, 1)}, LENGTHS),
        ({"ticks": (60, 60), "liquidity_net": (1, -1)}, "^ticks must be strictly increasing$"),
        ({"ticks": (-60, 30), "liquidity_net": (1, -1)}, "multiples of 60"),
        ({"ticks": (-887280, 60), "liquidity_net": (1, -1)}, "within range"),
        ({"ticks": (-60, 887280), "liquidity_net": (1, -1)}, "within range"),
        ({"ticks": (-60, 60), "liquidity_net": (1, -1), "liquidity_gross": (1, 0)}, GROSS),
        ({"ticks": (-60, 60), "liquidity_net": (0, 0)}, GROSS),
    ],
)
def test_state_validation_names_the_problem(kwargs: dict[str, object], words: str) -> None:
    fields: dict[str, object] = {"tick_spacing": 60} | kwargs
    with pytest.raises(TickDataError, match=words):
        V3PoolState("p", "a", "b", 3000, sqrt_price_x96=Q96, tick=0, liquidity=0, **fields)  # type: ignore[arg-type]


def test_edge_ticks_are_valid_and_lists_become_tuples() -> None:
    pool = V3PoolState(
        "p", "a", "b", 3000, 1, Q96, 0, 0, ticks=[-887272, 887272], liquidity_net=[2, -2]
    )
    assert pool.ticks == (-887272, 887272) and pool.liquidity_net == (2, -2)
    assert pool.liquidity_gross == (2, 2)
    assert V3PoolState.sorted_ticks([60, -60, 0]) == (-60, 0, 60)


# ------------------------------------------------------------------------------- events
def test_events_stamp_their_version() -> None:
    pool = V3PoolState("p", "a", "b", 3000, 60, Q96, 0, 7, block=3, log_index=2)
    init = pool.apply_initialize(2 * Q96, 6931)
    assert (init.sqrt_price_x96, init.tick, init.liquidity, init.block, init.log_index) == (
        2 * Q96,
        6931,
        7,
        3,
        2,
    )
    moved = pool.apply_initialize(Q96, 0, block=4)
    assert (moved.block, moved.log_index) == (4, 2)
    moved = pool.apply_initialize(Q96, 0, log_index=0)
    assert (moved.block, moved.log_index) == (3, 0)
    moved = pool.apply_initialize(Q96, 0, block=8, log_index=1)
    assert (moved.block, moved.log_index) == (8, 1)
    swapped = pool.apply_swap_event(3 * Q96, 9, 10986, block=5, log_index=0)
    assert (swapped.sqrt_price_x96, swapped.liquidity, swapped.tick) == (3 * Q96, 9, 10986)
    assert (swapped.block, swapped.log_index) == (5, 0)
    assert pool.apply_swap_event(3 * Q96, 9, 10986).block == 3


def test_with_swap_takes_the_result_and_keyword_overrides() -> None:
    pool = V3PoolState("p", "a", "b", 3000, 60, Q96, 0, 7, block=3, log_index=2)
    result = V3SwapResult(1, -1, 2 * Q96, 6931, 11, 0)
    after = pool.with_swap(result)
    assert (after.sqrt_price_x96, after.tick, after.liquidity) == (2 * Q96, 6931, 11)
    assert (after.block, after.log_index) == (3, 2)
    mixed = pool.with_swap(result, tick=6930, liquidity=12, sqrt_price_x96=Q96 + 1, block=9)
    assert (mixed.sqrt_price_x96, mixed.tick, mixed.liquidity, mixed.block) == (
        Q96 + 1,
        6930,
        12,
        9,
    )
    assert pool.with_swap(result, sqrt_price_x96=5).tick == 6931
    assert pool.with_swap() == pool
    assert pool.with_swap(tick=1).sqrt_price_x96 == Q96


# ------------------------------------------------------------------------------- quoting
def one_range_pool() -> V3PoolState:
    return V3PoolState("0xp", "0xA", "0xB", 3000, 60, Q96, 0, 0).apply_mint(-600, 600, 10**22)


def test_swap_limits_default_to_the_ratio_bounds() -> None:
    pool = one_range_pool()
    down = pool.swap(True, 10**30)
    assert down.sqrt_price_x96 == MIN_SQRT_RATIO + 1
    up = pool.swap(False, 10**30)
    assert up.sqrt_price_x96 == MAX_SQRT_RATIO - 1
    # QuoterV1 passes 0 for "no limit"
    assert pool.quote_exact_input("0xA", 10**20, 0) == pool.quote_exact_input("0xA", 10**20)
    assert pool.quote_exact_output("0xB", 10**20, 0) == pool.quote_exact_output("0xB", 10**20)


def test_quotes_by_direction_are_the_swaps_deltas() -> None:
    pool = one_range_pool()
    a = 10**19
    r = pool.swap(True, a)
    assert pool.quote_exact_input("0xa", a) == -r.amount1 > 0
    r = pool.swap(False, a)
    assert pool.quote_exact_input("0xb", a) == -r.amount0 > 0
    r = pool.swap(True, -a)
    assert pool.quote_exact_output("0xA", a) == r.amount0 > 0 and -r.amount1 == a
    r = pool.swap(False, -a)
    assert pool.quote_exact_output("0xB", a) == r.amount1 > 0 and -r.amount0 == a
    assert pool.zero_for_one("0xA") and not pool.zero_for_one("0xb")
    with pytest.raises(PricingInputError, match="0xC is not a token of pool 0xp"):
        pool.zero_for_one("0xC")


def test_exact_output_of_exactly_int256_max_is_a_swap_and_past_it_a_safecast() -> None:
    pool = one_range_pool()
    with pytest.raises(SafeCastOverflow):
        pool.quote_exact_output("0xA", 2**255)
    partial = pool.quote_exact_output("0xA", 2**255 - 1)  # a partial fill: its input
    assert partial == pool.swap(True, -(2**255 - 1)).amount0 > 0
    assert pool.quote_exact_input("0xA", 2**255 - 1) > 0


def test_full_output_required_only_when_asked() -> None:
    pool = one_range_pool()
    limit = get_sqrt_ratio_at_tick(-60)
    want = 10**22
    partial = pool.quote_exact_output("0xA", want, limit)
    r = pool.swap(True, -want, limit)
    assert partial == r.amount0 and -r.amount1 < want
    with pytest.raises(Exception, match="Unexpected error"):
        pool.quote_exact_output("0xA", want, limit, require_full_output=True)
    exact = pool.quote_exact_output("0xA", 10**18, limit, require_full_output=True)
    assert exact == pool.swap(True, -(10**18), limit).amount0


def test_one_unit_moved_is_a_quote() -> None:
    """QuoterV1's callback only requires that something moved (amount0Delta > 0 ||
    amount1Delta > 0): one unit in for nothing out is a quote of 0, one unit paid for one
    unit out a quote of 1."""
    pool = one_range_pool()
    assert pool.quote_exact_input("0xA", 1) == 0
    assert pool.quote_exact_input("0xB", 1) == 0
    # token0 worth 10**6 token1: one unit of token0 pays for one unit of token1, and back
    dear = V3PoolState("0xp", "0xA", "0xB", 0, 60, 1000 * Q96, 138162, 0)
    dear = dear.apply_mint(137400, 138600, 10**22)
    assert dear.quote_exact_output("0xA", 1) == 1
    cheap = V3PoolState("0xp", "0xA", "0xB", 0, 60, Q96 // 1000, -138163, 0)
    cheap = cheap.apply_mint(-138600, -137400, 10**22)
    assert cheap.quote_exact_output("0xB", 1) == 1


def test_full_output_in_both_directions() -> None:
    pool = one_range_pool()
    for token in ("0xA", "0xB"):
        paid = pool.quote_exact_output(token, 10**18, require_full_output=True)
        assert paid == pool.quote_exact_output(token, 10**18) > 10**18


def test_position_edges_of_the_tick_range_and_uint128() -> None:
    pool = V3PoolState("0xp", "0xA", "0xB", 500, 1, Q96, 0, 0)
    assert pool.apply_mint(MIN_TICK, 0, 1).tick_map == {MIN_TICK: (1, 1), 0: (1, -1)}
    assert pool.apply_mint(0, MAX_TICK, 1).tick_map == {0: (1, 1), MAX_TICK: (1, -1)}
    for method in ("apply_mint", "apply_burn"):
        # a uint128, so no input error - but past int128: SafeCast.toInt128 reverts
        with pytest.raises(SafeCastOverflow):
            getattr(pool, method)(0, 1, 2**128 - 1)
    with pytest.raises(TickDataError, match="tick 30 is not a multiple of 60"):
        one_range_pool().apply_mint(30, 600, 1)


def test_gross_up_to_max_liquidity_per_tick() -> None:
    pool = V3PoolState("0xp", "0xA", "0xB", 3000, 60, Q96, 0, 0)
    cap = max_liquidity_per_tick(60)
    assert pool.apply_mint(-60, 60, cap).liquidity_gross_at(60) == cap
    with pytest.raises(LiquidityOverflow):
        pool.apply_mint(-60, 60, cap).apply_mint(0, 60, 1)
    # an int128 amount past the cap is 'LO', not a SafeCast revert
    with pytest.raises(LiquidityOverflow):
        pool.apply_mint(-60, 60, 2**127 - 1)


def _edge_pool(**ticks: Any) -> V3PoolState:
    """A 0.3 % pool at price 1 with no liquidity in range and the given tick data."""
    return V3PoolState("0xp", "0xA", "0xB", 3000, 60, Q96, 0, 0, **ticks)


def test_liquidity_net_must_stay_an_int128() -> None:
    """Tick.update: ``liquidityNet = int256(liquidityNet).add/sub(delta).toInt128()`` (states
    whose nets sit at the int128 edges, as only a snapshot can hand in)."""
    top = _edge_pool(
        ticks=(-60,),
        liquidity_net=(INT128_MAX - 1,),
        liquidity_gross=(1,),
    )
    assert top.apply_mint(-60, 60, 1).liquidity_net_at(-60) == INT128_MAX
    with pytest.raises(SafeCastOverflow):
        top.apply_mint(-60, 60, 2)
    bottom = _edge_pool(
        ticks=(60,),
        liquidity_net=(INT128_MIN + 1,),
        liquidity_gross=(1,),
    )
    assert bottom.apply_mint(-60, 60, 1).liquidity_net_at(60) == INT128_MIN
    with pytest.raises(SafeCastOverflow):
        bottom.apply_mint(-60, 60, 2)


def test_amounts_cast_to_int128_before_the_tick_checks() -> None:
    """UniswapV3Pool.mint/burn pass ``int256(amount).toInt128()`` / ``-int256(amount).toInt128()``
    as _modifyPosition's argument: 2**127 reverts in SafeCast for both (burn casts before it
    negates, so -2**127 is never reached), and before checkTicks sees inverted ticks."""
    pool = _edge_pool(ticks=(-60, 60), liquidity_net=(5, -5), liquidity_gross=(5, 5))
    for apply in (pool.apply_mint, pool.apply_burn):
        with pytest.raises(SafeCastOverflow):
            apply(-60, 60, 2**127)
        with pytest.raises(SafeCastOverflow):
            apply(60, -60, 2**127)  # inverted ticks: the cast reverts first
        with pytest.raises(TickOrder):
            apply(60, -60, 1)
