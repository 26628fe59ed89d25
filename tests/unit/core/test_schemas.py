from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arbstream.analytics.tables import TABLES, create_table_sql
from arbstream.errors import SchemaError
from arbstream.schemas import ALL_RECORDS, Opportunity, PoolEvent

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
