"""The detector's state of one token pair: every pool of the pair with its recent Syncs.

A :class:`PairState` lives in the worker's memory as pool-model objects and is changed in
place, event by event (no copy of the pair per event); the detector stages it in the
``pair_state`` table, which writes it once per commit, and the table's changelog holds its
compact wire form
(:meth:`PairState.encode`), so a restarted or rebalanced worker recovers it exactly.

History: each pool keeps its Syncs ordered by (block, log index), so a retraction
(``removed``, a reorg) restores the state before the retracted Sync: those of blocks that a
reorg can still undo (above the caller's ``final_block``: the detector passes the applied
Sync's own block minus the chain's ``reorg_depth``, which depends on the pair's events alone,
not on how a worker's partitions interleave) and the newest one at or below it, at most
:data:`HISTORY`. An event's
identity within its chain is (block hash, log index); the transaction hash adds nothing to
it and is not stored.

Wire form (msgspec JSON, exact integers at any size)::

    {"v": 1, "pools": {address: [token0, token1, fee_bps, chain_id, dex,
                                 [[block_hash, block, log_index, reserve0, reserve1], ...]]}}

The pool's fixed fields are written once, not per Sync. A value of another layout (an older
version's changelog) reads as an empty pair, not as a misread one: the next Sync of each
pool rebuilds it.
"""

from __future__ import annotations

from typing import Any

import msgspec

from arbstream.cyext.v2_pool import V2PoolState

__all__ = ["HISTORY", "PairState"]

#: Syncs kept at most per pool so that a retraction can restore the earlier state
HISTORY = 16

WIRE_VERSION = 1

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


class _Pool:
    """One pool of the pair: its fixed fields and its Syncs as ``(block_hash, state)``."""

    __slots__ = ("chain_id", "dex", "fee_bps", "history", "token0", "token1")

    def __init__(self, token0: str, token1: str, fee_bps: int, chain_id: int, dex: str) -> None:
        self.token0 = token0
        self.token1 = token1
        self.fee_bps = fee_bps
        self.chain_id = chain_id
        self.dex = dex
        self.history: list[tuple[str, V2PoolState]] = []


class PairState:
    """Every pool of one pair on one chain; :attr:`latest` maps each pool that has a state
    to its newest :class:`V2PoolState`."""

    __slots__ = ("latest", "pools")

    def __init__(self) -> None:
        self.pools: dict[str, _Pool] = {}
        self.latest: dict[str, V2PoolState] = {}

    def apply(self, event: Any, final_block: int = -1) -> None:
        """One Sync (or its retraction when ``event.removed``), in place. ``event`` has
        :class:`~arbstream.schemas.PoolEvent`'s attributes (a decoded event row); Syncs of
        blocks at or below ``final_block`` are final: only the newest of them is kept."""
        address = event.pool
        pool = self.pools.get(address)
        if pool is None:
            if event.removed:
                return
            pool = _Pool(event.token0, event.token1, event.fee_bps, event.chain_id, event.dex)
            self.pools[address] = pool
        history = pool.history
        block_hash, log_index = event.block_hash, event.log_index
        for i in range(len(history) - 1, -1, -1):
            h_hash, h_state = history[i]
            if h_state.log_index == log_index and h_hash == block_hash:
                del history[i]
                break
        if not event.removed:
            state = V2PoolState(
                address,
                pool.token0,
                pool.token1,
                pool.fee_bps,
                event.reserve0,
                event.reserve1,
                event.block_number,
                log_index,
                pool.chain_id,
                pool.dex,
            )
            place = (state.block, log_index)
            i = len(history)
            while i > 0 and (history[i - 1][1].block, history[i - 1][1].log_index) > place:
                i -= 1
            history.insert(i, (block_hash, state))
            drop = max(0, len(history) - HISTORY)
            while drop + 1 < len(history) and history[drop + 1][1].block <= final_block:
                drop += 1  # the next one is final too: this one can never be restored
            if drop > 0:
                del history[:drop]
        if history:
            self.latest[address] = history[-1][1]
        else:
            self.latest.pop(address, None)

    def encode(self) -> bytes:
        """The wire form (module docstring)."""
        return _encode(
            {
                "v": WIRE_VERSION,
                "pools": {
                    address: [
                        p.token0,
                        p.token1,
                        p.fee_bps,
                        p.chain_id,
                        p.dex,
                        [[h, s.block, s.log_index, s.reserve0, s.reserve1] for h, s in p.history],
                    ]
                    for address, p in self.pools.items()
                },
            }
        )

    @classmethod
    def decode(cls, raw: bytes) -> PairState:
        """The inverse of :meth:`encode`; a value of another layout reads as an empty pair."""
        out = cls()
        try:
            value = _decode(raw)
        except msgspec.DecodeError:
            return out
        if not isinstance(value, dict) or value.get("v") != WIRE_VERSION:
            return out
        for address, (token0, token1, fee_bps, chain_id, dex, history) in value["pools"].items():
            pool = _Pool(token0, token1, fee_bps, chain_id, dex)
            pool.history = [
                (h, V2PoolState(address, token0, token1, fee_bps, r0, r1, b, i, chain_id, dex))
                for h, b, i, r0, r1 in history
            ]
            out.pools[address] = pool
            if pool.history:
                out.latest[address] = pool.history[-1][1]
        return out
