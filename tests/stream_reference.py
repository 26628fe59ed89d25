"""A recorded detector input and the opportunities it must produce, computed independently.

``recorded_input`` is random Syncs, retractions and (optionally) reorgs over pairs of two
and three V2 pools on two chains; ``reference`` replays it one event at a time (each pair's
pools after each event, reserves kept by hand, every directed two-pool cycle sized with the
exact kernel ``v2_math.optimal_two_pool``) and lists the opportunities as
``(chain, trigger block, trigger log index, first pool, second pool, start token, amount in,
middle amount, amount out, gross profit)``. :func:`identity` maps an emitted
:class:`~arbstream.schemas.Opportunity` to the same tuple. Used by the detector's unit tests
and by the stream worker's integration tests (through the real broker and Faust).
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from arbstream.config import ChainConfig, Settings
from arbstream.cyext import v2_math
from arbstream.schemas import Opportunity, PoolEvent

TOKENS = [f"0x{c * 40}" for c in "abcdef"]


def reference_settings(reorg_depth: int = 64, **overrides: Any) -> Settings:
    """Two chains (1 and 56) with no gas charged: every profitable cycle is an opportunity."""
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
    return Settings(chains=chains, **overrides)


def recorded_input(seed: int, n: int, reorg_blocks: int = 0, pairs: int = 3) -> list[PoolEvent]:
    """Random Syncs, single retractions of recent events and, with ``reorg_blocks``, reorgs:
    every event of the last 1..``reorg_blocks`` blocks retracted, newest block first.
    ``pairs`` token pairs (up to 15; each on one chain, of two or three pools)."""
    rng = random.Random(seed)
    chosen = [
        (1, TOKENS[0], TOKENS[1], 2),
        (1, TOKENS[0], TOKENS[2], 3),
        (56, TOKENS[3], TOKENS[4], 2),
    ]
    others = [(a, b) for i, a in enumerate(TOKENS) for b in TOKENS[i + 1 :]]
    others = [(a, b) for a, b in others if (a, b) not in {(c[1], c[2]) for c in chosen}]
    for i, (a, b) in enumerate(others[: max(0, pairs - len(chosen))]):
        chosen.append(((1, 56)[i % 2], a, b, 2 + i % 2))
    if pairs > len(chosen):
        raise ValueError(f"at most {len(chosen)} pairs")
    pools = {
        (cid, t0, t1, k): [10**20 + rng.randrange(10**18), 2 * 10**20 + rng.randrange(10**18)]
        for cid, t0, t1, count in chosen[:pairs]
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


def facing(pool: PoolEvent, token: str) -> tuple[int, int]:
    """(reserve of ``token``, reserve of the other token) of a pool after its Sync."""
    reserves = (pool.reserve0, pool.reserve1)
    return reserves if token == pool.token0 else reserves[::-1]


def reference(events: list[PoolEvent], reorg_depth: int = 64) -> list[tuple[Any, ...]]:
    """Opportunities of pricing after every event, one at a time. When a Sync arrives, its
    pool keeps its Syncs of the last ``reorg_depth`` blocks before the Sync's own block and
    the newest one before them, at most 16: a retraction of anything older finds nothing to
    restore."""
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
        kept = history[e.pool][-16:]
        final = [h for h in kept if h.block_number <= e.block_number - reorg_depth]
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
                        *facing(first, start), first.fee_bps,
                        *reversed(facing(second, start)), second.fee_bps,
                    )  # fmt: skip
                    if profit > 0 and (best is None or profit > best[-1]):
                        best = (first.pool, second.pool, start, amount_in, mid, amount_out, profit)
        if best is not None:
            out.append((e.chain_id, e.block_number, e.log_index, *best))
    return out


def identity(opp: Opportunity) -> tuple[Any, ...]:
    """An emitted opportunity as a :func:`reference` tuple."""
    first, second = opp.legs
    return (
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
