"""pair_events -> pair_state -> arb.opportunities.

For every Sync of a pool, update that pool's state (the V2 pool model of
:mod:`arbstream.cyext.v2_pool`, kept in its compact form) in its pair's table entry, size the
two-pool cross-DEX cycles through it against every other pool of the pair with the strategy
module (one batch call into the cyext kernel), charge gas at the chain's latest base fee,
and emit the best cycle whose net profit clears the thresholds.
"""

from __future__ import annotations

import logging
from typing import Any

import faust

from arbstream import metrics
from arbstream.config import Settings
from arbstream.cyext.v2_pool import V2PoolState
from arbstream.errors import SchemaError
from arbstream.schemas import PoolEvent
from arbstream.streams import strategy
from arbstream.streams.agents.dead_letter import send_dead_letter
from arbstream.streams.tables import Tables
from arbstream.streams.topics import Topics
from arbstream.streams.valuation import Valuation

log = logging.getLogger(__name__)

#: Sync history kept per pool so that a retraction can restore the earlier state
HISTORY = 16


def apply_sync(pools: dict[str, Any], event: PoolEvent) -> dict[str, Any]:
    """Pair state after one Sync (or its retraction); returns a new mapping.

    Each pool keeps its recent states as ``[block_hash, tx_hash, row]`` entries, ``row`` the
    pool model's compact form (:meth:`V2PoolState.to_row`), ordered by (block, log index)."""
    entry = dict(pools.get(event.pool) or {})
    identity = (event.block_hash, event.tx_hash, event.log_index)
    # entries of another layout (an older version's changelog) are dropped, not misread
    history = [
        h for h in entry.get("history", []) if len(h) == 3 and (h[0], h[1], h[2][8]) != identity
    ]
    if not event.removed:
        state = V2PoolState(
            address=event.pool,
            token0=event.token0,
            token1=event.token1,
            fee_bps=event.fee_bps,
            reserve0=event.reserve0,
            reserve1=event.reserve1,
            block=event.block_number,
            log_index=event.log_index,
            chain_id=event.chain_id,
            dex=event.dex,
        )
        history.append([event.block_hash, event.tx_hash, state.to_row()])
        history.sort(key=lambda h: (h[2][7], h[2][8]))
        history = history[-HISTORY:]
    entry["history"] = history
    return {**pools, event.pool: entry}


def pool_states(pools: dict[str, Any]) -> dict[str, V2PoolState]:
    """The latest state of every pool of a pair (pools with no state left are absent)."""
    return {
        address: V2PoolState.from_row(entry["history"][-1][2])
        for address, entry in pools.items()
        if entry.get("history")
    }


def register(app: faust.App, topics: Topics, tables: Tables, settings: Settings) -> None:
    chains = {c.chain_id: c for c in settings.chains}
    valuations = {c.chain_id: Valuation(c) for c in settings.chains}
    cfg = settings.detector

    @app.agent(topics.pair_events, name="detector")
    async def detector(stream: faust.StreamT[bytes]) -> None:
        async for key, raw in stream.items():
            try:
                event = PoolEvent.from_json(raw, source=topics.pair_events.get_topic_name())
            except SchemaError as exc:
                await send_dead_letter(topics.dead_letter, "detector", str(exc), raw)
                continue
            metrics.events_in(topics.pair_events.get_topic_name(), event.chain_id)
            pair = key.decode() if isinstance(key, bytes) else str(key)
            pools = apply_sync(tables.pair_state[pair], event)
            tables.pair_state[pair] = pools
            chain = chains.get(event.chain_id)
            if chain is None or event.removed:
                continue
            states = pool_states(pools)
            me = states.get(event.pool)
            if me is None or not me.live:
                continue
            valuation = valuations[event.chain_id]
            cycles = [
                cycle
                for address, other in states.items()
                if address != event.pool and other.live
                for cycle in strategy.two_pool_cycles(me, other)
            ]
            winner = strategy.best(
                strategy.size(cycles), valuation.usd if valuation.tokens else None
            )
            if winner is None:
                continue
            token = winner.cycle.start_token
            gas_price = int(tables.chain_gas[str(event.chain_id)].get("base_fee", 0))
            gas_price += chain.priority_fee_wei
            native = tables.native_price[f"{event.chain_id}:{token}"]
            reserves = (
                (int(native["reserve_token"]), int(native["reserve_native"])) if native else None
            )
            gas = strategy.gas_cost(valuation, token, chain.arb_gas_estimate, gas_price, reserves)
            if gas is None:
                log.debug("chain %s: no price to charge gas in %s", event.chain_id, token)
                continue
            trigger = strategy.Trigger(
                event.block_number, event.tx_hash, event.log_index, event.ingest_ts_ms
            )
            opp = strategy.opportunity(winner, gas, valuation, trigger)
            if cfg.require_positive_net and opp.net_profit <= 0:
                continue
            if opp.net_profit_usd < cfg.min_net_profit_usd:
                continue
            await topics.opportunities.send(key=opp.key.encode(), value=opp.to_json())
            metrics.opportunity_out(
                topics.opportunities.get_topic_name(), opp.chain_id, opp.kind, opp.latency_ms
            )
            log.info(
                "chain %s block %s: %s net %s %s ($%.2f) in %.0f ms",
                opp.chain_id,
                opp.trigger_block,
                opp.cycle_id,
                opp.net_profit,
                opp.profit_symbol,
                opp.net_profit_usd,
                opp.latency_ms,
            )
