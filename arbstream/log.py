"""Kafka-compatible log helpers shared by the ingestors, the sink and the CLI.

The log is tansu locally and Redpanda/Kafka in production; only the bootstrap address
differs. Topics are created explicitly with the configured partition count, because
Faust tables require a changelog with the same number of partitions as their source.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from arbstream.config import TopicsConfig
from arbstream.errors import RuntimeStackError
from arbstream.schemas import Record

log = logging.getLogger(__name__)


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
