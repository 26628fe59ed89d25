"""The batched detector emits exactly the opportunities of pricing after every event.

A recorded input (random Syncs and retractions over several pairs of two and three pools on
two chains) goes through :class:`Detector` in batches of different sizes; a reference
computed here, independently, replays the same events one by one (each pair's pools after
each event, reserves kept by hand, every directed two-pool cycle sized with the exact
kernel ``v2_math.optimal_two_pool``) and lists the opportunities. Both must match on
identity and amounts, none missing and none extra.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest

from arbstream.config import ChainConfig, Settings
from arbstream.cyext import v2_math
from arbstream.framing import decode_batch, frame
from arbstream.schemas import PoolEvent
from arbstream.streams.agents.detector import Detector

TOKENS = [f"0x{c * 40}" for c in "abcdef"]


@dataclass
class PlainTables:
    """The three tables the detector reads and writes, as plain mappings with the same
    default-on-read behaviour as Faust's tables (``default=dict``)."""

    pair_state: defaultdict[str, Any] = field(default_factory=lambda: defaultdict(dict))
    chain_gas: defaultdict[str, Any] = field(default_factory=lambda: defaultdict(dict))
    native_price: defaultdict[str, Any] = field(default_factory=lambda: defaultdict(dict))


def _settings() -> Settings:
    chains = [
        ChainConfig(
            chain_id=cid,
            name=f"c{cid}",
            ws_url="ws://127.0.0.1:1",
            http_url="http://127.0.0.1:1",
            weth=TOKENS[0],
            priority_fee_wei=0,  # no gas: every profitable cycle is an opportunity
        )
        for cid in (1, 56)
    ]
    return Settings(chains=chains)


def _recorded_input(seed: int, n: int) -> list[PoolEvent]:
    rng = random.Random(seed)
    pairs = [
        (1, TOKENS[0], TOKENS[1], 2),
        (1, TOKENS[0], TOKENS[2], 3),
        (56, TOKENS[3], TOKENS[4], 2),
    ]
    pools = {
        (cid, t0, t1, k): [10**20 + rng.randrange(10**18), 2 * 10**20 + rng.randrange(10**18)]
        for cid, t0, t1, count in pairs
        for k in range(count)
    }
    out: list[PoolEvent] = []
    published: list[PoolEvent] = []
    for i in range(n):
        (cid, t0, t1, k) = key = rng.choice(list(pools))
        if published and rng.random() < 0.05:  # a retraction of an earlier event
            old = rng.choice(published[-5:])
            if not old.removed:
                out.append(PoolEvent(**{**old.to_dict(), "removed": True, "ingest_ts_ms": i}))
                continue
        r = pools[key]
        r[0] = max(10**15, int(r[0] * (1 + rng.uniform(-0.02, 0.02))))
        r[1] = max(10**15, int(r[1] * (1 + rng.uniform(-0.02, 0.02))))
        event = PoolEvent(
            kind="Sync",
            chain_id=cid,
            dex=f"dex{k}",
            pool=f"0x{k}{t0[2:4]}{t1[2:4]}".ljust(42, "0"),
            token0=t0,
            token1=t1,
            fee_bps=(30, 25, 5)[k],
            block_number=1000 + i // 7,
            block_hash=f"0xh{i // 7}",
            tx_hash=f"0xt{i}",
            log_index=i % 7,
            reserve0=r[0],
            reserve1=r[1],
            ingest_ts_ms=i,
        )
        out.append(event)
        published.append(event)
    return out


def _facing(pool: PoolEvent, token: str) -> tuple[int, int]:
    """(reserve of ``token``, reserve of the other token) of a pool after its Sync."""
    reserves = (pool.reserve0, pool.reserve1)
    return reserves if token == pool.token0 else reserves[::-1]


def _reference(events: list[PoolEvent]) -> list[tuple[Any, ...]]:
    """Opportunities of pricing after every event, one at a time."""
    history: dict[str, list[PoolEvent]] = defaultdict(list)  # pool -> its live Syncs
    out = []
    for e in events:
        ident = (e.block_hash, e.tx_hash, e.log_index)
        history[e.pool] = [
            h for h in history[e.pool] if (h.block_hash, h.tx_hash, h.log_index) != ident
        ]
        if e.removed:
            continue
        history[e.pool].append(e)
        history[e.pool].sort(key=lambda h: (h.block_number, h.log_index))
        history[e.pool] = history[e.pool][-16:]
        me = history[e.pool][-1]
        best = None
        for pool, hist in history.items():
            if pool == e.pool or not hist:
                continue
            other = hist[-1]
            if (other.chain_id, other.token0, other.token1) != (e.chain_id, e.token0, e.token1):
                continue
            for first, second in ((me, other), (other, me)):
                for start in (e.token0, e.token1):
                    amount_in, mid, amount_out, profit = v2_math.optimal_two_pool(
                        *_facing(first, start), first.fee_bps,
                        *reversed(_facing(second, start)), second.fee_bps,
                    )  # fmt: skip
                    if profit > 0 and (best is None or profit > best[-1]):
                        best = (first.pool, second.pool, start, amount_in, mid, amount_out, profit)
        if best is not None:
            out.append((e.chain_id, e.block_number, e.log_index, *best))
    return out


def _detected(events: list[PoolEvent], batch: int) -> list[tuple[Any, ...]]:
    detector = Detector(_settings(), PlainTables())  # type: ignore[arg-type]
    out = []
    for lo in range(0, len(events), batch):
        for _, _, value in frame(events[lo : lo + batch], 2):
            for opp in detector.detect(decode_batch(value)):
                first, second = opp.legs
                out.append(
                    (
                        opp.chain_id,
                        opp.trigger_block,
                        opp.trigger_log_index,
                        first.pool,
                        second.pool,
                        opp.start_token,
                        opp.amount_in,
                        first.amount_out,
                        opp.amount_out,
                        opp.gross_profit,
                    )
                )
    return out


@pytest.mark.parametrize("batch", [1, 7, 50, 400])
def test_batches_emit_exactly_the_per_event_opportunities(batch: int) -> None:
    events = _recorded_input(seed=11, n=400)
    want = _reference(events)
    got = _detected(events, batch)
    key = lambda o: (o[0], o[1], o[2])  # noqa: E731
    assert len(want) > 20, "the input must produce opportunities"
    assert sorted(got, key=key) == sorted(want, key=key)
