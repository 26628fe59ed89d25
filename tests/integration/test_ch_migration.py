"""Opportunity v1 rows stay readable after the table migrates to v2 (real chDB).

The v1 table is created from a frozen copy of the v1 column list (as it was on disk before
the change), filled with v1 rows through the sink's insert path, then ``create_schema``
migrates it. Each v1 row's ``legs`` read from ClickHouse must equal the legs the v1 -> v2
upgrade computes in Python for the same record (two independent implementations: the
migration's SQL expression and the JSON upgrade)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from arbstream.analytics.clickhouse import connect, create_schema, insert_records
from arbstream.analytics.tables import TABLES
from arbstream.schemas import Execution, Leg, Opportunity

pytestmark = pytest.mark.integration

V1_COLUMNS = [
    ("id", "String"),
    ("kind", "String"),
    ("chain_id", "UInt32"),
    ("cycle_id", "String"),
    ("pools", "Array(String)"),
    ("dexes", "Array(String)"),
    ("tokens", "Array(String)"),
    ("zero_for_one", "Array(Bool)"),
    ("fees_bps", "Array(UInt16)"),
    ("amount_in", "UInt256"),
    ("amount_out", "UInt256"),
    ("gross_profit", "Int256"),
    ("gas_estimate", "UInt64"),
    ("gas_price_wei", "UInt256"),
    ("gas_cost_wei", "UInt256"),
    ("gas_cost_token", "UInt256"),
    ("net_profit", "Int256"),
    ("profit_token", "String"),
    ("profit_symbol", "String"),
    ("profit_decimals", "UInt8"),
    ("gross_profit_usd", "Float64"),
    ("net_profit_usd", "Float64"),
    ("state_blocks", "Array(UInt64)"),
    ("state_log_indexes", "Array(UInt32)"),
    ("trigger_block", "UInt64"),
    ("trigger_tx", "String"),
    ("trigger_log_index", "UInt32"),
    ("event_ingest_ts_ms", "Int64"),
    ("detected_ts_ms", "Int64"),
    ("latency_ms", "Float64"),
]


def v1_record(i: int) -> dict[str, Any]:
    return {
        "schema": "arbstream.opportunity.v1",
        "id": f"1:c{i}:{i}:0",
        "kind": "cross_dex",
        "chain_id": 1,
        "cycle_id": f"c{i}",
        "pools": [f"0xpool{i}a", f"0xpool{i}b"],
        "dexes": ["uni", "sushi"],
        "tokens": ["0xweth", f"0xtok{i}", "0xweth"],
        "zero_for_one": [i % 2 == 0, i % 2 == 1],
        "fees_bps": [30, 25],
        "amount_in": 10**18 + i,
        "amount_out": 10**18 + 7 * i + 1,
        "gross_profit": 7 * i - i + 1,
        "gas_estimate": 180_000,
        "gas_price_wei": 10**9,
        "gas_cost_wei": 18 * 10**13,
        "gas_cost_token": 18 * 10**13,
        "net_profit": 5,
        "profit_token": "0xweth",
        "profit_symbol": "WETH",
        "profit_decimals": 18,
        "gross_profit_usd": 1.5,
        "net_profit_usd": 0.5,
        "state_blocks": [100 + i, 99 + i],
        "state_log_indexes": [i, 2 * i],
        "trigger_block": 100 + i,
        "trigger_tx": "0xt",
        "trigger_log_index": i,
        "event_ingest_ts_ms": 1,
        "detected_ts_ms": 2,
        "latency_ms": 1.0,
    }


def test_v1_opportunity_rows_read_as_v2_after_migration(tmp_path: Path) -> None:
    client = connect(f"chdb://{tmp_path / 'chdb'}")
    db = "mig"
    try:
        client.command(f"CREATE DATABASE `{db}`")
        cols = ", ".join(f"`{n}` {t}" for n, t in V1_COLUMNS)
        client.command(
            f"CREATE TABLE `{db}`.opportunities ({cols}) ENGINE = ReplacingMergeTree ORDER BY (id)"
        )
        v1 = [v1_record(i) for i in range(1, 6)]
        names = [n for n, _ in V1_COLUMNS]
        client.insert(
            f"`{db}`.opportunities", [[r[n] for n in names] for r in v1], column_names=names
        )

        create_schema(client, db)  # migrates: adds `legs` computed from the v1 columns
        create_schema(client, db)  # and is idempotent

        # a v2 record lands in the same table beside them
        upgraded = [Opportunity.from_json(json.dumps(r)) for r in v1]
        new = dataclasses.replace(
            upgraded[0],
            id="v2-row",
            legs=[
                Leg(
                    chain_id=1,
                    pool="0xv3",
                    protocol="v3",
                    dex="uni3",
                    token_in="0xweth",
                    token_out="0xtok",
                    zero_for_one=True,
                    fee_pips=500,
                    amount_in=5,
                    amount_out=9,
                    state_block=7,
                    state_log_index=-1,
                )
            ],
        )
        spec = next(s for s in TABLES if s.record is Opportunity)
        insert_records(client, db, spec, [new])

        rows = client.query(
            f"SELECT id, legs FROM `{db}`.opportunities FINAL ORDER BY id"
        ).result_rows
        # named tuples come back as dicts
        got = {r[0]: [tuple(leg.values()) for leg in r[1]] for r in rows}
        for opp in upgraded:
            assert got[opp.id] == [leg.to_tuple() for leg in opp.legs], opp.id
        assert got["v2-row"] == [new.legs[0].to_tuple()]
        # a v1 row's legs are two V2 legs that chain token to token and close the cycle
        first = upgraded[0].legs
        assert (first[0].token_in, first[0].token_out, first[1].token_out) == (
            "0xweth",
            "0xtok1",
            "0xweth",
        )
        assert [leg.fee_pips for leg in first] == [3000, 2500]
        assert (first[0].amount_in, first[1].amount_out) == (10**18 + 1, 10**18 + 8)
    finally:
        client.close()


def test_execution_v1_reads_with_no_legs() -> None:
    v1 = {
        "schema": "arbstream.execution.v1",
        "opportunity_id": "x",
        "chain_id": 1,
        "status": "rejected",
    }
    assert Execution.from_json(json.dumps(v1)).legs == []
