"""The opportunity record and the gas charge of the strategy module, field by field.

Expected values are computed here from the inputs (exact integers, the reference USD prices),
not read back from the code under test."""

from __future__ import annotations

import math

import pytest

from arbstream.config import ChainConfig, TokenConfig
from arbstream.cyext.v2_pool import V2PoolState
from arbstream.errors import SchemaError
from arbstream.schemas import now_ms
from arbstream.streams import strategy
from arbstream.streams.valuation import Valuation

A, B, C = "0x" + "a" * 40, "0x" + "b" * 40, "0x" + "c" * 40


def _valuation() -> Valuation:
    return Valuation(
        ChainConfig(
            chain_id=137,
            name="polygon",
            ws_url="ws://x",
            http_url="http://x",
            weth=B,
            tokens=[
                TokenConfig(symbol="AAA", address=A, decimals=6, usd_price=2.0),
                TokenConfig(symbol="WB", address=B, decimals=18, usd_price=1000.0),
            ],
        )
    )


def _triangle() -> tuple[strategy.Cycle, strategy.SizedCycle]:
    ab = V2PoolState("0xab", A, B, 30, 10**12, 2 * 10**12, 7, 1, 137, "quick")
    bc = V2PoolState("0xbc", B, C, 25, 10**12, 10**12, 8, 2, 137, "sushi")
    ca = V2PoolState("0xca", A, C, 30, 10**12, 10**12, 9, 3, 137, "uni")
    cycle = strategy.Cycle((strategy.Hop(ab, A, B), strategy.Hop(bc, B, C), strategy.Hop(ca, C, A)))
    (sized,) = strategy.size([cycle])
    return cycle, sized


def test_every_field_of_a_three_leg_opportunity() -> None:
    cycle, sized = _triangle()
    x = sized.amount_in
    assert x > 0
    mid1 = (x * 9970 * 2 * 10**12) // (10**12 * 10000 + x * 9970)
    mid2 = (mid1 * 9975 * 10**12) // (10**12 * 10000 + mid1 * 9975)
    out = (mid2 * 9970 * 10**12) // (10**12 * 10000 + mid2 * 9970)
    assert sized.amounts == (mid1, mid2, out) and sized.hop_inputs() == (x, mid1, mid2)
    gas = strategy.GasCost(21_000, 30, 630_000, 5)
    ingest = now_ms() - 40
    before = now_ms()
    opp = strategy.opportunity(sized, gas, _valuation(), strategy.Trigger(99, "0xtx", 4, ingest))
    after = now_ms()
    profit = out - x
    assert opp.id == f"137:0xab>0xbc>0xca:{A[:10]}:99:4" and opp.cycle_id == cycle.cycle_id
    assert (opp.kind, opp.chain_id) == ("cyclic", 137)
    assert (opp.amount_in, opp.amount_out, opp.gross_profit) == (x, out, profit)
    assert (opp.gas_estimate, opp.gas_price_wei, opp.gas_cost_wei, opp.gas_cost_token) == (
        21_000,
        30,
        630_000,
        5,
    )
    assert opp.net_profit == profit - 5
    assert (opp.profit_token, opp.profit_symbol, opp.profit_decimals) == (A, "AAA", 6)
    assert opp.gross_profit_usd == pytest.approx(profit / 10**6 * 2.0)
    assert opp.net_profit_usd == pytest.approx((profit - 5) / 10**6 * 2.0)
    assert (opp.trigger_block, opp.trigger_tx, opp.trigger_log_index) == (99, "0xtx", 4)
    assert opp.event_ingest_ts_ms == ingest and before <= opp.detected_ts_ms <= after
    assert opp.latency_ms == float(opp.detected_ts_ms - ingest) >= 40
    legs = [
        (
            leg.chain_id,
            leg.pool,
            leg.protocol,
            leg.dex,
            leg.token_in,
            leg.token_out,
            leg.zero_for_one,
            leg.fee_pips,
            leg.amount_in,
            leg.amount_out,
            leg.state_block,
            leg.state_log_index,
        )
        for leg in opp.legs
    ]
    assert legs == [
        (137, "0xab", "v2", "quick", A, B, True, 3000, x, mid1, 7, 1),
        (137, "0xbc", "v2", "sushi", B, C, True, 2500, mid1, mid2, 8, 2),
        (137, "0xca", "v2", "uni", C, A, False, 3000, mid2, out, 9, 3),
    ]


def test_a_loss_after_gas_is_negative_in_usd_and_latency_never_negative() -> None:
    _, sized = _triangle()
    gas = strategy.GasCost(1, 1, 1, sized.profit + 2_000_000)  # gas above the profit
    future = now_ms() + 60_000  # an ingest stamp from a clock ahead of ours
    opp = strategy.opportunity(sized, gas, _valuation(), strategy.Trigger(1, "0x", 0, future))
    assert opp.net_profit == -2_000_000
    assert opp.net_profit_usd == pytest.approx(-4.0)
    assert opp.latency_ms == 0.0


