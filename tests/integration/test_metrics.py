"""Every process of a real pipeline run serves Prometheus metrics, and they count what the topics hold.

The run is the demo's (``PipelineRun`` on the local stack): the ingestors and the sink in
this process (the ``ingest`` and ``sink`` ports, one registry), the stream worker and the
executor worker in child processes, each on its own port. Each endpoint is scraped over
HTTP until it shows non-zero event counters (and the stream worker an opportunity, the
executor an execution, both consumers a dead letter for one undecodable record); then, with
the market stopped, until the counters equal the records on the run's topics.
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from arbstream.config import METRICS_ROLE_OFFSETS, ChainConfig
from arbstream.framing import decode_batch
from arbstream.ingest.ingestor import ChainIngestor
from arbstream.localstack.anvil import AnvilNode
from arbstream.localstack.pipeline import PipelineRun
from arbstream.localstack.stack import LocalStack
from arbstream.log import ensure_topics, make_producer
from tests.conftest import settings_for
from tests.integration.topic_reader import read_topic

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: bound on each wait (seconds)
WAIT_S = 180.0
#: an undecodable dex.events record: a dead letter in the detector and in the sink
BAD = b"{not json"
#: chain id of the node restarted under an ingestor (its own series in this registry)
RESTART_CHAIN = 4242

Samples = list[tuple[str, dict[str, str], float]]


def scrape(port: int) -> Samples:
    """Every sample of one process's /metrics endpoint."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    return [
        (s.name, dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    return sum(
        value
        for n, have, value in samples
        if n == name and all(have.get(k) == v for k, v in labels.items())
    )


async def wait_until(
    what: str, check: Callable[[], Awaitable[list[str]]], run: PipelineRun, timeout_s: float
) -> None:
    """Poll ``check`` (returns what is still missing) until it returns nothing, or fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        run.check_alive()
        missing = await check()
        if not missing:
            return
        if loop.time() > deadline:
            pytest.fail(f"{what}: after {timeout_s:.0f}s still\n  " + "\n  ".join(missing))
        await asyncio.sleep(1.0)


async def test_each_process_serves_metrics(stack: LocalStack, run_dir: Path, unique: str) -> None:
    run = PipelineRun(stack, settings_for(stack, run_dir, unique), seed=13)
    topics = run.settings.topics
    ports = run.metrics_ports
    assert set(ports) == set(METRICS_ROLE_OFFSETS)
    assert len(set(ports.values())) == len(ports) and all(ports.values()), ports
    chains = [str(c) for c in stack.chain_ids]

    async def scrape_all() -> dict[str, Samples]:
        return {role: await asyncio.to_thread(scrape, port) for role, port in ports.items()}

    sink_dead_before = 0.0

    async def nonzero() -> list[str]:
        s = await scrape_all()
        needed = {
            "ingest": [
                *(
                    ("arbstream_events_out_total", {"topic": topics.events, "chain": c})
                    for c in chains
                ),
                *(
                    ("arbstream_events_out_total", {"topic": topics.blocks, "chain": c})
                    for c in chains
                ),
                ("arbstream_events_out_total", {"topic": topics.pools}),
                *(("arbstream_head_block", {"chain": c}) for c in chains),
            ],
            "streams": [
                ("arbstream_events_in_total", {"topic": topics.events}),
                ("arbstream_events_in_total", {"topic": topics.blocks}),
                ("arbstream_opportunities_total", {"kind": "cross_dex"}),
                ("arbstream_detection_latency_seconds_count", {}),
                ("arbstream_dead_letters_total", {"stage": "detector"}),
            ],
            "executor": [
                ("arbstream_events_in_total", {"topic": topics.opportunities}),
                ("arbstream_executions_total", {}),
            ],
            "sink": [
                ("arbstream_events_in_total", {"topic": topics.events}),
                ("arbstream_events_in_total", {"topic": topics.opportunities}),
            ],
        }
        missing = [
            f"{role} :{ports[role]} {name}{labels} == 0"
            for role, wanted in needed.items()
            for name, labels in wanted
            if total(s[role], name, **labels) <= 0
        ]
        sink_dead = total(s["sink"], "arbstream_dead_letters_total", stage="sink")
        if sink_dead <= sink_dead_before:
            missing.append(f"sink :{ports['sink']} dead letters {sink_dead} <= {sink_dead_before}")
        # consumer lag is reported by every consumer (a series each, also when 0)
        for role, group in (("sink", run.sink.group_id), ("streams", run.settings.app_id)):
            if not any(
                n == "arbstream_consumer_lag" and lb.get("group") == group for n, lb, _ in s[role]
            ):
                missing.append(f"{role} :{ports[role]} no arbstream_consumer_lag{{group={group}}}")
        return missing

    async def counts_match_topics() -> list[str]:
        s = await scrape_all()
        boot = run.settings.bootstrap_servers
        # events, not records: dex.events records are batches (less the undecodable one)
        events = sum(
            len(decode_batch(raw)) for raw in await read_topic(boot, topics.events) if raw != BAD
        )
        opps = len(await read_topic(boot, topics.opportunities))
        execs = len(await read_topic(boot, topics.executions))
        pairs = {
            f"ingest events out ({topics.events})": (
                total(s["ingest"], "arbstream_events_out_total", topic=topics.events),
                events,
            ),
            f"sink events in ({topics.events})": (
                total(s["sink"], "arbstream_events_in_total", topic=topics.events),
                events,
            ),
            "streams opportunities": (total(s["streams"], "arbstream_opportunities_total"), opps),
            "executor opportunities in": (
                total(s["executor"], "arbstream_events_in_total", topic=topics.opportunities),
                opps,
            ),
            "executor executions": (total(s["executor"], "arbstream_executions_total"), execs),
        }
        return [f"{k}: counter {c:.0f} != {n} records" for k, (c, n) in pairs.items() if c != n]

    try:
        await run.start()
        baseline = await asyncio.to_thread(scrape, ports["sink"])
        sink_dead_before = total(baseline, "arbstream_dead_letters_total", stage="sink")
        await run.producer.send_and_wait(topics.events, BAD, key=b"1:0xbad")
        await wait_until("non-zero counters on every endpoint", nonzero, run, WAIT_S)
        await run.stop_market()
        await wait_until("counters equal to the topics' records", counts_match_topics, run, WAIT_S)
    finally:
        await run.shutdown()


def sample(name: str, **labels: str) -> float:
    """A metric of this process's registry (0 when the series does not exist yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_ingest_counts_a_node_restart(stack: LocalStack, run_dir: Path, unique: str) -> None:
    """The node goes away under a live ingestor: an RPC error, a reconnect, then heads again."""
    settings = settings_for(stack, run_dir, unique)
    node = AnvilNode(RESTART_CHAIN, run_dir / unique, block_time=0.5)
    node.start()
    chain = ChainConfig(
        chain_id=RESTART_CHAIN,
        name="restart",
        ws_url=node.ws_url,
        http_url=node.http_url,
        weth="0x" + "11" * 20,
    )
    label = str(RESTART_CHAIN)
    blocks_out = {"topic": settings.topics.blocks, "chain": label}
    await ensure_topics(settings.bootstrap_servers, settings.topics)
    producer = make_producer(settings.bootstrap_servers)
    await producer.start()
    stop = asyncio.Event()
    task = asyncio.create_task(ChainIngestor(chain, producer, settings.topics).run(stop))
    try:
        await poll(lambda: sample("arbstream_head_block", chain=label) >= 2, "heads before", task)
        errors = sample("arbstream_rpc_errors_total", chain=label)
        assert sample("arbstream_ws_reconnects_total", chain=label) == 0
        node.stop()
        await poll(
            lambda: sample("arbstream_rpc_errors_total", chain=label) > errors, "an RPC error", task
        )
        before = sample("arbstream_events_out_total", **blocks_out)
        await asyncio.to_thread(node.start)  # same port, a fresh chain
        await poll(
            lambda: (
                sample("arbstream_ws_reconnects_total", chain=label) >= 1
                and sample("arbstream_events_out_total", **blocks_out) > before
            ),
            "a reconnect and new heads",
            task,
        )
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await producer.stop()
        node.stop()


async def poll(ok: Callable[[], bool], what: str, task: asyncio.Task[None]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not ok():
        if task.done():
            task.result()
            pytest.fail(f"ingestor stopped before {what}")
        if loop.time() > deadline:
            pytest.fail(f"no {what} after {WAIT_S:.0f}s")
        await asyncio.sleep(0.2)
