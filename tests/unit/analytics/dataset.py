"""A synthetic, realistic dataset for the analytics queries, and chDB to hold it.

A fresh chDB holds the sink's real schema; the dataset goes in through the sink's
``insert_records``, with every opportunity and execution delivered twice and a reorg
retraction, so that the queries' FINAL and ``NOT removed`` matter. Tests check query
results against sums computed in Python from the same records.
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clickhouse_connect.driver.client import Client

from arbstream.analytics.clickhouse import connect, create_schema, insert_records
from arbstream.analytics.queries import query_table, run_query
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

TABLE_NAMES = {spec.table for spec in TABLES}
SPECS = {spec.record: spec for spec in TABLES}

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


@contextmanager
def chdb_client(path: Path) -> Iterator[Client]:
    """A chDB client on ``path``, closed on exit.

    chDB allows a single engine path per process at a time: close before another test
    module opens its own.
    """
    ch = connect(f"chdb://{path}")
    try:
        yield ch
    finally:
        ch.close()


def load_dataset(client: Client) -> Dataset:
    """Create a fresh database with the sink's schema and insert the dataset into it."""
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
    """Rows of query ``name`` over the dataset's time range."""
    return run_query(client, name, data.database, from_ms=data.from_ms, to_ms=data.to_ms)


def dicts(client: Client, data: Dataset, name: str) -> list[dict[str, Any]]:
    """Rows of query ``name`` over the dataset's time range, as column -> value."""
    table = query_table(client, name, data.database, from_ms=data.from_ms, to_ms=data.to_ms)
    return table.dicts()