def test_gas_is_charged_through_the_native_pool_rounding_up() -> None:
    valuation = _valuation()
    got = strategy.gas_cost(valuation, A, 100_000, 7, native_reserves=(3_000, 1_000_000))
    wei = 700_000
    assert got == strategy.GasCost(100_000, 7, wei, -(-wei * 3_000 // 1_000_000))
    assert got is not None and got.gas_cost_token == 2100
    # the native token itself: no conversion; at reference prices without a pool:
    # 1 wei of WB (1e-18 * $1000) in AAA (6 decimals, $2) is 5e-13 units, rounded up to 1
    assert strategy.gas_cost(valuation, B, 10, 3) == strategy.GasCost(10, 3, 30, 30)
    assert strategy.gas_cost(valuation, A, 1, 1) == strategy.GasCost(1, 1, 1, 1)
    assert strategy.gas_cost(valuation, C, 1, 1) is None  # no price for C


def test_best_keeps_the_first_of_equals_and_takes_a_profit_of_one() -> None:
    _, sized = _triangle()
    one = strategy.SizedCycle(sized.cycle, 10, (5, 6, 11))  # profit exactly 1
    assert one.profit == 1 and strategy.best([one]) is one
    twin = strategy.SizedCycle(sized.cycle, 20, (5, 6, 21))
    assert strategy.best([one, twin]) is one and strategy.best([twin, one]) is twin
    assert strategy.best([strategy.SizedCycle(sized.cycle, 10, (5, 6, 10))]) is None


def test_cycles_through_an_empty_pool_size_to_zero_each() -> None:
    empty = V2PoolState("0xe", A, B, 30, 0, 0)
    full = V2PoolState("0xf", A, B, 30, 10**20, 10**20)
    cycles = strategy.two_pool_cycles(empty, full)
    sized = strategy.size(cycles)
    assert len(sized) == 4
    assert [(s.cycle, s.amount_in, s.amounts, s.profit) for s in sized] == [
        (c, 0, (), 0) for c in cycles
    ]


def test_cycle_errors_say_what_is_wrong() -> None:
    a = V2PoolState("0xa1", A, B, 30, 10, 10)
    with pytest.raises(ValueError) as short:
        strategy.Cycle((strategy.Hop(a, A, B),))
    assert str(short.value) == "a cycle has at least two hops"
    _, sized = _triangle()
    opp = strategy.opportunity(
        sized, strategy.GasCost(1, 1, 1, 1), _valuation(), strategy.Trigger(1, "0x", 0, 0)
    )
    pools = {h.pool.address: h.pool for h in sized.cycle.hops}
    with pytest.raises(SchemaError) as broken:
        strategy.cycle_from_legs(opp.legs[:2], pools)
    assert f"hops do not chain: {C} then {A}" in str(broken.value)


def test_a_break_even_record_is_zero_usd_not_negative_zero() -> None:
    """Gas equal to the profit: net 0, and its USD value is +0.0 (a -0.0 would be written
    to the record as such)."""
    _, sized = _triangle()
    gas = strategy.GasCost(1, 1, 1, sized.profit)
    opp = strategy.opportunity(sized, gas, _valuation(), strategy.Trigger(1, "0x", 0, 0))
    assert opp.net_profit == 0
    assert math.copysign(1.0, opp.net_profit_usd) == 1.0 and opp.net_profit_usd == 0.0


def test_no_record_for_a_cycle_sized_to_nothing() -> None:
    """A cycle without amounts (sized to 0) has no legs to describe: opportunity() refuses
    it rather than writing a record without legs."""
    cycle, _ = _triangle()
    unsized = strategy.SizedCycle(cycle, 0, ())
    with pytest.raises(ValueError):
        strategy.opportunity(
            unsized, strategy.GasCost(1, 1, 1, 1), _valuation(), strategy.Trigger(1, "0x", 0, 0)
        )


def test_latency_is_the_detected_stamp_minus_the_ingest_stamp() -> None:
    """One clock reading per record: ``latency_ms`` is exactly ``detected_ts_ms`` minus the
    ingest stamp. Records are built until the millisecond has turned 50 times (bounded), so
    a second reading of the clock would show as a record whose two stamps disagree."""
    _, sized = _triangle()
    gas, valuation = strategy.GasCost(1, 1, 1, 1), _valuation()
    ingest = now_ms() - 1_000
    stamps = set()
    for _ in range(500_000):
        opp = strategy.opportunity(sized, gas, valuation, strategy.Trigger(1, "0x", 0, ingest))
        assert opp.latency_ms == float(opp.detected_ts_ms - ingest)
        stamps.add(opp.detected_ts_ms)
        if len(stamps) > 50:
            break
    assert len(stamps) > 50, f"the clock turned only {len(stamps)} times in 500,000 records"
