from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arbstream.analytics.tables import TABLES, create_table_sql
from arbstream.errors import SchemaError
from arbstream.schemas import ALL_RECORDS, Leg, Opportunity, PoolEvent

U256 = st.integers(min_value=0, max_value=2**256 - 1)


@given(r0=U256, r1=U256, a=U256)
def test_pool_event_round_trip_keeps_exact_integers(r0: int, r1: int, a: int) -> None:
    event = PoolEvent(
        kind="Sync",
        chain_id=1,
        dex="d",
        pool="0x" + "1" * 40,
        token0="0xa",
        token1="0xb",
        fee_bps=30,
        block_number=5,
        block_hash="0xh",
        tx_hash="0xt",
        log_index=3,
        reserve0=r0,
        reserve1=r1,
        amount0_in=a,
    )
    back = PoolEvent.from_json(event.to_json())
    assert back == event and back.reserve0 == r0


def test_wrong_schema_and_missing_fields_are_schema_errors() -> None:
    with pytest.raises(SchemaError, match="expected schema"):
        Opportunity.from_json(b'{"schema": "arbstream.pool_event.v1"}')
    with pytest.raises(SchemaError, match="missing fields"):
        PoolEvent.from_json(b'{"schema": "arbstream.pool_event.v1", "kind": "Sync"}')
    with pytest.raises(SchemaError, match="not JSON"):
        PoolEvent.from_json(b"{")


def test_every_record_has_a_table_with_its_identity_as_order_key() -> None:
    assert {s.record for s in TABLES} == set(ALL_RECORDS)
    for spec in TABLES:
        sql = create_table_sql(spec, "db")
        assert spec.record.IDENTITY and all(f"`{c}`" in sql for c in spec.record.IDENTITY)
        assert "ReplacingMergeTree" in sql
        amounts = [n for n, t in spec.record.columns() if t in ("UInt256", "Int256")]
        assert all(f"`{n}` " in sql for n in amounts)


def test_schema_names_are_versioned_and_unique() -> None:
    names = [r.SCHEMA for r in ALL_RECORDS]
    assert len(set(names)) == len(names)
    assert all(n.startswith("arbstream.") and n.rsplit(".", 1)[1].startswith("v") for n in names)


def _leg(i: int, amount: int) -> Leg:
    return Leg(
        chain_id=56,
        pool=f"0xpool{i}",
        protocol="v3" if i else "v2",
        dex="pancake",
        token_in=f"0xt{i}",
        token_out=f"0xt{i + 1}",
        zero_for_one=bool(i % 2),
        fee_pips=2500,
        amount_in=amount,
        amount_out=amount + 1,
        state_block=9,
        state_log_index=-1,
    )


@given(amount=U256)
def test_opportunity_v2_round_trips_its_legs_exactly(amount: int) -> None:
    legs = [_leg(0, amount // 2), _leg(1, amount // 2)]
    opp = Opportunity.from_json(
        json.dumps(
            {
                **json.loads(Opportunity.from_json(_V1).to_json()),
                "legs": [x.to_dict() for x in legs],
            }
        )
    )
    back = Opportunity.from_json(opp.to_json())
    assert back == opp and back.legs == legs and isinstance(back.legs[0], Leg)
    assert json.loads(opp.to_json())["schema"] == "arbstream.opportunity.v2"
    names = [n for n, _ in Opportunity.columns()]
    assert opp.ch_row(names)[names.index("legs")] == [x.to_tuple() for x in legs]


_V1 = json.dumps(
    {
        "schema": "arbstream.opportunity.v1",
        "id": "1:c:5:2",
        "kind": "cross_dex",
        "chain_id": 1,
        "cycle_id": "c",
        "pools": ["0xa", "0xb"],
        "dexes": ["uni", "sushi"],
        "tokens": ["0xw", "0xu", "0xw"],
        "zero_for_one": [True, False],
        "fees_bps": [30, 25],
        "amount_in": 100,
        "amount_out": 107,
        "gross_profit": 7,
        "gas_estimate": 1,
        "gas_price_wei": 1,
        "gas_cost_wei": 1,
        "gas_cost_token": 1,
        "net_profit": 6,
        "profit_token": "0xw",
        "profit_symbol": "W",
        "profit_decimals": 18,
        "gross_profit_usd": 0.0,
        "net_profit_usd": 0.0,
        "state_blocks": [4, 5],
        "state_log_indexes": [7, 2],
        "trigger_block": 5,
        "trigger_tx": "0xt",
        "trigger_log_index": 2,
        "event_ingest_ts_ms": 1,
    }
)


def test_a_v1_opportunity_reads_as_v2_legs() -> None:
    opp = Opportunity.from_json(_V1)
    assert [(leg.pool, leg.dex, leg.token_in, leg.token_out) for leg in opp.legs] == [
        ("0xa", "uni", "0xw", "0xu"),
        ("0xb", "sushi", "0xu", "0xw"),
    ]
    assert [
        (leg.zero_for_one, leg.fee_pips, leg.state_block, leg.state_log_index) for leg in opp.legs
    ] == [
        (True, 3000, 4, 7),
        (False, 2500, 5, 2),
    ]
    # v1 knew only the cycle's ends: the middle amount is unknown (0)
    assert [(leg.amount_in, leg.amount_out) for leg in opp.legs] == [(100, 0), (0, 107)]
    assert opp.start_token == "0xw" and opp.net_profit == 6


def test_bad_legs_are_schema_errors() -> None:
    good = json.loads(Opportunity.from_json(_V1).to_json())
    with pytest.raises(SchemaError, match="expected a list"):
        Opportunity.from_json(json.dumps({**good, "legs": {"pool": "0xa"}}))
    with pytest.raises(SchemaError, match=r"Leg: missing \['pool'"):
        Opportunity.from_json(json.dumps({**good, "legs": [{"chain_id": 1}]}))
    with pytest.raises(SchemaError, match="cannot upgrade"):
        Opportunity.from_json(json.dumps({**json.loads(_V1), "pools": ["0xa", "0xb", "0xc"]}))
