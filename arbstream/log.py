"""Kafka-compatible log helpers shared by the ingestors, the sink and the CLI.

The log is tansu locally and Redpanda/Kafka in production; only the bootstrap address
differs. Topics are created explicitly with the configured partition count, because
Faust tables require a changelog with the same number of partitions as their source.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from arbstream.config import TopicsConfig
from arbstream.errors import RuntimeStackError
from arbstream.schemas import Record

log = logging.getLogger(__name__)

TP = TypeVar("TP", bound=tuple[str, int])


async def ensure_topics(bootstrap: str, topics: TopicsConfig, *, timeout_s: float = 30.0) -> None:
    """Create every pipeline topic that does not exist yet (idempotent)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            await admin.start()
            break
        except KafkaConnectionError as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeStackError(f"broker {bootstrap} unreachable: {exc}") from exc
            await asyncio.sleep(0.5)
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, num_partitions=topics.partitions, replication_factor=topics.replication)
            for name in topics.all()
            if name not in existing
        ]
        for topic in wanted:
            try:
                await admin.create_topics([topic])
                log.info("created topic %s (%d partitions)", topic.name, topics.partitions)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


def make_producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, request_timeout_ms=30_000
    )


async def publish(producer: AIOKafkaProducer, topic: str, key: str, record: Record) -> None:
    """Send one record and wait until the broker has it (nothing lost)."""
    await producer.send_and_wait(topic, record.to_json(), key=key.encode())


#: how long a fetch past the reported end waits for records that are not there
_PROBE_WAIT_MS = 10
#: a getmany that brings nothing for this long: the probe has read to the true end
_PROBE_IDLE_MS = 200


async def true_end_offsets(bootstrap: str, reported: Mapping[TP, int]) -> dict[TP, int]:
    """Each partition's end offset (the offset after its last record), from the ``reported``
    end offsets (ListOffsets) and one read from just before them.

    tansu reports a partition's end as the base offset of its last record batch plus one
    (measured: after a batch of 3 records at offsets 1-3 it reports 2), so a reader that
    stops at the reported end misses the rest of that batch. The read starts at
    ``reported - 1`` (the last batch's first record) and goes on until a fetch brings
    nothing; on Kafka or Redpanda it finds the reported end again. Partitions reported empty
    are not read (an empty partition is empty on both)."""
    out = dict(reported)
    probe = {TopicPartition(tp[0], tp[1]): tp for tp, end in out.items() if end and end > 0}
    if not probe:
        return out
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=_PROBE_WAIT_MS
    )
    await consumer.start()
    try:
        consumer.assign(list(probe))
        for tp, key in probe.items():
            consumer.seek(tp, out[key] - 1)
        while batch := await consumer.getmany(timeout_ms=_PROBE_IDLE_MS):
            for tp, records in batch.items():
                if records:
                    key = probe[tp]
                    out[key] = max(out[key], records[-1].offset + 1)
    finally:
        await consumer.stop()
    return out
