"""``arbstream ingest``: the chain ingestors of the configured chains, one producer."""

from __future__ import annotations

import asyncio
import logging

from arbstream import metrics
from arbstream.config import Settings
from arbstream.errors import ConfigError
from arbstream.ingest.ingestor import ChainIngestor
from arbstream.log import ensure_topics, make_producer
from arbstream.signals import stop_on_signals

log = logging.getLogger(__name__)


async def run_ingest(settings: Settings, chain_ids: list[int] | None = None) -> int:
    chains = [settings.chain(c) for c in chain_ids] if chain_ids else list(settings.chains)
    if not chains:
        raise ConfigError("no chains configured: set [[chains]] in the config file")
    await ensure_topics(settings.bootstrap_servers, settings.topics)
    exporter = metrics.start_exporter(settings.metrics_port_of("ingest"))
    stop = asyncio.Event()
    stop_on_signals(stop)
    producer = make_producer(settings.bootstrap_servers)
    await producer.start()
    try:
        ingestors = [ChainIngestor(c, producer, settings.topics) for c in chains]
        await asyncio.gather(*(i.run(stop) for i in ingestors))
    finally:
        await producer.stop()
        if exporter is not None:
            exporter.stop()
    return 0
