"""Every topic -> ClickHouse, batched and idempotent.

A Kafka consumer group reads all pipeline topics, decodes each record with its
versioned schema, inserts per table in batches and commits offsets only after the insert
(at-least-once); the ReplacingMergeTree tables collapse re-deliveries on the record's
identity. A record that does not decode lands in ``dead_letters`` with its offset.
Exports records in per topic and chain, rows per table, dead letters and, every
``LAG_INTERVAL_S``, the group's lag per partition (``arbstream.metrics``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import defaultdict

from aiokafka import AIOKafkaConsumer, TopicPartition
from clickhouse_connect.driver.client import Client

from arbstream import metrics
from arbstream.analytics.clickhouse import connect, create_schema, insert_records
from arbstream.analytics.tables import TABLES, TableSpec, topic_map
from arbstream.config import Settings
from arbstream.errors import SchemaError
from arbstream.log import ensure_topics
from arbstream.schemas import DeadLetter, Record
from arbstream.signals import stop_on_signals

log = logging.getLogger(__name__)

#: seconds between consumer-lag metric updates while running
LAG_INTERVAL_S = 5.0


@dataclasses.dataclass
class SinkStats:
    rows: dict[str, int] = dataclasses.field(default_factory=lambda: defaultdict(int))
    batches: int = 0


class ClickHouseSink:
    def __init__(self, settings: Settings, client: Client, group_id: str | None = None) -> None:
        self.settings = settings
        self.client = client
        self.database = settings.clickhouse_database
        self.routes = topic_map(settings.topics)
        self.group_id = group_id or f"{settings.app_id}-sink"
        self.stats = SinkStats()
        self.consumer: AIOKafkaConsumer | None = None
        self._dead_letter_spec = next(s for s in TABLES if s.record is DeadLetter)

    async def start(self) -> None:
        await asyncio.to_thread(create_schema, self.client, self.database)
        self.consumer = AIOKafkaConsumer(
            *self.routes,
            bootstrap_servers=self.settings.bootstrap_servers,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            rebalance_timeout_ms=int(self.settings.rebalance_timeout_s * 1000),
            session_timeout_ms=int(max(6.0, 2 * self.settings.rebalance_timeout_s) * 1000),
            heartbeat_interval_ms=1000,
            fetch_max_wait_ms=self.settings.fetch_max_wait_ms,
        )
        await self.consumer.start()

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()
            self.consumer = None

    async def run(self, stop: asyncio.Event) -> None:
        """Consume and insert until ``stop`` is set."""
        assert self.consumer is not None, "start() first"
        loop = asyncio.get_running_loop()
        next_lag = loop.time()
        while not stop.is_set():
            await self.poll_once()
            if loop.time() >= next_lag:
                await self.report_lag()
                next_lag = loop.time() + LAG_INTERVAL_S

    async def poll_once(self, timeout_s: float | None = None) -> int:
        """One batch: fetch, decode, insert, commit. Returns the number of records."""
        assert self.consumer is not None, "start() first"
        timeout = timeout_s if timeout_s is not None else self.settings.sink_flush_s
        batch = await self.consumer.getmany(
            timeout_ms=int(timeout * 1000), max_records=self.settings.sink_batch_size
        )
        if not batch:
            return 0
        per_table: dict[str, tuple[TableSpec, list[Record]]] = {}
        consumed: dict[tuple[str, int], int] = defaultdict(int)
        count = 0
        for tp, messages in batch.items():
            spec = self.routes[tp.topic]
            for msg in messages:
                count += 1
                try:
                    records = spec.decode(
                        msg.value or b"", source=f"{tp.topic}[{tp.partition}]@{msg.offset}"
                    )
                    target = spec
                    for record in records:  # events in: one per event, not per batch record
                        consumed[(tp.topic, getattr(record, "chain_id", 0))] += 1
                except SchemaError as exc:
                    dead = DeadLetter(
                        source_topic=tp.topic,
                        source_partition=tp.partition,
                        source_offset=msg.offset,
                        stage="sink",
                        reason=str(exc),
                        payload=(msg.value or b"").decode(errors="replace")[:10_000],
                    )
                    records = [dead]
                    target = self._dead_letter_spec
                    metrics.dead_letter("sink")
                    log.warning(
                        "sink: dead letter %s[%s]@%s: %s", tp.topic, tp.partition, msg.offset, exc
                    )
                per_table.setdefault(target.table, (target, []))[1].extend(records)
        for spec, records in per_table.values():
            await asyncio.to_thread(insert_records, self.client, self.database, spec, records)
            self.stats.rows[spec.table] += len(records)
            metrics.SINK_ROWS.labels(table=spec.table).inc(len(records))
        for (topic, chain), n in consumed.items():
            metrics.events_in(topic, chain, n)
        await self.consumer.commit()
        self.stats.batches += 1
        return count

    async def partition_lag(self) -> dict[TopicPartition, int]:
        """Records not yet consumed, per assigned partition."""
        assert self.consumer is not None
        parts = list(self.consumer.assignment())
        if not parts:
            return {}
        ends = await self.consumer.end_offsets(parts)
        return {tp: max(0, ends[tp] - await self.consumer.position(tp)) for tp in parts}

    async def lag(self) -> int:
        """Records on the assigned partitions not yet consumed."""
        return sum((await self.partition_lag()).values())

    async def report_lag(self) -> None:
        """Set the consumer-lag gauge of every assigned partition."""
        for tp, lag in (await self.partition_lag()).items():
            metrics.CONSUMER_LAG.labels(
                group=self.group_id, topic=tp.topic, partition=str(tp.partition)
            ).set(lag)

    async def drain(self, timeout_s: float = 30.0) -> None:
        """Insert until every topic is consumed to its current end (or the timeout)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            await self.poll_once(0.2)
            if await self.lag() == 0:
                return
        log.warning("sink: drain timed out with lag %s", await self.lag())


async def run_sink(settings: Settings) -> int:
    """``arbstream sink``: consume every topic into ClickHouse until SIGINT/SIGTERM."""
    await ensure_topics(settings.bootstrap_servers, settings.topics)
    exporter = metrics.start_exporter(settings.metrics_port_of("sink"))
    stop = asyncio.Event()
    stop_on_signals(stop)
    sink = ClickHouseSink(settings, connect(settings.clickhouse_dsn))
    await sink.start()
    try:
        await sink.run(stop)
    finally:
        await sink.stop()
        if exporter is not None:
            exporter.stop()
    return 0
