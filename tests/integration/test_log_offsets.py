"""End offsets on the project's broker: :func:`arbstream.log.true_end_offsets` finds the
offset after each partition's last record, whatever the broker reports.

Table recovery reads each changelog partition up to these ends (``streams.transport``); a
recovery that stopped at tansu's reported end (the base offset of the last record batch plus
one) started from stale pair states.
"""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from arbstream.localstack.stack import LocalStack
from arbstream.log import make_producer, true_end_offsets
from tests.stream_reference import reference_settings

pytestmark = pytest.mark.integration


async def _produce(bootstrap: str, topic: str, batches: dict[int, list[int]]) -> dict[int, int]:
    """Per partition, batches of the given sizes (each batch sent at once, so the producer
    puts it in one record batch); returns each partition's end from the acknowledgements."""
    ends: dict[int, int] = {}
    producer = make_producer(bootstrap)
    await producer.start()
    try:
        for part, sizes in batches.items():
            for size in sizes:
                sent = [
                    await producer.send(topic, b"v%d" % i, key=b"k", partition=part)
                    for i in range(size)
                ]
                for meta in await asyncio.gather(*sent):
                    ends[part] = max(ends.get(part, 0), meta.offset + 1)
    finally:
        await producer.stop()
    return ends


async def test_true_end_offsets_reach_past_the_last_record_batch(
    stack: LocalStack, unique: str
) -> None:
    bootstrap = stack.settings(reference_settings()).bootstrap_servers
    topic = f"{unique}.offsets"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])
    finally:
        await admin.close()
    # partition 0: a last batch of many records; 1: single records; 2: one batch; 3: empty
    acked = await _produce(bootstrap, topic, {0: [2, 1, 7], 1: [1, 1, 1], 2: [5]})
    assert acked == {0: 10, 1: 3, 2: 5}

    tps = [TopicPartition(topic, p) for p in range(4)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        reported = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()

    ends = await true_end_offsets(bootstrap, reported)
    assert ends == {tps[0]: 10, tps[1]: 3, tps[2]: 5, tps[3]: 0}, f"reported {reported}"
