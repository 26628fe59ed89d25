"""pair_events -> pair_state -> arb.opportunities.

For every Sync of a pool, update that pool's reserves in its pair's state and size the
two-pool cross-DEX cycles through it against every other pool of the pair (one batch
call into the cyext kernel), charge gas at the chain's latest base fee, and emit the best
cycle whose net profit clears the thresholds.
"""

from __future__ import annotations

import logging
from typing import Any

import faust

from arbstream import metrics
from arbstream.config import Settings
from arbstream.errors import SchemaError
from arbstream.schemas import Opportunity, PoolEvent, now_ms
from arbstream.streams.agents.dead_letter import send_dead_letter
from arbstream.streams.cross_dex import CrossDexQuote, PoolState, best_of
from arbstream.streams.tables import Tables
from arbstream.streams.topics import Topics
from arbstream.streams.valuation import Valuation

log = logging.getLogger(__name__)

#: Sync history kept per pool so that a retraction can restore the earlier state
HISTORY = 16


def apply_sync(pools: dict[str, Any], event: PoolEvent) -> dict[str, Any]:
    """Pair state after one Sync (or its retraction); returns a new mapping."""
    entry = dict(pools.get(event.pool) or {})
    history = [
        h
        for h in entry.get("history", [])
        if (h[2], h[3], h[1]) != (event.block_hash, event.tx_hash, event.log_index)
    ]
    if not event.removed:
        history.append(
            [
                event.block_number,
                event.log_index,
                event.block_hash,
                event.tx_hash,
                event.reserve0,
                event.reserve1,
            ]
        )
        history.sort(key=lambda h: (h[0], h[1]))
        history = history[-HISTORY:]
    entry.update(
        dex=event.dex,
        token0=event.token0,
        token1=event.token1,
        fee_bps=event.fee_bps,
        history=history,
    )
    return {**pools, event.pool: entry}


def pool_states(chain_id: int, pools: dict[str, Any]) -> dict[str, PoolState]:
    out = {}
    for address, entry in pools.items():
        if not entry.get("history"):
            continue
        block, log_index, _, _, r0, r1 = entry["history"][-1]
        out[address] = PoolState(
            chain_id,
            address,
            entry["dex"],
            entry["token0"],
            entry["token1"],
            int(entry["fee_bps"]),
            int(r0),
            int(r1),
            int(block),
            int(log_index),
        )
    return out


def build_opportunity(
    quote: CrossDexQuote,
    event: PoolEvent,
    valuation: Valuation,
    gas_estimate: int,
    gas_price: int,
    gas_cost_token: int,
) -> Opportunity:
    token = quote.token_in
    gas_cost_wei = gas_estimate * gas_price
    net = quote.profit - gas_cost_token
    detected = now_ms()
    return Opportunity(
        id=f"{event.chain_id}:{quote.cycle_id}:{event.block_number}:{event.log_index}",
        kind="cross_dex",
        chain_id=event.chain_id,
        cycle_id=quote.cycle_id,
        pools=[quote.borrow.pool, quote.sell.pool],
        dexes=[quote.borrow.dex, quote.sell.dex],
        tokens=[token, quote.token_mid, token],
        zero_for_one=[token == quote.borrow.token0, quote.token_mid == quote.sell.token0],
        fees_bps=[quote.borrow.fee_bps, quote.sell.fee_bps],
        amount_in=quote.amount_in,
        amount_out=quote.amount_out,
        gross_profit=quote.profit,
        gas_estimate=gas_estimate,
        gas_price_wei=gas_price,
        gas_cost_wei=gas_cost_wei,
        gas_cost_token=gas_cost_token,
        net_profit=net,
        profit_token=token,
        profit_symbol=valuation.symbol(token),
        profit_decimals=valuation.decimals(token),
        gross_profit_usd=valuation.usd(token, quote.profit),
        net_profit_usd=valuation.usd(token, net) if net >= 0 else -valuation.usd(token, -net),
        state_blocks=[quote.borrow.block, quote.sell.block],
        state_log_indexes=[quote.borrow.log_index, quote.sell.log_index],
        trigger_block=event.block_number,
        trigger_tx=event.tx_hash,
        trigger_log_index=event.log_index,
        event_ingest_ts_ms=event.ingest_ts_ms,
        detected_ts_ms=detected,
        latency_ms=float(max(0, detected - event.ingest_ts_ms)),
    )


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
            states = pool_states(event.chain_id, pools)
            me = states.get(event.pool)
            if me is None:
                continue
            valuation = valuations[event.chain_id]
            others = [(me, s) for addr, s in states.items() if addr != event.pool]
            quote = best_of(others, valuation.usd if valuation.tokens else None)
            if quote is None:
                continue
            gas = tables.chain_gas[str(event.chain_id)]
            gas_price = int(gas.get("base_fee", 0)) + chain.priority_fee_wei
            gas_cost_wei = chain.arb_gas_estimate * gas_price
            native = tables.native_price[f"{event.chain_id}:{quote.token_in}"]
            reserves = (
                (int(native["reserve_token"]), int(native["reserve_native"])) if native else None
            )
            gas_cost_token = valuation.gas_in_token(gas_cost_wei, quote.token_in, reserves)
            if gas_cost_token is None:
                log.debug("chain %s: no price to charge gas in %s", event.chain_id, quote.token_in)
                continue
            opp = build_opportunity(
                quote, event, valuation, chain.arb_gas_estimate, gas_price, gas_cost_token
            )
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
