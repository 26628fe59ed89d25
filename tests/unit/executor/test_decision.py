"""The executor's decisions at their boundaries: each check is exercised one unit either side
of its limit, so a changed comparison or rounding fails a test."""

from __future__ import annotations

import dataclasses

import pytest

from arbstream.config import ExecutorConfig
from arbstream.executor import decision
from arbstream.schemas import Leg, Opportunity


def _leg(i: int, **kw: object) -> Leg:
    fields: dict[str, object] = dict(
        chain_id=1,
        pool=f"0xp{i}",
        protocol="v2",
        dex="d",
        token_in="0xa" if i == 0 else "0xb",
        token_out="0xb" if i == 0 else "0xa",
        zero_for_one=i == 0,
        fee_pips=3000,
        amount_in=100,
        amount_out=110,
        state_block=1,
        state_log_index=0,
    )
    fields.update(kw)
    return Leg(**fields)  # type: ignore[arg-type]


def _opp(**kw: object) -> Opportunity:
    fields: dict[str, object] = dict(
        id="1:c:1:0",
        kind="cross_dex",
        chain_id=1,
        cycle_id="c",
        legs=[_leg(0), _leg(1)],
        amount_in=100,
        amount_out=110,
        gross_profit=10,
        gas_estimate=100_000,
        gas_price_wei=10,
        gas_cost_wei=1_000_000,
        gas_cost_token=3,
        net_profit=7,
        profit_token="0xa",
        profit_symbol="A",
        profit_decimals=18,
        gross_profit_usd=1.0,
        net_profit_usd=0.7,
        trigger_block=1,
        trigger_tx="0xt",
        trigger_log_index=0,
        event_ingest_ts_ms=0,
        detected_ts_ms=1_000_000,
    )
    fields.update(kw)
    return Opportunity(**fields)  # type: ignore[arg-type]


CFG = ExecutorConfig(
    max_age_s=15.0, max_consecutive_reverts=3, max_trade_usd=1000.0, max_gas_price_gwei=50.0
)


def test_flash_arb_takes_two_v2_legs_on_its_chain_only() -> None:
    opp = _opp()
    assert decision.flash_arb_unsupported(opp) == ""
    cases = {
        "v3 leg in pool 0xp0": [_leg(0, protocol="v3"), _leg(1)],
        "v3 leg in pool 0xp1": [_leg(0), _leg(1, protocol="v3")],
        "leg on chain 56 in a chain 1": [_leg(0), _leg(1, chain_id=56)],
        "fee of 2550 pips": [_leg(0, fee_pips=2550), _leg(1)],
        "fee of 3001 pips": [_leg(0), _leg(1, fee_pips=3001)],
    }
    for reason, legs in cases.items():
        assert reason in decision.flash_arb_unsupported(dataclasses.replace(opp, legs=legs))
    assert "kind cyclic with 2 legs" in decision.flash_arb_unsupported(
        dataclasses.replace(opp, kind="cyclic")
    )
    assert "kind cross_dex with 3 legs" in decision.flash_arb_unsupported(
        dataclasses.replace(opp, legs=[_leg(0), _leg(1), _leg(0)])
    )
    assert "with 1 legs" in decision.flash_arb_unsupported(dataclasses.replace(opp, legs=[_leg(0)]))


def test_precheck_age_boundary_and_halt() -> None:
    opp = _opp()
    born = opp.detected_ts_ms
    assert decision.precheck(opp, now_ms=born + 15_000, consecutive_reverts=0, cfg=CFG) == ""
    assert decision.precheck(opp, now_ms=born + 15_001, consecutive_reverts=0, cfg=CFG) == (
        "stale: 15.0s old"
    )
    assert decision.precheck(opp, now_ms=born + 20_000, consecutive_reverts=0, cfg=CFG) == (
        "stale: 20.0s old"
    )
    assert decision.precheck(opp, now_ms=born, consecutive_reverts=2, cfg=CFG) == ""
    assert decision.precheck(opp, now_ms=born, consecutive_reverts=3, cfg=CFG) == (
        "halted after 3 reverts in a row"
    )
    bad = dataclasses.replace(opp, legs=[_leg(0, protocol="v3"), _leg(1)])
    assert "v3 leg" in decision.precheck(bad, now_ms=born, consecutive_reverts=0, cfg=CFG)
    # staleness is checked first, then support, then the halt
    assert decision.precheck(bad, now_ms=born + 16_000, consecutive_reverts=9, cfg=CFG).startswith(
        "stale"
    )
    assert "v3 leg" in decision.precheck(bad, now_ms=born, consecutive_reverts=9, cfg=CFG)


@pytest.mark.parametrize(
    ("gas_price", "gas_token", "min_profit"),
    [
        (10, 3, 7),  # the detector's price: its own gas, its own net estimate
        (11, 4, 7),  # 3 * 11 / 10 = 3.3 rounds up to 4; the net estimate still rules
        (20, 6, 7),
        (30, 9, 10),  # gas 9 > net 7: require gas + 1
        (0, 0, 7),
    ],
)
def test_required_profit_rescales_gas_up_and_keeps_the_estimate(
    gas_price: int, gas_token: int, min_profit: int
) -> None:
    assert decision.required_profit(_opp(), gas_price) == (gas_token, min_profit)


def test_required_profit_without_a_detector_gas_rate_charges_nothing() -> None:
    opp = _opp(gas_cost_wei=0, gas_cost_token=0, net_profit=-5)
    assert decision.required_profit(opp, 10**12) == (0, 1)


def test_edge_refusal_boundaries() -> None:
    opp = _opp()
    assert decision.edge_refusal(opp, 0, 7, 3, 9) == "no edge at block 9"
    assert decision.edge_refusal(opp, -4, 7, 3, 9) == "no edge at block 9"
    assert decision.edge_refusal(opp, 6, 7, 3, 9) == (
        "edge 6 at block 9 below required 7 (estimate net 7, gas 3)"
    )
    assert decision.edge_refusal(opp, 7, 7, 3, 9) == ""
    assert decision.edge_refusal(opp, 1, 1, 0, 9) == ""


def test_limit_refusal_boundaries() -> None:
    assert decision.limit_refusal(1000.0, 50 * 10**9, CFG) == ""
    assert decision.limit_refusal(1000.5, 1, CFG) == "trade $1,000 above max_trade_usd"
    assert decision.limit_refusal(2500.0, 1, CFG) == "trade $2,500 above max_trade_usd"
    assert decision.limit_refusal(1.0, 50 * 10**9 + 1, CFG) == "gas price 50.0 gwei above limit"
    assert decision.limit_refusal(1.0, 75 * 10**9, CFG) == "gas price 75.0 gwei above limit"
    assert decision.limit_refusal(1.0, 10**18, CFG) == "gas price 1000000000.0 gwei above limit"
    # the trade limit is checked first
    assert decision.limit_refusal(5000.0, 10**12, CFG).startswith("trade")


def test_simulation_refusal_boundary() -> None:
    assert decision.simulation_refusal(7, 7) == ""
    assert decision.simulation_refusal(8, 7) == ""
    assert decision.simulation_refusal(6, 7) == "simulation unprofitable: 6 < 7"
