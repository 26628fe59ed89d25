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
from typing import Any

import pytest

from arbstream.config import ChainConfig, Settings
from arbstream.cyext import v2_math
from arbstream.framing import decode_batch, frame
from arbstream.schemas import PoolEvent
from arbstream.streams.agents.detector import Detector
from arbstream.streams.tables import ExactTable, Tables, deferred_exact_table, pair_state_table

TOKENS = [f"0x{c * 40}" for c in "abcdef"]


def _tables() -> Tables:
    """The detector's three tables over plain dicts of bytes (what a Faust table holds)."""
    return Tables(pair_state_table({}), ExactTable({}), deferred_exact_table({}))


def _settings(reorg_depth: int = 64) -> Settings:
    chains = [
        ChainConfig(
            chain_id=cid,
            name=f"c{cid}",
            ws_url="ws://127.0.0.1:1",
            http_url="http://127.0.0.1:1",
            weth=TOKENS[0],
            priority_fee_wei=0,  # no gas: every profitable cycle is an opportunity
            reorg_depth=reorg_depth,
        )
        for cid in (1, 56)
    ]
    return Settings(chains=chains)


def _recorded_input(seed: int, n: int, reorg_blocks: int = 0) -> list[PoolEvent]:
    """Random Syncs, single retractions of recent events and, with ``reorg_blocks``, reorgs:
    every event of the last 1..``reorg_blocks`` blocks retracted, newest block first."""
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
        if reorg_blocks and published and rng.random() < 0.03:
            depth = rng.randint(1, reorg_blocks)
            gone = [e for e in published if e.block_number > published[-1].block_number - depth]
            for old in sorted(gone, key=lambda e: (-e.block_number, e.log_index)):
                out.append(PoolEvent(**{**old.to_dict(), "removed": True, "ingest_ts_ms": i}))
            published = [e for e in published if e not in gone]
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


def _reference(events: list[PoolEvent], reorg_depth: int = 64) -> list[tuple[Any, ...]]:
    """Opportunities of pricing after every event, one at a time. Each pool keeps its Syncs
    of the last ``reorg_depth`` blocks of its chain and the newest one before them, at most
    16: a retraction of anything older finds nothing to restore."""
    history: dict[str, list[PoolEvent]] = defaultdict(list)  # pool -> its live Syncs
    head: dict[int, int] = {}
    out = []
    for e in events:
        head[e.chain_id] = max(head.get(e.chain_id, -1), e.block_number)
        ident = (e.block_hash, e.tx_hash, e.log_index)
        history[e.pool] = [
            h for h in history[e.pool] if (h.block_hash, h.tx_hash, h.log_index) != ident
        ]
        if e.removed:
            continue
        history[e.pool].append(e)
        history[e.pool].sort(key=lambda h: (h.block_number, h.log_index))
        kept = history[e.pool][-16:]
        final = [h for h in kept if h.block_number <= head[e.chain_id] - reorg_depth]
        history[e.pool] = kept[max(0, len(final) - 1) :]
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


def _detected(events: list[PoolEvent], batch: int, reorg_depth: int = 64) -> list[tuple[Any, ...]]:
    detector = Detector(_settings(reorg_depth), _tables())
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


@pytest.mark.parametrize("batch", [1, 50])
def test_retractions_beyond_the_reorg_depth_restore_nothing_older(batch: int) -> None:
    """A reorg depth of 2 blocks and reorgs of up to 6 blocks: the Syncs that became final
    are dropped, as the reference drops them."""
    events = _recorded_input(seed=5, n=600, reorg_blocks=6)
    want = _reference(events, reorg_depth=2)
    assert want != _reference(events), "the input must retract below the reorg depth"
    assert len(want) > 20, "the input must produce opportunities"
    got = _detected(events, batch, reorg_depth=2)
    key = lambda o: (o[0], o[1], o[2])  # noqa: E731
    assert sorted(got, key=key) == sorted(want, key=key)
