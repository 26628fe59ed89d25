"""The analytics query library, run on chDB over the synthetic dataset.

Each query's result is checked against sums computed in Python from the inserted records
(``dataset.py``): exact UInt256 sums, FINAL deduplication of re-delivered records, the
reorg retraction left out, the three-day-old records outside the time range. The summary
queries the demo prints are checked the same way, over the whole database.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from arbstream.analytics.clickhouse import create_schema, insert_records
from arbstream.analytics.queries import QUERIES, expand_macros, run_query
from arbstream.analytics.summary import counts_by_chain, realized_by_token
from arbstream.analytics.tables import TABLES
from arbstream.schemas import BlockHeader, Execution
from tests.unit.analytics.dataset import (
    DISLOCATION_BPS,
    EDGE_AFTER_FEES_BPS,
    LATENCIES,
    MARKETS,
    MINUTE,
    TABLE_NAMES,
    Dataset,
    dicts,
    run,
)

# --------------------------------------------------------------------------- library


def test_every_query_returns_rows(client: Client, data: Dataset) -> None:
    empty = [name for name in QUERIES if not run(client, data, name)]
    assert not empty, f"queries without a row on the synthetic data: {empty}"
    # the default range (the last 24 hours) covers the synthetic data too
    assert run_query(client, "execution_totals", data.database)[0][0] == len(data.execs)
    with pytest.raises(KeyError, match="no_such_query"):
        run_query(client, "no_such_query", data.database)


def test_queries_read_known_tables_qualified() -> None:
    for query in QUERIES.values():
        assert query.title and query.description, query.name
        assert query.tables, f"{query.name}: no {{db}}.<table> reference"
        assert query.tables <= TABLE_NAMES, f"{query.name}: unknown {query.tables - TABLE_NAMES}"
        # every FROM / JOIN names a subquery or a database-qualified table
        for source in re.findall(r"\b(?:FROM|JOIN)\s+([^\s(]+)", query.sql):
            assert source.startswith("{db}."), f"{query.name}: unqualified {source}"


def test_expand_macros_matches_the_plugin() -> None:
    sql = (
        "SELECT $__timeInterval(fromUnixTimestamp64Milli(ts_ms)) AS time FROM t "
        "WHERE $__timeFilter_ms(fromUnixTimestamp64Milli(ts_ms)) AND $__timeFilter(d) "
        "AND x < $__toTime AND y > $__fromTime_ms() AND z = $__interval_s"
    )
    out = expand_macros(sql, from_ms=1_700_000_000_123, to_ms=1_700_003_600_456, interval_s=30)
    assert out == (
        "SELECT toStartOfInterval(toDateTime(fromUnixTimestamp64Milli(ts_ms)), INTERVAL 30 second)"
        " AS time FROM t WHERE fromUnixTimestamp64Milli(ts_ms) >= fromUnixTimestamp64Milli("
        "1700000000123) AND fromUnixTimestamp64Milli(ts_ms) <= fromUnixTimestamp64Milli("
        "1700003600456) AND d >= toDateTime(1700000000) AND d <= toDateTime(1700003600) "
        "AND x < toDateTime(1700003600) AND y > fromUnixTimestamp64Milli(1700000000123) AND z = 30"
    )
    with pytest.raises(ValueError, match="unknown"):
        expand_macros("SELECT $__nope(x)", from_ms=0, to_ms=1)
    with pytest.raises(ValueError, match="unbalanced"):
        expand_macros("SELECT $__timeFilter(f(x)", from_ms=0, to_ms=1)


def test_render_quotes_unusual_database_names() -> None:
    assert QUERIES["revert_rate"].render("db1").count("db1.executions") == 1
    assert "`my-db`.executions" in QUERIES["revert_rate"].render("my-db")


# --------------------------------------------------------------------------- numbers


def test_final_dedups_redelivered_records(client: Client, data: Dataset) -> None:
    db = data.database
    raw = client.query(f"SELECT count() FROM `{db}`.executions").result_rows[0][0]
    final = client.query(f"SELECT count() FROM `{db}`.executions FINAL").result_rows[0][0]
    assert raw == 2 * len(data.executions)
    assert final == len(data.executions)
    raw_opps = client.query(f"SELECT count() FROM `{db}`.opportunities").result_rows[0][0]
    assert raw_opps == 2 * len(data.opportunities)
    # the retraction replaced the reorged event (version column `removed`)
    live = client.query(
        f"SELECT countIf(NOT removed), countIf(removed) FROM `{db}`.pool_events FINAL"
    ).result_rows[0]
    assert live == (len(data.live_events), len(data.retractions))


def test_execution_totals_and_status_breakdown(client: Client, data: Dataset) -> None:
    execs = data.execs
    statuses = Counter(e.status for e in execs)
    [row] = dicts(client, data, "execution_totals")
    assert row == {
        "executions": len(execs),
        "sent": sum(1 for e in execs if e.tx_hash),
        "succeeded": statuses["succeeded"],
        "reverted": statuses["reverted"],
        "rejected": statuses["rejected"],
    }
    assert row == {"executions": 12, "sent": 7, "succeeded": 4, "reverted": 2, "rejected": 4}
    breakdown = {(c, s): n for c, s, n in run(client, data, "execution_status_breakdown")}
    assert breakdown == {
        ("1", "rejected"): 4,
        ("1", "reverted"): 1,
        ("1", "succeeded"): 3,
        ("56", "failed"): 1,
        ("56", "reverted"): 1,
        ("56", "simulated"): 1,
        ("56", "succeeded"): 1,
    }
    over_time: Counter[str] = Counter()
    for _, status, n in run(client, data, "execution_outcomes_over_time"):
        over_time[status] += n
    assert over_time == statuses


def test_realized_vs_expected_profit_is_exact(client: Client, data: Dataset) -> None:
    want: dict[tuple[int, str], dict[str, Any]] = {}
    for e in data.execs:
        if e.status not in ("succeeded", "reverted"):
            continue
        opp = data.opp(e.opportunity_id)
        w = want.setdefault(
            (e.chain_id, e.profit_symbol),
            {"mined": 0, "succeeded": 0, "expected": 0, "realized": 0, "usd": 0.0, "est": 0.0},
        )
        w["decimals"] = opp.profit_decimals
        w["mined"] += 1
        w["expected"] += e.expected_profit
        w["est"] += opp.net_profit_usd
        if e.status == "succeeded":
            w["succeeded"] += 1
            w["realized"] += e.realized_profit
            w["usd"] += e.realized_profit_usd
    rows = dicts(client, data, "realized_vs_expected_profit")
    got = {(r["chain"], r["token"]): r for r in rows}
    assert set(got) == set(want) == {(1, "WETH"), (1, "USDC"), (56, "WBNB")}
    for key, w in want.items():
        r = got[key]
        assert (r["mined"], r["succeeded"]) == (w["mined"], w["succeeded"]), key
        # exact sums, beyond float precision
        assert int(r["realized_raw"]) == w["realized"], key
        assert int(r["expected_raw"]) == w["expected"], key
        scale = 10 ** w["decimals"]
        assert r["realized"] == pytest.approx(w["realized"] / scale), key
        assert r["expected"] == pytest.approx(w["expected"] / scale), key
        assert r["capture_ratio"] == pytest.approx(w["realized"] / w["expected"]), key
        assert r["realized_usd"] == pytest.approx(w["usd"]), key
        assert r["expected_net_usd"] == pytest.approx(w["est"]), key
    # 2e19 + 123456789 + 7e18 + 1 > 2**64: not representable as a float, exact as a string
    assert got[(1, "WETH")]["realized_raw"] == str(2 * 10**19 + 123_456_789 + 7 * 10**18 + 1)

    [(usd,)] = run(client, data, "realized_profit_usd_total")
    succeeded = [e for e in data.execs if e.status == "succeeded"]
    assert usd == pytest.approx(sum(e.realized_profit_usd for e in succeeded))
    cumulative: dict[str, float] = {}
    for _, chain, total in run(client, data, "cumulative_realized_profit_usd"):
        assert total >= cumulative.get(chain, 0.0)  # a running sum never decreases here
        cumulative[chain] = total
    for chain in (1, 56):
        assert cumulative[str(chain)] == pytest.approx(
            sum(e.realized_profit_usd for e in succeeded if e.chain_id == chain)
        )


def test_top_cycles(client: Client, data: Dataset) -> None:
    rows = dicts(client, data, "top_cycles_by_realized_profit")
    succeeded = [e for e in data.execs if e.status == "succeeded"]
    cycles = {(e.chain_id, data.opp(e.opportunity_id).cycle_id) for e in succeeded}
    assert {(r["chain"], r["cycle"]) for r in rows} == cycles
    assert len(cycles) == 4
    assert [r["realized_usd"] for r in rows] == sorted(
        (r["realized_usd"] for r in rows), reverse=True
    )
    top = max(succeeded, key=lambda e: e.realized_profit_usd)
    assert rows[0]["cycle"] == data.opp(top.opportunity_id).cycle_id
    assert int(rows[0]["realized_raw"]) == top.realized_profit
    assert rows[0]["route"] == " -> ".join(leg.dex for leg in data.opp(top.opportunity_id).legs)


def test_revert_rate_and_gas(client: Client, data: Dataset) -> None:
    [(rate,)] = run(client, data, "revert_rate")
    assert rate == pytest.approx(2 / 6)
    assert dict(run(client, data, "revert_rate_per_chain")) == {
        "1": pytest.approx(1 / 4),
        "56": pytest.approx(1 / 2),
    }
    rows = {r["chain"]: r for r in dicts(client, data, "gas_spent_per_chain")}
    for chain in (1, 56):
        sent = [e for e in data.execs if e.chain_id == chain and e.tx_hash]
        r = rows[str(chain)]
        assert r["transactions"] == len(sent)
        assert r["total_gas_used"] == sum(e.gas_used for e in sent)
        assert int(r["gas_cost_wei_raw"]) == sum(e.gas_cost_wei for e in sent)
        assert r["gas_cost_native"] == pytest.approx(sum(e.gas_cost_wei for e in sent) / 1e18)
        assert r["avg_gas_price_gwei"] == pytest.approx(30.000000007)


def test_detection_counts_and_latency(client: Client, data: Dataset) -> None:
    opps = data.opps
    [row] = dicts(client, data, "opportunities_total")
    assert row["opportunities"] == len(opps) == 12  # the three-day-old one is out of range
    assert row["cycles"] == len({(o.chain_id, o.cycle_id) for o in opps})
    assert row["estimated_net_profit_usd"] == pytest.approx(sum(o.net_profit_usd for o in opps))

    def exact(values: list[float], level: float) -> float:  # ClickHouse quantileExact
        ordered = sorted(values)
        return ordered[min(int(level * len(ordered)), len(ordered) - 1)]

    rows = {r["chain_id"]: r for r in dicts(client, data, "detection_latency_quantiles")}
    for chain, latencies in LATENCIES.items():
        r = rows[chain]
        assert r["opportunities"] == len(latencies)
        assert (r["p50_ms"], r["p95_ms"], r["p99_ms"], r["max_ms"]) == (
            exact(latencies, 0.5),
            exact(latencies, 0.95),
            exact(latencies, 0.99),
            max(latencies),
        )
    assert rows[1]["p50_ms"] == 21.0 and rows[56]["p99_ms"] == 250.0

    # per minute and per (chain, kind): minutes relative to the first one
    want = Counter(((o.detected_ts_ms // MINUTE) * MINUTE, str(o.chain_id), o.kind) for o in opps)
    first_ms = min(m for m, _, _ in want)
    want_rel = {((m - first_ms) // MINUTE, c, k): n for (m, c, k), n in want.items()}
    got = run(client, data, "opportunities_per_minute")
    first_dt: datetime = min(t for t, _, _, _ in got)
    got_rel = {(int((t - first_dt).total_seconds()) // 60, c, k): n for t, c, k, n in got}
    assert got_rel == want_rel
    # the latency series covers every opportunity's interval
    series = run(client, data, "detection_latency_over_time")
    assert len(series) == len({o.detected_ts_ms // MINUTE for o in opps})


def test_price_dislocation(client: Client, data: Dataset) -> None:
    rows = {r["chain_id"]: r for r in dicts(client, data, "price_dislocation")}
    assert set(rows) == set(MARKETS)
    for chain, (t0, t1, venues) in MARKETS.items():
        r = rows[chain]
        assert (r["token0"], r["token1"], r["pools"]) == (t0.address, t1.address, 2)
        assert r["dexes"] == ", ".join(sorted(v[0] for v in venues))
        assert r["dislocation_bps"] == pytest.approx(DISLOCATION_BPS[chain], abs=0.01)
        assert r["edge_after_fees_bps"] == pytest.approx(EDGE_AFTER_FEES_BPS[chain], abs=0.01)
        # the retracted (reorged) Sync with its absurd price is not the latest state
        assert r["max_price"] < 1e6


def test_events_per_block(client: Client, data: Dataset) -> None:
    rows = {r["chain"]: r for r in dicts(client, data, "events_per_block")}
    for chain in MARKETS:
        blocks = [b for b in data.blocks if b.chain_id == chain]
        per_block = Counter(e.block_hash for e in data.live_events if e.chain_id == chain)
        counts = [per_block.get(b.hash, 0) for b in blocks]
        r = rows[str(chain)]
        assert r["blocks"] == len(blocks)
        assert r["total_events"] == sum(counts)
        assert r["events_per_block"] == pytest.approx(sum(counts) / len(blocks))
        assert r["max_events_per_block"] == max(counts)
    # swaps per block k are k % 4, each with its Sync; the reorged Sync is gone
    assert (rows["1"]["total_events"], rows["56"]["total_events"]) == (26, 14)


def test_rejections_dead_letters_freshness(client: Client, data: Dataset) -> None:
    reasons = {
        (r["chain"], r["reason_pattern"]): r["rejections"]
        for r in dicts(client, data, "rejection_reasons")
    }
    assert reasons == {
        (1, "stale: Ns old"): 2,
        (1, "unsupported opportunity kind cyclic"): 2,
    }
    letters = {
        (r["stage"], r["source_topic"]): r["records"] for r in dicts(client, data, "dead_letters")
    }
    assert letters == {("detector", "dex.pair_events"): 2, ("sink", "arb.executions"): 1}
    fresh = {r["chain"]: r for r in dicts(client, data, "ingest_freshness")}
    assert {c: r["head_block"] for c, r in fresh.items()} == {"1": 109, "56": 205}
    assert all(r["seconds_since_last_block"] > 0 for r in fresh.values())


# --------------------------------------------------------------------------- summary


def exact_quantile(values: list[float], level: float) -> float:
    """ClickHouse's quantileExact: the element at floor(level * n) of the sorted values."""
    ordered = sorted(values)
    return ordered[min(int(level * len(ordered)), len(ordered) - 1)]


