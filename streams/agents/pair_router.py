"""dex.events (key chain:pool) -> pair_events (key chain:token0:token1).

Re-keying by token pair puts every pool of a pair in one partition, so the detector's
pair table sees all of them. Also keeps ``native_price`` from pools against the wrapped
native token.
"""

from __future__ import annotations

import faust

from arbstream import metrics
from arbstream.config import Settings
from arbstream.errors import SchemaError
from arbstream.schemas import PoolEvent
from arbstream.streams.agents.dead_letter import send_dead_letter
from arbstream.streams.tables import Tables
from arbstream.streams.topics import Topics


def pair_key(event: PoolEvent) -> str:
    return f"{event.chain_id}:{event.token0}:{event.token1}"


def register(app: faust.App, topics: Topics, tables: Tables, settings: Settings) -> None:
    weth = {c.chain_id: c.weth for c in settings.chains}

    @app.agent(topics.events, name="pair_router")
    async def pair_router(stream: faust.StreamT[bytes]) -> None:
        async for raw in stream:
            try:
                event = PoolEvent.from_json(raw, source=topics.events.get_topic_name())
            except SchemaError as exc:
                await send_dead_letter(topics.dead_letter, "pair_router", str(exc), raw)
                continue
            metrics.events_in(topics.events.get_topic_name(), event.chain_id)
            if event.kind != "Sync":
                continue
            await topics.pair_events.send(key=pair_key(event).encode(), value=raw)
            metrics.events_out(topics.pair_events.get_topic_name(), event.chain_id)
            native = weth.get(event.chain_id)
            if native in (event.token0, event.token1) and not event.removed:
                token = event.token1 if native == event.token0 else event.token0
                r_token, r_native = (
                    (event.reserve1, event.reserve0)
                    if native == event.token0
                    else (event.reserve0, event.reserve1)
                )
                key = f"{event.chain_id}:{token}"
                cur = tables.native_price[key]
                if (
                    not cur
                    or cur.get("pool") == event.pool
                    or r_native >= int(cur["reserve_native"])
                ):
                    tables.native_price[key] = {
                        "pool": event.pool,
                        "reserve_token": r_token,
                        "reserve_native": r_native,
                    }
