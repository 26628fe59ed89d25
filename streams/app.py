"""The Faust application object.

The app is built once per worker process by :func:`create_app` from the validated
settings (broker, topic names, partitions), so tests can run it on unique topics and
groups. ``arbstream worker streams`` builds it and runs a Faust worker.
"""

from __future__ import annotations

import gc
import logging

import faust

from arbstream.config import Settings
from arbstream.streams.recovery import TableManager
from arbstream.streams.transport import LowLatencyApp

log = logging.getLogger(__name__)


#: bytes per partition batch of a produce request (aiokafka's default is 16 KiB): a commit's
#: changelog flush drains in a few requests instead of hundreds (the producer keeps one
#: request in flight per broker, and the agents' sends queue behind it)
PRODUCER_BATCH_BYTES = 1 << 20
#: messages the producer buffer takes before Faust pauses the agents (Faust's default: 100)
PRODUCER_BUFFER_MESSAGES = 100_000


def create_app(settings: Settings, app_id: str | None = None) -> faust.App:
    """A Faust app configured for this deployment (no agents registered)."""
    app_id = app_id or settings.app_id
    datadir = settings.data_dir / "faust" / app_id
    datadir.mkdir(parents=True, exist_ok=True)
    app = LowLatencyApp(
        app_id,
        broker=settings.broker_url,
        store="memory://",
        autodiscover=False,
        topic_partitions=settings.topics.partitions,
        topic_replication_factor=settings.topics.replication,
        topic_allow_declare=True,
        web_enabled=False,
        datadir=str(datadir),
        broker_rebalance_timeout=settings.rebalance_timeout_s,
        broker_session_timeout=max(6.0, 2 * settings.rebalance_timeout_s),
        broker_heartbeat_interval=1.0,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        table_standby_replicas=0,
        producer_max_batch_size=PRODUCER_BATCH_BYTES,
        producer_max_request_size=4 * PRODUCER_BATCH_BYTES,
        # table recovery that does not stall the group after a rebalance: streams.recovery
        TableManager=TableManager,
    )
    app.fetch_max_wait_ms = settings.fetch_max_wait_ms
    # the buffer of table changelog writes: past this size Faust stops delivering records to
    # the agents until it drains, and a commit's flush (``tables.FlushOnCommit``) writes
    # a changelog message per changed key at once
    app.producer.buffer.max_messages = PRODUCER_BUFFER_MESSAGES
    return app


def build_streams_app(settings: Settings) -> faust.App:
    """The detection app: pool state tables and the cross-DEX detector."""
    from arbstream.streams.agents import chain_state, detector
    from arbstream.streams.tables import Tables
    from arbstream.streams.topics import Topics

    app = create_app(settings)
    topics = Topics.declare(app, settings.topics)
    tables = Tables.declare(app)
    chain_state.register(app, topics, tables)
    detector.register(app, topics, tables, settings)
    return app


#: allocations between young-generation collections (CPython's default is 700)
GC_THRESHOLD = 10_000


def tune_gc() -> None:
    """Fewer, cheaper garbage collections for a long-running worker.

    Everything alive now (the imported modules: faust, aiokafka, web3, ...) is frozen out of
    every later collection, and the young generation is collected every
    :data:`GC_THRESHOLD` allocations instead of 700: measured on the detector's hot path
    (``bench/stream_bench.py``), collections took a third of its time with the defaults."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, gen1, gen2)


def run_worker(app: faust.App, loglevel: str = "info") -> None:
    """Run a Faust worker for ``app`` in this process until SIGTERM/SIGINT."""
    worker = faust.Worker(app, loglevel=loglevel.lower(), quiet=True)
    tune_gc()
    worker.execute_from_commandline()
