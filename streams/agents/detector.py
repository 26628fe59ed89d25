"""dex.events -> pair_state -> arb.opportunities, in one hop.

``dex.events`` records are batches of events partitioned by token pair
(:mod:`arbstream.framing`), the key the pair state is kept under, so no repartition topic
sits between the ingestor and this agent.

For every Sync of a pool, update that pool's state (the V2 pool model of
:mod:`arbstream.cyext.v2_pool`) in its pair's state (:mod:`arbstream.streams.pair_state`), size the
two-pool cross-DEX cycles through it against every other pool of the pair with the strategy
module (one batch call into the cyext kernel), charge gas at the chain's latest base fee,
and emit the best cycle whose net profit clears the thresholds.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import faust

from arbstream import metrics
from arbstream.config import MAX_REORG_DEPTH, Settings
from arbstream.cyext.v2_pool import V2PoolState
from arbstream.errors import SchemaError
from arbstream.framing import decode_batch, pair_key
from arbstream.schemas import Opportunity
from arbstream.streams import strategy
from arbstream.streams.agents.dead_letter import send_dead_letter
from arbstream.streams.tables import Tables
from arbstream.streams.topics import Topics
from arbstream.streams.valuation import Valuation

log = logging.getLogger(__name__)


#: seconds between writes of the staged native prices (besides the one at each commit)
NATIVE_FLUSH_S = 0.25


class Detector:
    """Pair state and pricing of one worker: :meth:`detect` takes one record's events.

    Events are applied per pair in their order to the pair's
    :class:`~arbstream.streams.pair_state.PairState` (in place, in memory); after every
    Sync the pair's cycles through the synced pool are collected at the state of that
    moment, and all of a record's cycles are sized in one strategy call, so each event is
    priced exactly as if it had arrived alone. A changed pair is staged in the table and
    written (history included) once per commit of the worker, however many records changed
    it (:class:`~arbstream.streams.tables.DeferredTable`). Native-price entries (a global
    table, read by every worker) are staged too and written every
    :data:`NATIVE_FLUSH_S` seconds and at each commit: other workers see a price that
    old at most, and a busy pair's price is one changelog message per flush, not one per
    Sync."""

    def __init__(self, settings: Settings, tables: Tables) -> None:
        self.tables = tables
        self.chains = {c.chain_id: c for c in settings.chains}
        self.valuations = {c.chain_id: Valuation(c) for c in settings.chains}
        self.weth = {c.chain_id: c.weth for c in settings.chains}
        self.cfg = settings.detector
        self.reorg_depth = {c.chain_id: c.reorg_depth for c in settings.chains}
        self._native_flushed = time.monotonic()

    def detect(self, rows: list[Any], partition: int | None = None) -> list[Opportunity]:
        """The opportunities of one record's events (rows of :func:`decode_batch`), read
        from ``partition``: the pairs' changed states are staged in the ``pair_state`` table
        for that changelog partition (written when the worker commits)."""
        # each Sync with its final block: its own block minus the chain's reorg depth (the
        # chain has reached at least the Sync's block). Not the newest block this worker has
        # seen: that depends on how its partitions' records interleave, so a restart or a
        # rebalance would prune other Syncs than an uninterrupted run (found by the
        # replaced-worker test of tests/integration/test_stream_worker.py)
        by_pair: dict[str, list[tuple[Any, int]]] = {}
        depth = self.reorg_depth
        for row in rows:
            if row.kind != "Sync":
                continue
            chain = row.chain_id
            final = row.block_number - depth.get(chain, MAX_REORG_DEPTH)
            by_pair.setdefault(pair_key(chain, row.token0, row.token1), []).append((row, final))
        triggers: list[tuple[Any, int, int]] = []  # (row, first pool pair, end)
        pool_pairs: list[tuple[V2PoolState, V2PoolState]] = []
        native: dict[str, dict[str, Any]] = {}
        table = self.tables.pair_state
        for key, pair_rows in by_pair.items():
            pair = table[key]
            table.stage(key, pair, partition)
            for row, final in pair_rows:
                pair.apply(row, final)
                if row.removed or row.chain_id not in self.chains:
                    continue
                self._native_price(row, native)
                latest = pair.latest
                me = latest.get(row.pool)
                if me is None or not me.live:
                    continue
                start = len(pool_pairs)
                for address, other in latest.items():
                    if address != row.pool and other.live:
                        pool_pairs.append((me, other))
                if len(pool_pairs) > start:
                    triggers.append((row, start, len(pool_pairs)))
        if native:
            for key, entry in native.items():
                self.tables.native_price.stage(key, entry, partition)
            now = time.monotonic()
            if now - self._native_flushed >= NATIVE_FLUSH_S:
                self.tables.native_price.flush()
                self._native_flushed = now
        if not pool_pairs:
            return []
        sized = strategy.size_two_pool(pool_pairs)
        out = []
        for row, start, end in triggers:
            profitable = [s for found in sized[start:end] for s in found]
            opp = self._opportunity(row, profitable) if profitable else None
            if opp is not None:
                out.append(opp)
        return out

    def _native_price(self, row: Any, pending: dict[str, dict[str, Any]]) -> None:
        """Keep the deepest pool against the wrapped native token, per token."""
        native = self.weth.get(row.chain_id)
        if native not in (row.token0, row.token1):
            return
        token = row.token1 if native == row.token0 else row.token0
        r_token, r_native = (
            (row.reserve1, row.reserve0) if native == row.token0 else (row.reserve0, row.reserve1)
        )
        key = f"{row.chain_id}:{token}"
        cur = pending.get(key) or self.tables.native_price[key]
        if not cur or cur.get("pool") == row.pool or r_native >= int(cur["reserve_native"]):
            pending[key] = {"pool": row.pool, "reserve_token": r_token, "reserve_native": r_native}

    def _opportunity(self, row: Any, sized: list[strategy.SizedCycle]) -> Opportunity | None:
        valuation = self.valuations[row.chain_id]
        winner = strategy.best(sized, valuation.usd if valuation.tokens else None)
        if winner is None:
            return None
        chain = self.chains[row.chain_id]
        token = winner.cycle.start_token
        gas_price = int(self.tables.chain_gas[str(row.chain_id)].get("base_fee", 0))
        gas_price += chain.priority_fee_wei
        native = self.tables.native_price[f"{row.chain_id}:{token}"]
        reserves = (int(native["reserve_token"]), int(native["reserve_native"])) if native else None
        gas = strategy.gas_cost(valuation, token, chain.arb_gas_estimate, gas_price, reserves)
        if gas is None:
            log.debug("chain %s: no price to charge gas in %s", row.chain_id, token)
            return None
        trigger = strategy.Trigger(row.block_number, row.tx_hash, row.log_index, row.ingest_ts_ms)
        opp = strategy.opportunity(winner, gas, valuation, trigger)
        if self.cfg.require_positive_net and opp.net_profit <= 0:
            return None
        if opp.net_profit_usd < self.cfg.min_net_profit_usd:
            return None
        return opp


#: seconds between the detector's INFO summaries (each opportunity is logged at DEBUG)
SUMMARY_EVERY_S = 10.0


def register(app: faust.App, topics: Topics, tables: Tables, settings: Settings) -> None:
    detector_state = Detector(settings, tables)
    source = topics.events.get_topic_name()
    sink = topics.opportunities.get_topic_name()

    @app.agent(topics.events, name="detector")
    async def detector(stream: faust.StreamT[bytes]) -> None:
        window = _Window()
        async for event in stream.events():
            raw = event.value
            try:
                rows = decode_batch(raw, source=source)
            except SchemaError as exc:
                await send_dead_letter(topics.dead_letter, "detector", str(exc), raw)
                continue
            if rows:
                metrics.events_in(source, rows[0].chain_id, len(rows))
            try:
                opps = detector_state.detect(rows, event.message.partition)
            except Exception as exc:
                # never let the agent crash on a record: Faust restarts a crashed agent but
                # never acks the record, so the group stops committing short of the end
                # while the worker looks alive (the "stalled group" of issue 9)
                log.exception("detector: record failed, sent to the dead-letter topic")
                reason = f"detector failed: {type(exc).__name__}: {exc}"
                await send_dead_letter(topics.dead_letter, "detector", reason, raw)
                continue
            for opp in opps:
                await topics.opportunities.send(key=opp.key.encode(), value=opp.to_json())
                metrics.opportunity_out(sink, opp.chain_id, opp.kind, opp.latency_ms)
                log.debug(
                    "chain %s block %s: %s net %s %s ($%.2f) in %.0f ms",
                    opp.chain_id,
                    opp.trigger_block,
                    opp.cycle_id,
                    opp.net_profit,
                    opp.profit_symbol,
                    opp.net_profit_usd,
                    opp.latency_ms,
                )
            window.add(len(rows), opps)


class _Window:
    """Counts for the detector's periodic INFO line."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.start = time.monotonic()
        self.events = 0
        self.opportunities = 0
        self.best_usd = 0.0

    def add(self, events: int, opps: list[Opportunity]) -> None:
        self.events += events
        self.opportunities += len(opps)
        for opp in opps:
            self.best_usd = max(self.best_usd, opp.net_profit_usd)
        elapsed = time.monotonic() - self.start
        if elapsed >= SUMMARY_EVERY_S:
            log.info(
                "detector: %d events, %d opportunities in %.0f s (best net $%.2f)",
                self.events,
                self.opportunities,
                elapsed,
                self.best_usd,
            )
            self.reset()
