"""The detector's pair state and the strategy module it shares with the executor.

Oracles independent of the code under test: brute force over every input for small pools
(the exact integer argmax of the profit), the pool models' own leg-by-leg quotes, and the
real mainnet WBTC/WETH V3 pool state (whose quotes are checked on chain in
tests/unit/cyext/v3/test_mainnet_pool.py).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbstream.config import ChainConfig, TokenConfig
from arbstream.cyext import v2_math
from arbstream.cyext.pools import pool_from_row, pool_to_row
from arbstream.cyext.v2_pool import V2PoolState
from arbstream.cyext.v3.pool import V3PoolState
from arbstream.errors import SchemaError
from arbstream.schemas import Opportunity, PoolEvent
from arbstream.streams import strategy
from arbstream.streams.pair_state import HISTORY, PairState
from arbstream.streams.valuation import Valuation

DATA = Path(__file__).resolve().parents[2] / "data" / "degenbot"
A, B = "0x" + "a" * 40, "0x" + "b" * 40


def _sync(
    block: int, log_index: int, r0: int, r1: int, pool: str = "0xp", removed: bool = False
) -> PoolEvent:
    return PoolEvent(
        kind="Sync",
        chain_id=1,
        dex="d",
        pool=pool,
        token0=A,
        token1=B,
        fee_bps=30,
        block_number=block,
        block_hash=f"0xh{block}",
        tx_hash=f"0xt{block}",
        log_index=log_index,
        removed=removed,
        reserve0=r0,
        reserve1=r1,
    )


def _pair(*events: PoolEvent) -> PairState:
    pair = PairState()
    for event in events:
        pair.apply(event)
    return pair


def test_retraction_restores_the_previous_state() -> None:
    pair = _pair(_sync(1, 0, 100, 200), _sync(2, 0, 110, 190))
    assert pair.latest["0xp"].reserve0 == 110
    pair.apply(dataclasses.replace(_sync(2, 0, 110, 190), removed=True))
    state = pair.latest["0xp"]
    assert (state.reserve0, state.reserve1, state.block) == (100, 200, 1)
    pair.apply(dataclasses.replace(_sync(1, 0, 100, 200), removed=True))
    assert pair.latest == {}
    pair.apply(dataclasses.replace(_sync(9, 0, 1, 1, pool="0xq"), removed=True))
    assert pair.latest == {} and "0xq" not in pair.pools  # retracting the unknown: nothing


def test_out_of_order_sync_does_not_win() -> None:
    pair = _pair(_sync(5, 1, 1, 1), _sync(4, 9, 2, 2), _sync(5, 0, 3, 3))
    assert (pair.latest["0xp"].block, pair.latest["0xp"].log_index) == (5, 1)
    assert [s.reserve0 for _, s in pair.pools["0xp"].history] == [2, 3, 1]
    pair.apply(dataclasses.replace(_sync(5, 1, 1, 1), removed=True))
    assert pair.latest["0xp"].reserve0 == 3


def test_a_sync_seen_twice_is_kept_once() -> None:
    pair = _pair(_sync(3, 2, 5, 6), _sync(3, 2, 5, 6))
    assert len(pair.pools["0xp"].history) == 1


def test_history_keeps_the_newest_syncs() -> None:
    pair = _pair(*(_sync(b, 0, b, b) for b in range(1, HISTORY + 6)))
    kept = [s.block for _, s in pair.pools["0xp"].history]
    assert kept == list(range(6, HISTORY + 6))


def test_final_syncs_are_dropped_but_the_newest_final_one() -> None:
    """Blocks at or below ``final_block`` cannot be reorged away: of their Syncs only the
    newest stays (it is what a retraction of everything after it restores)."""
    pair = _pair(*(_sync(b, 0, b, b) for b in (1, 2, 3, 4)))
    pair.apply(_sync(5, 0, 5, 5), final_block=3)
    assert [s.block for _, s in pair.pools["0xp"].history] == [3, 4, 5]
    for b in (5, 4):
        pair.apply(dataclasses.replace(_sync(b, 0, b, b), removed=True))
    assert pair.latest["0xp"].block == 3
    pair.apply(dataclasses.replace(_sync(3, 0, 3, 3), removed=True))
    assert pair.latest == {}  # nothing older is kept to restore
    pair.apply(_sync(9, 0, 9, 9), final_block=100)
    assert [s.block for _, s in pair.pools["0xp"].history] == [9]


def test_pair_state_survives_its_wire_form_exactly() -> None:
    """The table value goes through the changelog as bytes: the pair comes back equal."""
    pair = _pair(
        _sync(7, 3, 2**111 + 1, 2**112 - 1),
        _sync(8, 0, 5, 6),
        _sync(7, 9, 1, 2, pool="0xq"),
    )
    pair.apply(dataclasses.replace(_sync(9, 0, 1, 1, pool="0xr")))
    pair.apply(dataclasses.replace(_sync(9, 0, 1, 1, pool="0xr"), removed=True))
    back = PairState.decode(pair.encode())
    assert back.latest == pair.latest
    assert {a: p.history for a, p in back.pools.items()} == {
        a: p.history for a, p in pair.pools.items()
    }
    state = back.pools["0xp"].history[0][1]
    assert (state.reserve0, state.reserve1, state.chain_id, state.dex) == (
        2**111 + 1,
        2**112 - 1,
        1,
        "d",
    )
    assert back.latest["0xp"].reserve0 == 5 and "0xr" not in back.latest
    # a retraction after recovery still restores the earlier Sync
    back.apply(dataclasses.replace(_sync(8, 0, 5, 6), removed=True))
    assert back.latest["0xp"].reserve0 == 2**111 + 1


@pytest.mark.parametrize("raw", [b"", b"[", b"{}", b'{"0xp": {"history": []}}', b'{"v": 2}'])
def test_an_entry_of_another_layout_reads_as_an_empty_pair(raw: bytes) -> None:
    """Not misread: the next Sync of each pool rebuilds the pair."""
    pair = PairState.decode(raw)
    assert pair.latest == {} and pair.pools == {}
    pair.apply(_sync(8, 0, 9, 9))
    assert pair.latest["0xp"].reserve0 == 9


@settings(max_examples=200, deadline=None)
@given(
    r0=st.integers(0, 2**112 - 1),
    r1=st.integers(0, 2**112 - 1),
    fee=st.integers(0, 9999),
    block=st.integers(0, 2**63),
    log_index=st.integers(-1, 2**31),
)
def test_v2_compact_row_round_trips(r0: int, r1: int, fee: int, block: int, log_index: int) -> None:
    pool = V2PoolState("0xp", A, B, fee, r0, r1, block, log_index, 137, "quickswap")
    row = json.loads(json.dumps(pool_to_row(pool)))
    assert pool_from_row(row) == pool


def test_v3_compact_row_round_trips_the_mainnet_pool() -> None:
    pool = dataclasses.replace(_mainnet_v3(), chain_id=1, dex="uniswap_v3", log_index=5)
    row = json.loads(json.dumps(pool_to_row(pool)))
    back = pool_from_row(row)
    assert back == pool and len(back.ticks) > 400
    assert back.quote_exact_input(back.token0, 10**8) == pool.quote_exact_input(pool.token0, 10**8)


@pytest.mark.parametrize(
    "row", [[], "v2", ["v4", 1], ["v2", "0xp"], ["v3", *range(15)], None, [["v2"]]]
)
def test_malformed_rows_are_pricing_input_errors(row: object) -> None:
    from arbstream.cyext.errors import PricingInputError

    with pytest.raises(PricingInputError):
        pool_from_row(row)  # type: ignore[arg-type]


def _pool(addr: str, r0: int, r1: int, fee: int = 30) -> V2PoolState:
    return V2PoolState(addr, A, B, fee, r0, r1, 1, 0, 1, addr)


def _brute_force(cycle: strategy.Cycle, cap: int) -> tuple[int, int]:
    """(best profit, smallest input reaching it) over every input 1..cap, 0 when none."""
    best_profit, best_in = 0, 0
    for x in range(1, cap + 1):
        try:
            profit = cycle.chain(x)[-1] - x
        except ArithmeticError:
            continue
        if profit > best_profit:
            best_profit, best_in = profit, x
    return best_profit, best_in


def test_two_pool_sizing_is_the_exact_optimum_against_brute_force() -> None:
    """Every directed cycle of many small dislocated pairs, against every input. Profitable
    and unprofitable cases both occur (counted), so neither side of the check is vacuous."""
    profitable = 0
    cases = 0
    for r0 in (700, 1500, 2900):
        for skew in (0.8, 0.97, 1.0, 1.03, 1.3):
            for depth in (0.3, 1.0):
                for fee in (0, 30, 25, 100):
                    a = _pool("0xa1", r0, 2 * r0, fee)
                    b = _pool("0xb1", int(r0 * depth), int(2 * r0 * depth * skew), 30)
                    for cycle, sized in zip(
                        strategy.two_pool_cycles(a, b),
                        strategy.size(strategy.two_pool_cycles(a, b)),
                        strict=True,
                    ):
                        cases += 1
                        want_profit, want_in = _brute_force(cycle, 3 * r0)
                        assert (sized.profit, sized.amount_in) == (want_profit, want_in), (
                            cycle.cycle_id,
                            r0,
                            skew,
                            depth,
                            fee,
                        )
                        if want_profit > 0:
                            profitable += 1
                            assert sized.amounts == cycle.chain(sized.amount_in)
    assert cases == 480 and 40 < profitable < cases


@settings(max_examples=200, deadline=None)
@given(
    r0=st.integers(10**6, 10**27),
    r1=st.integers(10**6, 10**27),
    skew=st.floats(0.9, 1.1),
    depth=st.floats(0.05, 1.0),
)
def test_best_cycle_is_profitable_exact_and_locally_optimal(
    r0: int, r1: int, skew: float, depth: float
) -> None:
    a = _pool("0xa1", r0, r1)
    b = _pool("0xb1", max(1, int(r0 * depth)), max(1, int(r1 * depth * skew)))
    sized = strategy.size(strategy.two_pool_cycles(a, b))
    winner = strategy.best(sized)
    profits = [s.profit for s in sized]
    if winner is None:
        assert max(profits) <= 0
        return
    assert winner.profit == max(profits) > 0
    first, second = winner.cycle.hops
    r_in1, r_mid1 = first.pool.reserves_from(first.token_in)
    r_in2, r_mid2 = second.pool.reserves_from(first.token_in)
    mid = v2_math.get_amount_out(winner.amount_in, r_in1, r_mid1, 30)
    out = v2_math.get_amount_out(mid, r_mid2, r_in2, 30)
    assert (mid, out) == winner.amounts
    for x in (winner.amount_in - 1, winner.amount_in + 1):
        if x >= 1:
            assert winner.cycle.chain(x)[-1] - x <= winner.profit


def test_best_ranks_by_value_across_start_tokens() -> None:
    a, b = _pool("0xa1", 10**21, 2 * 10**21), _pool("0xb1", 10**20, 3 * 10**20)
    sized = strategy.size(strategy.two_pool_cycles(a, b))
    by_raw = strategy.best(sized)
    assert by_raw is not None
    other = by_raw.cycle.hops[0].token_out
    # worth a million times more per unit: the cycle starting in the other token wins
    by_value = strategy.best(sized, lambda t, x: x * (10**6 if t == other else 1))
    assert by_value is not None and by_value.cycle.start_token == other


def test_empty_pool_sizes_to_nothing() -> None:
    sized = strategy.size(
        strategy.two_pool_cycles(_pool("0xa1", 0, 0), _pool("0xb1", 10**20, 10**20))
    )
    assert strategy.best(sized) is None and all(s.amount_in == 0 for s in sized)


def _mainnet_v3() -> V3PoolState:
    snapshot = json.loads((DATA / "uniswap_v3_wbtc_weth_state_block_24407242.json").read_text())
    return V3PoolState.from_snapshot(snapshot)


def test_mixed_v3_v2_cycle_sizes_and_chains_leg_by_leg() -> None:
    raw = _mainnet_v3()  # addresses lowercase, as the pipeline keeps them
    v3 = dataclasses.replace(
        raw, token0=raw.token0.lower(), token1=raw.token1.lower(), chain_id=1, dex="uniswap_v3"
    )
    wbtc, weth = v3.token0, v3.token1
    # a V2 WBTC/WETH pair 2 % richer in WETH than the V3 pool's price
    price = (v3.sqrt_price_x96 / 2**96) ** 2  # WETH per WBTC in raw units
    r_wbtc = 50 * 10**8
    v2 = V2PoolState("0xv2", wbtc, weth, 30, r_wbtc, int(r_wbtc * price * 1.02), 1, 0, 1, "sushi")
    buy_v3 = strategy.Cycle((strategy.Hop(v3, weth, wbtc), strategy.Hop(v2, wbtc, weth)))
    buy_v2 = strategy.Cycle((strategy.Hop(v2, weth, wbtc), strategy.Hop(v3, wbtc, weth)))
    good, bad = strategy.size([buy_v3, buy_v2])
    assert bad.amount_in == 0 and good.profit > 0
    # leg by leg on the pool models, and no better input one unit either side
    mid = v3.quote_exact_input(weth, good.amount_in)
    assert good.amounts == (mid, v2.quote_exact_input(wbtc, mid))
    for x in (good.amount_in - 1, good.amount_in + 1):
        assert buy_v3.chain(x)[-1] - x <= good.profit

    valuation = Valuation(
        ChainConfig(
            chain_id=1,
            name="eth",
            ws_url="ws://x",
            http_url="http://x",
            weth=weth,
            tokens=[TokenConfig(symbol="WETH", address=weth, decimals=18, usd_price=3000.0)],
        )
    )
    gas = strategy.gas_cost(valuation, weth, 300_000, 10**9)
    assert gas is not None and gas.gas_cost_token == 300_000 * 10**9
    opp = strategy.opportunity(good, gas, valuation, strategy.Trigger(9, "0xt", 4, 1))
    assert opp.kind == "cross_dex" and opp.net_profit == good.profit - gas.gas_cost_token
    assert [(leg.protocol, leg.dex, leg.fee_pips) for leg in opp.legs] == [
        ("v3", "uniswap_v3", 3000),
        ("v2", "sushi", 3000),
    ]
    assert [(leg.amount_in, leg.amount_out) for leg in opp.legs] == [
        (good.amount_in, mid),
        (mid, good.amount_out),
    ]
    assert opp.legs[0].zero_for_one is False and opp.legs[1].zero_for_one is True
    assert Opportunity.from_json(opp.to_json()) == opp


def test_three_leg_cycle_goes_through_the_cycle_kernel() -> None:
    c = "0x" + "c" * 40
    ab = V2PoolState("0xab", A, B, 30, 10**21, 2 * 10**21, 1, 0, 1, "x")
    bc = V2PoolState("0xbc", B, c, 30, 10**21, 10**21, 1, 1, 1, "y")
    ca = V2PoolState("0xca", A, c, 30, 10**21, 10**21, 1, 2, 1, "z")  # 1 a -> 2 b -> 2 c -> 2 a
    cycle = strategy.Cycle((strategy.Hop(ab, A, B), strategy.Hop(bc, B, c), strategy.Hop(ca, c, A)))
    (sized,) = strategy.size([cycle])
    assert cycle.kind == "cyclic" and sized.profit > 0
    assert sized.amounts == cycle.chain(sized.amount_in)
    for x in (sized.amount_in - 1, sized.amount_in + 1):
        assert cycle.chain(x)[-1] - x <= sized.profit


def test_cycle_from_legs_reprices_on_new_states() -> None:
    a, b = _pool("0xa1", 10**21, 2 * 10**21), _pool("0xb1", 10**20, 3 * 10**20)
    winner = strategy.best(strategy.size(strategy.two_pool_cycles(a, b)))
    assert winner is not None
    valuation = Valuation(
        ChainConfig(chain_id=1, name="e", ws_url="ws://x", http_url="http://x", weth=A)
    )
    gas = strategy.gas_cost(valuation, A, 1, 0)
    assert gas is not None
    opp = strategy.opportunity(winner, gas, valuation, strategy.Trigger(1, "0x", 0, 0))
    # the same states give the same sizing; moved states give the new optimum
    same = strategy.cycle_from_legs(opp.legs, {a.address: a, b.address: b})
    assert strategy.size([same])[0] == winner
    moved_b = dataclasses.replace(b, reserve1=b.reserve1 // 2)
    again = strategy.size([strategy.cycle_from_legs(opp.legs, {a.address: a, "0xb1": moved_b})])
    assert again[0].cycle.hops[1].pool == moved_b or again[0].cycle.hops[0].pool == moved_b
    with pytest.raises(SchemaError, match="no state"):
        strategy.cycle_from_legs(opp.legs, {a.address: a})
    wrong = dataclasses.replace(b, token1="0x" + "e" * 40)
    with pytest.raises(SchemaError, match="not in pool"):
        strategy.cycle_from_legs(opp.legs, {a.address: a, b.address: wrong})


def test_cycles_must_chain() -> None:
    a = _pool("0xa1", 10, 10)
    with pytest.raises(ValueError, match="do not chain"):
        strategy.Cycle((strategy.Hop(a, A, B), strategy.Hop(a, A, B)))
    with pytest.raises(ValueError, match="at least two"):
        strategy.Cycle((strategy.Hop(a, A, B),))


def test_size_two_pool_is_size_of_the_profitable_cycles() -> None:
    pairs = [
        (_pool("0xa1", 10**21, 2 * 10**21), _pool("0xb1", 10**20, 3 * 10**20)),
        (_pool("0xa1", 10**21, 2 * 10**21), _pool("0xb1", 10**20, 2 * 10**20)),  # none
        (_pool("0xa1", 5 * 10**20, 10**21, 25), _pool("0xb1", 10**21, 10**21, 30)),
    ]
    flipped = V2PoolState("0xb2", B, A, 30, 3 * 10**20, 10**20, 1, 0, 1, "0xb2")  # B is token0
    pairs.append((_pool("0xa1", 10**21, 2 * 10**21), flipped))
    got = strategy.size_two_pool(pairs)
    for (a, b), found in zip(pairs, got, strict=True):
        want = [s for s in strategy.size(strategy.two_pool_cycles(a, b)) if s.profit > 0]
        assert found == want
    assert [len(f) > 0 for f in got] == [True, False, True, True]
    assert strategy.size_two_pool([]) == []


@settings(max_examples=150, deadline=None)
@given(
    reserves=st.lists(st.integers(1, 10**24), min_size=4, max_size=4),
    fees=st.tuples(st.integers(0, 100), st.integers(0, 100)),
    flip=st.booleans(),
)
def test_size_two_pool_matches_size_for_any_reserves(
    reserves: list[int], fees: tuple[int, int], flip: bool
) -> None:
    """The hot path's rows (read straight off the reserves when both pools order the tokens
    alike, else through the pool models) price what :func:`strategy.size` prices."""
    a = _pool("0xa1", reserves[0], reserves[1], fees[0])
    b = V2PoolState("0xb1", A, B, fees[1], reserves[2], reserves[3], 1, 0, 1, "0xb1")
    if flip:
        b = V2PoolState("0xb1", B, A, fees[1], reserves[3], reserves[2], 1, 0, 1, "0xb1")
    (found,) = strategy.size_two_pool([(a, b)])
    assert found == [s for s in strategy.size(strategy.two_pool_cycles(a, b)) if s.profit > 0]