def test_summary_counts_by_chain(client: Client, data: Dataset) -> None:
    """The demo's per-chain totals: the whole database (old records too), deduplicated."""
    counts = counts_by_chain(client, data.database)
    assert set(counts) == set(MARKETS)
    for chain in MARKETS:
        opps = [o for o in data.opportunities if o.chain_id == chain]
        execs = [e for e in data.executions if e.chain_id == chain]
        statuses = Counter(e.status for e in execs)
        got = counts[chain]
        assert got == {
            "blocks": sum(1 for b in data.blocks if b.chain_id == chain),
            "pools": sum(1 for p in data.pools if p.chain_id == chain),
            "events": sum(1 for e in data.live_events if e.chain_id == chain),
            "opportunities": len(opps),
            "median_latency_ms": exact_quantile([o.latency_ms for o in opps], 0.5),
            "executions_sent": sum(1 for e in execs if e.tx_hash),
            "executions_succeeded": statuses["succeeded"],
            "executions_reverted": statuses["reverted"],
            "rejected": statuses["rejected"],
            "gas_spent_wei": sum(e.gas_cost_wei for e in execs),
            "realized_profit_usd": pytest.approx(sum(e.realized_profit_usd for e in execs)),
        }, chain
    # the three-day-old opportunity counts here (no time range), unlike on the dashboard
    assert counts[1]["opportunities"] == 9 and counts[56]["opportunities"] == 4


