"""Long-running production services started by the CLI: ingest and sink."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from arbstream.config import Settings
from arbstream.errors import ConfigError
from arbstream.ingest.ingestor import ChainIngestor
from arbstream.log import ensure_topics, make_producer
from arbstream.sink.clickhouse import connect
from arbstream.sink.consumer import ClickHouseSink

log = logging.getLogger(__name__)


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)


async def run_ingest(settings: Settings, chain_ids: list[int] | None = None) -> int:
    chains = [settings.chain(c) for c in chain_ids] if chain_ids else list(settings.chains)
    if not chains:
        raise ConfigError("no chains configured: set [[chains]] in the config file")
    await ensure_topics(settings.bootstrap_servers, settings.topics)
    stop = asyncio.Event()
    _stop_on_signals(stop)
    producer = make_producer(settings.bootstrap_servers)
    await producer.start()
    try:
        ingestors = [ChainIngestor(c, producer, settings.topics) for c in chains]
        await asyncio.gather(*(i.run(stop) for i in ingestors))
    finally:
        await producer.stop()
    return 0


async def run_sink(settings: Settings) -> int:
    await ensure_topics(settings.bootstrap_servers, settings.topics)
    stop = asyncio.Event()
    _stop_on_signals(stop)
    sink = ClickHouseSink(settings, connect(settings.clickhouse_dsn))
    await sink.start()
    try:
        await sink.run(stop)
    finally:
        await sink.stop()
    return 0
