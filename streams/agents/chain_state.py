"""chain.blocks -> chain_gas: the latest base fee per chain."""

from __future__ import annotations

import faust

from arbstream import metrics
from arbstream.errors import SchemaError
from arbstream.schemas import BlockHeader
from arbstream.streams.agents.dead_letter import send_dead_letter
from arbstream.streams.tables import Tables
from arbstream.streams.topics import Topics


def register(app: faust.App, topics: Topics, tables: Tables) -> None:
    @app.agent(topics.blocks, name="chain_state")
    async def chain_state(stream: faust.StreamT[bytes]) -> None:
        async for raw in stream:
            try:
                header = BlockHeader.from_json(raw, source=topics.blocks.get_topic_name())
            except SchemaError as exc:
                await send_dead_letter(topics.dead_letter, "chain_state", str(exc), raw)
                continue
            metrics.events_in(topics.blocks.get_topic_name(), header.chain_id)
            key = str(header.chain_id)
            if header.number >= int(tables.chain_gas[key].get("block", -1)):
                tables.chain_gas[key] = {
                    "block": header.number,
                    "base_fee": header.base_fee_per_gas,
                }