def test_summary_realized_by_token_is_exact(client: Client, data: Dataset) -> None:
    want: Counter[tuple[int, str]] = Counter()
    for e in data.executions:
        if e.status == "succeeded":
            want[(e.chain_id, e.profit_token)] += e.realized_profit
    assert realized_by_token(client, data.database) == dict(want)
    assert len(want) == 3


def test_summary_counts_chain_missing_from_tables(client: Client) -> None:
    """A chain seen in one table only reads 0 in the others (FULL JOIN on chain_id)."""
    database = "summary_sparse"
    create_schema(client, database)
    specs = {spec.record: spec for spec in TABLES}
    block = BlockHeader(
        chain_id=137,
        number=5,
        hash="0x" + "ab" * 32,
        parent_hash="0x" + "aa" * 32,
        timestamp=1,
        base_fee_per_gas=1,
        gas_used=1,
        ingest_ts_ms=1,
    )
    execution = Execution(
        opportunity_id="8453:x:1:0",
        chain_id=8453,
        status="rejected",
        reason="stale",
        profit_token="0x" + "cd" * 20,
        profit_symbol="WETH",
        ts_ms=1,
    )
    insert_records(client, database, specs[BlockHeader], [block])
    insert_records(client, database, specs[Execution], [execution])
    zero = dict.fromkeys(
        [
            "blocks",
            "pools",
            "events",
            "opportunities",
            "executions_sent",
            "executions_succeeded",
            "executions_reverted",
            "rejected",
            "gas_spent_wei",
        ],
        0,
    )
    assert counts_by_chain(client, database) == {
        137: {**zero, "blocks": 1, "median_latency_ms": 0.0, "realized_profit_usd": 0.0},
        8453: {**zero, "rejected": 1, "median_latency_ms": 0.0, "realized_profit_usd": 0.0},
    }
    assert realized_by_token(client, database) == {}
