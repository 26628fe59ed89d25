"""The Grafana dashboard and the analytics queries, run on chDB over a synthetic dataset.

A fresh chDB holds the sink's real schema; a small, realistic dataset goes in through
``insert_records`` (with every opportunity and execution delivered twice, and a reorg
retraction), then every panel target of ``dashboards/arbstream.json`` and every query in
``arbstream.analytics.queries`` runs, and the key ones are checked against sums computed
here in Python from the same records.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from arbstream.analytics.clickhouse import connect, create_schema, insert_records
from arbstream.analytics.queries import QUERIES, expand_macros, run_query
from arbstream.analytics.tables import TABLES
from arbstream.schemas import (
    BlockHeader,
    DeadLetter,
    Execution,
    Leg,
    Opportunity,
    PoolCreated,
    PoolEvent,
    Record,
    now_ms,
)

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD = ROOT / "dashboards" / "arbstream.json"
DATASOURCES = ROOT / "dashboards" / "provisioning" / "datasources" / "clickhouse.yml"
DASHBOARD_DB = "arbstream"
TABLE_NAMES = {spec.table for spec in TABLES}
SPECS = {spec.record: spec for spec in TABLES}

#: queries whose last column depends on now()
NOW_DEPENDENT = {"ingest_freshness"}

MINUTE = 60_000
DAY = 86_400_000


# --------------------------------------------------------------------------- dataset


def addr(tag: int) -> str:
    return "0x" + f"{tag:08x}" * 5  # distinct in the first bytes, as cycle ids use them


def h32(*parts: int) -> str:
    return "0x" + "".join(f"{p:016x}" for p in parts).rjust(64, "0")[-64:]


@dataclass(frozen=True)
class Token:
    address: str
    symbol: str
    decimals: int
    usd: float

    def usd_of(self, raw: int) -> float:
        return raw / 10**self.decimals * self.usd


@dataclass
class Dataset:
    database: str
    from_ms: int
    to_ms: int
    blocks: list[BlockHeader] = field(default_factory=list)
    pools: list[PoolCreated] = field(default_factory=list)
    events: list[PoolEvent] = field(default_factory=list)
    retractions: list[PoolEvent] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)
    executions: list[Execution] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    #: records outside the dashboard time range (must not show up in windowed queries)
    old_opportunity: Opportunity | None = None
    old_execution: Execution | None = None

    def in_range(self, ts: int) -> bool:
        return self.from_ms <= ts <= self.to_ms

    @property
    def opps(self) -> list[Opportunity]:
        return [o for o in self.opportunities if self.in_range(o.detected_ts_ms)]

    @property
    def execs(self) -> list[Execution]:
        return [e for e in self.executions if self.in_range(e.ts_ms)]

    @property
    def live_events(self) -> list[PoolEvent]:
        retracted = {r.identity() for r in self.retractions}
        return [e for e in self.events if e.identity() not in retracted]

    def opp(self, opportunity_id: str) -> Opportunity:
        return next(o for o in self.opportunities if o.id == opportunity_id)


WETH = Token(addr(0xE1), "WETH", 18, 3000.0)
USDC = Token(addr(0xE2), "USDC", 6, 1.0)
WBNB = Token(addr(0xB1), "WBNB", 18, 600.0)
USDT = Token(addr(0xB2), "USDT", 18, 1.0)

#: chain -> (token0, token1, [(dex, pool, fee_bps, reserve1 multiplier in basis points)])
MARKETS: dict[int, tuple[Token, Token, list[tuple[str, str, int, int]]]] = {
    1: (
        WETH,
        USDC,
        [("uniswap_v2", addr(0xA1), 30, 10_000), ("sushiswap", addr(0xA2), 30, 10_100)],
    ),
    56: (WBNB, USDT, [("pancakeswap", addr(0xC1), 25, 10_000), ("biswap", addr(0xC2), 10, 10_050)]),
}
#: expected spread between the two pools of each chain's pair, in bps (from the multipliers)
DISLOCATION_BPS = {1: 100.0, 56: 50.0}
EDGE_AFTER_FEES_BPS = {1: 100.0 - 60, 56: 50.0 - 35}

LATENCIES = {
    1: [3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0, 89.0],
    56: [2.0, 4.0, 6.0, 250.0],
}


def build_dataset(database: str) -> Dataset:
    now = now_ms()
    base = (now // MINUTE - 30) * MINUTE  # a minute boundary half an hour ago
    ds = Dataset(database=database, from_ms=base - MINUTE, to_ms=now + MINUTE)

    # blocks, pools, pool events ------------------------------------------------------
    for chain_id, (t0, t1, venues) in MARKETS.items():
        first = 100 if chain_id == 1 else 200
        for i, (dex, pool, fee, _) in enumerate(venues):
            ds.pools.append(
                PoolCreated(
                    chain_id=chain_id,
                    dex=dex,
                    factory=addr(0xF0 + i),
                    pool=pool,
                    token0=t0.address,
                    token1=t1.address,
                    fee_bps=fee,
                    block_number=first - 50,
                    block_hash=h32(chain_id, first - 50),
                    tx_hash=h32(chain_id, first - 50, i),
                    log_index=i,
                    ingest_ts_ms=base,
                )
            )
        n_blocks = 10 if chain_id == 1 else 6
        for k in range(n_blocks):
            number = first + k
            ingest = base + k * 12_000 + 500
            ds.blocks.append(
                BlockHeader(
                    chain_id=chain_id,
                    number=number,
                    hash=h32(chain_id, number),
                    parent_hash=h32(chain_id, number - 1),
                    timestamp=ingest // 1000,
                    base_fee_per_gas=30 * 10**9 + k,
                    gas_used=12_000_000 + k,
                    ingest_ts_ms=ingest,
                )
            )
            # block k carries k % 4 swaps, each followed by a Sync, on alternating pools;
            # reserves grow per block so that the last Sync of each pool is known
            log_index = 0
            for s in range(k % 4):
                dex, pool, fee, mult = venues[s % 2]
                r0 = 1_000 * 10**t0.decimals + k * 10**15
                price = round(t0.usd / t1.usd)  # token1 per token0 (3000, 600)
                r1 = r0 * price * 10**t1.decimals // 10**t0.decimals * mult // 10_000
                tx = h32(chain_id, number, s)
                common: dict[str, Any] = dict(
                    chain_id=chain_id,
                    dex=dex,
                    pool=pool,
                    token0=t0.address,
                    token1=t1.address,
                    fee_bps=fee,
                    block_number=number,
                    block_hash=h32(chain_id, number),
                    tx_hash=tx,
                    ingest_ts_ms=ingest + 10,
                )
                ds.events.append(
                    PoolEvent(
                        kind="Swap",
                        log_index=log_index,
                        amount0_in=2**200 + k,  # a uint256 far beyond 64 bits
                        amount1_out=12345 * 10**t1.decimals,
                        sender=addr(0xD0),
                        recipient=addr(0xD1),
                        **common,
                    )
                )
                ds.events.append(
                    PoolEvent(
                        kind="Sync", log_index=log_index + 1, reserve0=r0, reserve1=r1, **common
                    )
                )
                log_index += 2
        # a reorged log: delivered, then retracted (same identity, removed=True)
        orphan = PoolEvent(
            kind="Sync",
            chain_id=chain_id,
            dex=venues[0][0],
            pool=venues[0][1],
            token0=t0.address,
            token1=t1.address,
            fee_bps=venues[0][2],
            block_number=first + 1,
            block_hash=h32(chain_id, first + 1),
            tx_hash=h32(chain_id, 0xDEAD),
            log_index=99,
            reserve0=1,
            reserve1=10**30,  # an absurd price that must not reach the dislocation panel
            ingest_ts_ms=base + 12_000 + 900,
        )
        ds.events.append(orphan)
        ds.retractions.append(PoolEvent.from_dict({**orphan.to_dict(), "removed": True}))

    # opportunities and executions ------------------------------------------------------
    # (kind, status, reason, profit): for a succeeded execution the realized profit in raw
    # units of the start token (the executor expected n units more, the detector 2n more);
    # otherwise the detector's estimated net profit
    plan: dict[int, list[tuple[str, str, str, int]]] = {
        1: [
            ("cross_dex", "succeeded", "", 2 * 10**19 + 123_456_789),  # > 2**64, not float-exact
            ("cross_dex", "succeeded", "", 7 * 10**18 + 1),
            ("cross_dex", "succeeded", "", 12_345_678),  # a USDC-start cycle (6 decimals)
            ("cross_dex", "reverted", "transaction reverted on chain", 4 * 10**17),
            ("cross_dex", "rejected", "stale: 3.2s old", 2 * 10**17),
            ("cross_dex", "rejected", "stale: 11.7s old", 3 * 10**17),
            ("cyclic", "rejected", "unsupported opportunity kind cyclic", 10**17),
            ("cyclic", "rejected", "unsupported opportunity kind cyclic", 10**17),
        ],
        56: [
            ("cross_dex", "succeeded", "", 3 * 10**17 + 5),
            ("cross_dex", "reverted", "transaction reverted on chain", 2 * 10**17),
            ("cross_dex", "failed", "no receipt after 60.0s", 10**17),
            ("cross_dex", "simulated", "dry run (executor not armed)", 10**17),
        ],
    }
    for chain_id, rows in plan.items():
        t0, t1, venues = MARKETS[chain_id]
        for n, (kind, status, reason, profit) in enumerate(rows):
            start = t1 if (chain_id == 1 and n == 2) else t0
            mid = t0 if start is t1 else t1
            borrow, sell = venues[n % 2], venues[(n + 1) % 2]
            cycle = f"{borrow[1][:10]}>{sell[1][:10]}:{start.address[:10]}"
            if kind == "cyclic":
                cycle = f"tri{n}:{start.address[:10]}"
            number = (100 if chain_id == 1 else 200) + n
            detected = base + (n * 37_000 if chain_id == 1 else 5_000 + n * 50_000)
            latency = LATENCIES[chain_id][n]
            gas_token = 10 ** (start.decimals - 2)
            realized = profit if status == "succeeded" else 0
            net = profit + 2 * n if status == "succeeded" else profit
            gross = net + gas_token
            opp = Opportunity(
                id=f"{chain_id}:{cycle}:{number}:{n}",
                kind=kind,
                chain_id=chain_id,
                cycle_id=cycle,
                legs=[
                    Leg(
                        chain_id=chain_id,
                        pool=venue[1],
                        protocol="v2",
                        dex=venue[0],
                        token_in=t_in.address,
                        token_out=t_out.address,
                        zero_for_one=t_in is t0,
                        fee_pips=venue[2] * 100,
                        amount_in=0,
                        amount_out=0,
                        state_block=block,
                        state_log_index=log_index,
                    )
                    for venue, t_in, t_out, block, log_index in (
                        (borrow, start, mid, number - 1, 1),
                        (sell, mid, start, number, 3),
                    )
                ],
                amount_in=2**160 + n,  # exact uint256 input
                amount_out=2**160 + n + gross,
                gross_profit=gross,
                gas_estimate=180_000,
                gas_price_wei=31 * 10**9,
                gas_cost_wei=180_000 * 31 * 10**9,
                gas_cost_token=gas_token,
                net_profit=gross - gas_token,
                profit_token=start.address,
                profit_symbol=start.symbol,
                profit_decimals=start.decimals,
                gross_profit_usd=start.usd_of(gross),
                net_profit_usd=start.usd_of(gross - gas_token),
                trigger_block=number,
                trigger_tx=h32(chain_id, number, 0),
                trigger_log_index=1,
                event_ingest_ts_ms=detected - int(latency),
                detected_ts_ms=detected,
                latency_ms=latency,
            )
            ds.opportunities.append(opp)
            sent = status in ("succeeded", "reverted", "failed")
            mined = status in ("succeeded", "reverted")
            price = 30 * 10**9 + 7
            gas_used = (150_000 + 1_000 * n) if mined else 0
            ds.executions.append(
                Execution(
                    opportunity_id=opp.id,
                    chain_id=chain_id,
                    status=status,
                    reason=reason,
                    tx_hash=h32(chain_id, 0xEE, n) if sent else "",
                    block_number=number + 1 if mined else 0,
                    amount_in=opp.amount_in if status != "rejected" else 0,
                    expected_profit=realized + n if status == "succeeded" else net - n,
                    simulated_profit=opp.net_profit if status != "rejected" else 0,
                    realized_profit=realized,
                    profit_token=start.address,
                    profit_symbol=start.symbol,
                    gas_used=gas_used,
                    effective_gas_price=price if mined else 0,
                    gas_cost_wei=gas_used * price,
                    realized_profit_usd=start.usd_of(realized),
                    ts_ms=detected + 1_500,
                )
            )

    # the same cycle again three days ago: outside every dashboard time range
    recent = ds.opportunities[0]
    ds.old_opportunity = Opportunity.from_dict(
        {
            **recent.to_dict(),
            "id": recent.id + ":old",
            "detected_ts_ms": base - 3 * DAY,
            "event_ingest_ts_ms": base - 3 * DAY - 1,
            "latency_ms": 9999.0,
        }
    )
    ds.old_execution = Execution.from_dict(
        {
            **ds.executions[0].to_dict(),
            "opportunity_id": ds.old_opportunity.id,
            "realized_profit": 999,
            "realized_profit_usd": 1e6,
            "ts_ms": base - 3 * DAY + 1_500,
        }
    )
    ds.opportunities.append(ds.old_opportunity)
    ds.executions.append(ds.old_execution)

    for i, (stage, topic) in enumerate(
        [
            ("detector", "dex.pair_events"),
            ("detector", "dex.pair_events"),
            ("sink", "arb.executions"),
        ]
    ):
        ds.dead_letters.append(
            DeadLetter(
                source_topic=topic,
                source_partition=i % 2,
                source_offset=1_000 + i,
                stage=stage,
                reason=f"missing fields ['reserve{i}']",
                payload='{"schema":"arbstream.pool_event.v1"}',
                ts_ms=base + 60_000 * (i + 1),
            )
        )
    return ds


def insert(client: Client, database: str, records: list[Any]) -> None:
    by_type: dict[type[Record], list[Record]] = defaultdict(list)
    for r in records:
        by_type[type(r)].append(r)
    for record_type, batch in by_type.items():
        insert_records(client, database, SPECS[record_type], batch)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """One chDB engine (one path) for this module.

    chDB allows a single engine path per process, so the client is closed when the module
    is done: other test modules may then open their own path.
    """
    path = tmp_path_factory.mktemp("analytics_chdb")
    ch = connect(f"chdb://{path}")
    try:
        yield ch
    finally:
        ch.close()


@pytest.fixture(scope="module")
def data(client: Client) -> Dataset:
    database = f"analytics_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    create_schema(client, database)
    for table in TABLE_NAMES:
        # keep re-delivered rows unmerged so that FINAL (not a background merge) dedups
        client.command(f"SYSTEM STOP MERGES `{database}`.`{table}`")
    ds = build_dataset(database)
    insert(client, database, [*ds.blocks, *ds.pools, *ds.events, *ds.dead_letters])
    insert(client, database, ds.retractions)  # a reorg, delivered later
    # at-least-once delivery: opportunities and executions arrive twice (separate inserts)
    for _ in range(2):
        insert(client, database, ds.opportunities)
        insert(client, database, ds.executions)
    return ds


def run(client: Client, data: Dataset, name: str) -> list[tuple[Any, ...]]:
    return run_query(client, name, data.database, from_ms=data.from_ms, to_ms=data.to_ms)


def dicts(client: Client, data: Dataset, name: str) -> list[dict[str, Any]]:
    sql = expand_macros(QUERIES[name].render(data.database), from_ms=data.from_ms, to_ms=data.to_ms)
    result = client.query(sql)
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


# --------------------------------------------------------------------------- dashboard


def load_dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def panels() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in load_dashboard()["panels"]:
        out.append(p)
        out.extend(p.get("panels", []))  # panels inside collapsed rows
    return [p for p in out if p.get("type") != "row"]


def targets() -> list[tuple[str, dict[str, Any]]]:
    return [(p["title"], t) for p in panels() for t in p.get("targets", [])]


def provisioned_datasource() -> tuple[str, str]:
    text = DATASOURCES.read_text()
    uid = re.search(r"^\s*uid:\s*['\"]?([\w-]+)", text, re.M)
    kind = re.search(r"^\s*type:\s*['\"]?([\w-]+)", text, re.M)
    assert uid and kind, f"no uid/type in {DATASOURCES}"
    return uid.group(1), kind.group(1)


def tables_in(sql: str) -> set[str]:
    return set(re.findall(rf"\b{DASHBOARD_DB}\.(\w+)", sql))


def for_test_db(sql: str, database: str) -> str:
    names = "|".join(sorted(TABLE_NAMES))
    return re.sub(rf"\b{DASHBOARD_DB}\.({names})\b", rf"`{database}`.\1", sql)


def test_dashboard_shape() -> None:
    dash = load_dashboard()
    assert 36 <= dash["schemaVersion"] <= 41
    assert dash["uid"] and dash["title"]
    kinds = Counter(p["type"] for p in panels())
    assert len(panels()) >= 8
    for kind in ("stat", "timeseries", "table", "bargauge"):
        assert kinds[kind] >= 1, f"no {kind} panel: {kinds}"
    ids = [p["id"] for p in load_dashboard()["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for p in panels():
        assert p.get("targets"), f"panel {p['title']!r} has no target"
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs)), p["title"]


def test_datasource_matches_provisioning() -> None:
    uid, kind = provisioned_datasource()
    assert uid == "arbstream-clickhouse" and kind == "grafana-clickhouse-datasource"
    for p in panels():
        assert p["datasource"] == {"type": kind, "uid": uid}, p["title"]
        for t in p["targets"]:
            assert t["datasource"] == {"type": kind, "uid": uid}, (p["title"], t["refId"])


def test_panel_sql_reads_known_tables_only() -> None:
    for title, t in targets():
        sql = t["rawSql"]
        used = tables_in(sql)
        assert used, f"{title}: no {DASHBOARD_DB}.<table> reference"
        assert used <= TABLE_NAMES, f"{title}: unknown tables {used - TABLE_NAMES}"
        # every FROM / JOIN names a subquery or a database-qualified table
        for source in re.findall(r"\b(?:FROM|JOIN)\s+([^\s(]+)", sql):
            assert source.startswith(f"{DASHBOARD_DB}."), f"{title}: unqualified {source}"
        assert "{db}" not in sql


def test_panel_targets_are_the_named_queries() -> None:
    used = set()
    for title, t in targets():
        query = QUERIES.get(t["refId"])
        assert query is not None, f"{title}: refId {t['refId']!r} is not a query name"
        assert t["rawSql"] == query.render(DASHBOARD_DB), f"{title}: SQL drifted from queries.py"
        assert t["format"] == (0 if query.time_series else 1), title
        assert t["editorType"] == "sql"
        used.add(query.name)
    assert used == set(QUERIES), f"queries without a panel: {set(QUERIES) - used}"
    for query in QUERIES.values():
        assert query.tables <= TABLE_NAMES, query.name
        assert query.title and query.description


def test_every_panel_target_runs(client: Client, data: Dataset) -> None:
    for title, t in targets():
        sql = expand_macros(t["rawSql"], from_ms=data.from_ms, to_ms=data.to_ms, interval_s=60)
        assert "$__" not in sql
        rows = client.query(for_test_db(sql, data.database)).result_rows
        # the dashboard's SQL gives exactly what run_query gives
        expected = run(client, data, t["refId"])
        if t["refId"] in NOW_DEPENDENT:  # last column: seconds until now()
            rows = [(*r[:-1], pytest.approx(r[-1], abs=60)) for r in rows]
        assert [tuple(r) for r in rows] == expected, title
        assert rows, f"{title}: no rows on the synthetic data"


def test_every_query_runs(client: Client, data: Dataset) -> None:
    for name in QUERIES:
        assert isinstance(run(client, data, name), list)
    # default range (the last 24 hours) covers the synthetic data too
    assert run_query(client, "execution_totals", data.database)[0][0] == len(data.execs)
    with pytest.raises(KeyError):
        run_query(client, "no_such_query", data.database)


# --------------------------------------------------------------------------- macros


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
