"""The stream worker (``arbstream worker streams``: Faust, the real broker) on a recorded input.

Every emitted opportunity is compared, on identity and exact amounts, with the reference of
``tests/stream_reference.py`` computed independently from the same input: none missing,
none extra, none twice.

- A worker stopped half-way and a new one started on the same app: the second must recover
  every pair's state (pools and their Sync history) from the table's changelog, which the
  first wrote only when it committed (``streams.tables.DeferredTable``); a lost or stale
  state shows as missing or different opportunities in the second half.
- Two workers of one app sharing the input's partitions: the group reaches the last offset
  of every partition, and each opportunity is emitted once.

Both are marked ``fault``: ``make test`` runs them once, ``make test-faults`` round after
round. What they caught: a recovered worker that read every table value as JSON (crashed);
recovery stopping at tansu's lagging end offsets (stale states); a final block that depended
on how partitions interleave (missing opportunities after a restart); and the stalled group
after a rebalance, Faust acking records it had skipped while its flow control was off
(``streams.recovery``), and a new group losing the records fetched in that window
(``streams.transport``).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from arbstream.config import Settings, TopicsConfig, settings_to_json
from arbstream.framing import frame, pair_key, partition_for
from arbstream.localstack.process import ManagedProcess, ProcessGroup
from arbstream.localstack.stack import LocalStack
from arbstream.localstack.workers import worker_process
from arbstream.log import ensure_topics, make_producer
from arbstream.schemas import Opportunity, PoolEvent
from tests.integration.topic_reader import read_topic
from tests.integration.waiting import wait_until
from tests.stream_reference import identity, recorded_input, reference, reference_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARTITIONS = 4
#: bound on each wait (seconds): a hang, not a speed requirement
WAIT_S = 240.0


async def _settings(stack: LocalStack, run_dir: Path, unique: str) -> tuple[Settings, Path]:
    """Settings on unique topics (created) and the config file the workers read."""
    base = stack.settings(reference_settings())
    settings = reference_settings(
        broker_url=base.broker_url,
        app_id=f"arbstream-{unique}",
        data_dir=run_dir / unique,
        topics=TopicsConfig.prefixed(unique, partitions=PARTITIONS),
        metrics_port=0,  # two workers on one host would want the same port
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    config = settings.data_dir / "config.json"
    config.write_text(settings_to_json(settings))
    await ensure_topics(settings.bootstrap_servers, settings.topics)
    return settings, config


async def _publish(settings: Settings, events: list[PoolEvent], ends: dict[int, int]) -> None:
    """Framed as the ingestor frames them, in chunks of 50 events (several records each);
    ``ends`` gets each partition's end offset from the broker's acknowledgements (tansu's
    own end offsets lag when the last produce batch held several records)."""
    producer = make_producer(settings.bootstrap_servers)
    await producer.start()
    try:
        for lo in range(0, len(events), 50):
            sent = [
                await producer.send(settings.topics.events, value, key=key, partition=part)
                for part, key, value in frame(events[lo : lo + 50], PARTITIONS)
            ]
            for meta in await asyncio.gather(*sent):
                ends[meta.partition] = max(ends.get(meta.partition, 0), meta.offset + 1)
    finally:
        await producer.stop()


async def _lag(settings: Settings, ends: dict[int, int]) -> str | None:
    """What the app's group has not committed yet on ``dex.events`` (None: nothing)."""
    topic = settings.topics.events
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        group_id=settings.app_id,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        behind = []
        for part, end in sorted(ends.items()):
            done = await consumer.committed(TopicPartition(topic, part))
            if done is None or done < end:
                behind.append(f"partition {part}: committed {done} of {end}")
        return "; ".join(behind) or None
    finally:
        await consumer.stop()


async def _drain(settings: Settings, workers: list[ManagedProcess], ends: dict[int, int]) -> None:
    async def missing() -> str | None:
        for w in workers:
            if not w.alive():
                raise AssertionError(f"{w.name} died:\n{w.log_tail()}")
        return await _lag(settings, ends)

    await wait_until(missing, timeout_s=WAIT_S, interval_s=0.5, what="the group to commit")


async def _emitted(settings: Settings) -> list[tuple[object, ...]]:
    raw = await read_topic(settings.bootstrap_servers, settings.topics.opportunities)
    return [identity(Opportunity.from_json(value)) for value in raw]


def _compare(got: list[tuple[object, ...]], want: list[tuple[object, ...]]) -> None:
    twice = [o for o, n in Counter(got).items() if n > 1]
    missing = Counter(want) - Counter(got)
    extra = Counter(got) - Counter(want)
    assert not twice, f"{len(twice)} opportunities emitted more than once, e.g. {twice[:2]}"
    assert not missing and not extra, (
        f"{sum(missing.values())} missing (e.g. {list(missing)[:2]}), "
        f"{sum(extra.values())} extra (e.g. {list(extra)[:2]})"
    )


@pytest.mark.fault
async def test_a_new_worker_recovers_the_pair_state_from_the_changelog(
    stack: LocalStack, run_dir: Path, unique: str
) -> None:
    settings, config = await _settings(stack, run_dir, unique)
    events = recorded_input(seed=23, n=1200, pairs=12)
    want = reference(events)
    half = len(events) // 2
    later = [o for o in want if (o[1], o[2]) >= (events[half].block_number, 0)]
    assert len(later) > 20, "the second half must produce opportunities"

    ends: dict[int, int] = {}
    await _publish(settings, events[:half], ends)
    with ProcessGroup() as group:
        first = group.start(worker_process("streams", config, settings, instance="first"))
        await _drain(settings, [first], ends)
        first.stop(timeout=60.0)  # SIGTERM: Faust commits (and the tables flush) on the way out

    await _publish(settings, events[half:], ends)
    with ProcessGroup() as group:
        second = group.start(worker_process("streams", config, settings, instance="second"))
        await _drain(settings, [second], ends)
    _compare(await _emitted(settings), want)


@pytest.mark.fault
async def test_two_workers_reach_the_end_and_emit_each_opportunity_once(
    stack: LocalStack, run_dir: Path, unique: str
) -> None:
    settings, config = await _settings(stack, run_dir, unique)
    events = recorded_input(seed=29, n=1200, pairs=12)
    want = reference(events)
    assert len(want) > 40, "the input must produce opportunities"
    used = {partition_for(pair_key(e.chain_id, e.token0, e.token1), PARTITIONS) for e in events}
    assert used == set(range(PARTITIONS)), "every partition must have events"
    ends: dict[int, int] = {}
    await _publish(settings, events, ends)
    with ProcessGroup() as group:
        workers = [
            group.spawn(worker_process("streams", config, settings, instance=str(i)))
            for i in range(2)
        ]
        await asyncio.gather(*(asyncio.to_thread(w.wait_ready) for w in workers))
        await _drain(settings, workers, ends)
    _compare(await _emitted(settings), want)
