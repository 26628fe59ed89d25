"""The Faust application object.

The app is built once per worker process by :func:`create_app` from the validated
settings (broker, topic names, partitions), so tests can run it on unique topics and
groups. ``arbstream worker streams`` builds it and runs a Faust worker.
"""

from __future__ import annotations

import logging

import faust

from arbstream.config import Settings
from arbstream.streams.transport import LowLatencyApp

log = logging.getLogger(__name__)


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
    )
    app.fetch_max_wait_ms = settings.fetch_max_wait_ms
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


def run_worker(app: faust.App, loglevel: str = "info") -> None:
    """Run a Faust worker for ``app`` in this process until SIGTERM/SIGINT."""
    worker = faust.Worker(app, loglevel=loglevel.lower(), quiet=True)
    worker.execute_from_commandline()
