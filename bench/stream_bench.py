"""``make bench-stream``: the stream path through the real broker and Faust workers.

Starts its own tansu broker, writes a recorded input of V2 Syncs (random walks of pools of
many token pairs on two chains, a few dozen events per block) to ``dex.events`` framed as
the ingestor frames them (:mod:`arbstream.framing`), then runs ``arbstream worker streams``
processes on it:

- throughput: the whole input published first, then 1 and then 2 workers (one consumer
  group each) clear it; events/s from the workers' start to the group's committed offsets
  reaching the end of every partition, with worker and broker CPU per event;
- latency: one worker running, events published paced at the given rates with the ingest
  time stamped at publish; latency = each opportunity's ``detected_ts_ms`` minus its
  trigger event's ``event_ingest_ts_ms``, p50/p99 over the run and p50 per third of it (a
  latency that grows over the run shows the worker falling behind), and the baseline in
  the same run: the same paced input read by a plain aiokafka consumer with the same fetch
  wait (``broker_floor_*``: what the broker and the client cost without Faust);
- replays (``--replays N``, ``make bench-replays``): N more two-worker runs of the whole
  input, each of which must reach the end of every partition (no commit for
  :data:`STALL_S` seconds fails it as a stalled group) with no opportunity emitted twice.

Writes ``bench/stream_results.json`` and prints a table. Nothing passes or fails here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from arbstream.config import ChainConfig, Settings, TokenConfig, TopicsConfig, settings_to_json
from arbstream.framing import frame
from arbstream.localstack.broker import TansuBroker
from arbstream.localstack.process import ManagedProcess, ProcessGroup
from arbstream.log import ensure_topics
from arbstream.schemas import Opportunity, PoolEvent

HERE = Path(__file__).resolve().parent
CLK = os.sysconf("SC_CLK_TCK")
WETH = "0x" + "e" * 40


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


class Market:
    """Pools of ``pairs`` token pairs (two pools each, fees 30 and 25 bps) per chain. A
    pair's price takes a random walk; each step moves one pool to that price with a little
    noise of its own (so the two pools of a pair are dislocated beyond their fees now and
    then, as arbitrage-kept markets are), and is one Sync."""

    def __init__(self, pairs: int, seed: int) -> None:
        self.rng = random.Random(seed)
        tokens = [WETH] + [f"0x{i:040x}" for i in range(1, pairs + 1)]
        #: per pool: (the Sync's fixed fields, [depth], the pair's shared [price])
        self.pools: list[tuple[dict[str, Any], list[float], list[float]]] = []
        for chain in (1, 56):
            for i in range(pairs):
                t0, t1 = sorted((tokens[0] if i % 5 == 0 else tokens[i], tokens[i + 1]))
                price = [0.5 + self.rng.random() * 2]
                for k, fee in enumerate((30, 25)):
                    pool = f"0x{chain:04x}{i:030x}{k:06x}"
                    fixed = {"kind": "Sync", "chain_id": chain, "dex": f"dex{k}", "pool": pool}
                    fixed |= {"token0": t0, "token1": t1, "fee_bps": fee, "ingest_ts_ms": 0}
                    self.pools.append((fixed, [10**21 * (1 + self.rng.random())], price))
        self.block = 1_000_000
        self.log_index = 0

    def steps(self, n: int, per_block: int) -> Iterator[PoolEvent]:
        for _ in range(n):
            fixed, depth, price = self.rng.choice(self.pools)
            price[0] *= 1 + self.rng.gauss(0, 0.001)
            depth[0] *= 1 + self.rng.gauss(0, 0.0005)
            mine = price[0] * (1 + self.rng.gauss(0, 0.002))
            self.log_index += 1
            if self.log_index >= per_block:
                self.block, self.log_index = self.block + 1, 0
            b, i = self.block, self.log_index
            where: dict[str, Any] = {"block_number": b, "block_hash": f"0x{b:064x}", "log_index": i}
            where["tx_hash"] = f"0x{b:032x}{i:032x}"
            reserves: dict[str, Any] = {"reserve0": int(depth[0]), "reserve1": int(depth[0] * mine)}
            yield PoolEvent(**fixed, **where, **reserves)


def bench_settings(
    bootstrap: str, data_dir: Path, tag: str, partitions: int, fetch_wait_ms: int = 50
) -> Settings:
    chains = [
        ChainConfig(
            chain_id=cid,
            name=f"chain{cid}",
            ws_url="ws://127.0.0.1:1",
            http_url="http://127.0.0.1:1",
            weth=WETH,
            tokens=[TokenConfig(symbol="WETH", address=WETH, decimals=18, usd_price=3000.0)],
        )
        for cid in (1, 56)
    ]
    topics = TopicsConfig.prefixed(tag, partitions=partitions)
    return Settings(
        broker_url=f"kafka://{bootstrap}",
        app_id=f"bench-{tag}",
        data_dir=data_dir / tag,
        chains=chains,
        topics=topics,
        log_level="WARNING",
        fetch_max_wait_ms=fetch_wait_ms,
    )


def worker(settings: Settings, config: Path, index: int) -> ManagedProcess:
    log_path = settings.data_dir / f"worker-{index}.log"

    def ready() -> bool:
        try:
            return "[^Worker]: Ready" in log_path.read_text(errors="replace")
        except OSError:
            return False

    return ManagedProcess(
        f"worker[{index}]",
        [sys.executable, "-m", "arbstream", "--config", str(config), "worker", "streams"],
        ready=ready,
        log_path=log_path,
        # no metrics exporter: two workers on one host would want the same port
        env={"PYTHONUNBUFFERED": "1", "ARBSTREAM_LOG_LEVEL": "INFO", "ARBSTREAM_METRICS_PORT": "0"},
        ready_timeout=120.0,
    )


async def publish(
    producer: AIOKafkaProducer,
    topic: str,
    events: list[PoolEvent],
    partitions: int,
    ends: dict[int, int] | None = None,
) -> None:
    """Publish ``events`` framed; ``ends`` gets each partition's end offset from the
    broker's acknowledgements (tansu's own end offsets lag: see ``streams.tables``)."""
    sent = [
        await producer.send(topic, value, key=key, partition=part)
        for part, key, value in frame(events, partitions)
    ]
    for meta in await asyncio.gather(*sent):
        if ends is not None:
            ends[meta.partition] = max(ends.get(meta.partition, 0), meta.offset + 1)


async def behind(bootstrap: str, group: str, topic: str, ends: dict[int, int]) -> int:
    """Events-topic records the group has not committed yet (0: it reached every end)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        left = 0
        for part, end in ends.items():
            got = await consumer.committed(TopicPartition(topic, part))
            left += end - min(got or 0, end)
        return left
    finally:
        await consumer.stop()


#: seconds without a commit before a run counts as a stalled group
STALL_S = 120.0


async def read_opportunities(bootstrap: str, topic: str, partitions: int) -> list[Opportunity]:
    """Every record of ``topic``: read until two fetches in a row bring nothing (tansu's end
    offsets lag behind the last produce batch, so they cannot say where the topic ends)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        out: list[Opportunity] = []
        empty = 0
        while empty < 2:
            got = await consumer.getmany(timeout_ms=1000)
            empty = 0 if got else empty + 1
            for msgs in got.values():
                out += [Opportunity.from_json(m.value or b"") for m in msgs]
        return out
    finally:
        await consumer.stop()


async def prepare(
    broker: TansuBroker, root: Path, tag: str, args: argparse.Namespace
) -> tuple[Settings, Path]:
    """Settings of one run (topics of its own, created) and the config file workers read."""
    settings = bench_settings(broker.bootstrap, root, tag, args.partitions, args.fetch_wait_ms)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    config = settings.data_dir / "config.json"
    config.write_text(settings_to_json(settings))
    await ensure_topics(settings.bootstrap_servers, settings.topics)
    return settings, config


async def throughput(
    broker: TansuBroker, root: Path, events: list[PoolEvent], workers: int, args: argparse.Namespace
) -> dict[str, Any]:
    partitions = args.partitions
    settings, config = await prepare(broker, root, f"tp{workers}x{int(time.time())}", args)
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", linger_ms=5)
    await producer.start()
    ends: dict[int, int] = {}
    try:
        for lo in range(0, len(events), 5_000):
            chunk = events[lo : lo + 5_000]
            await publish(producer, settings.topics.events, chunk, partitions, ends)
    finally:
        await producer.stop()
    with ProcessGroup() as group:
        procs = [group.spawn(worker(settings, config, i)) for i in range(workers)]
        await asyncio.gather(*(asyncio.to_thread(p.wait_ready) for p in procs))
        assert broker.proc is not None
        pids = [p.proc.pid for p in procs if p.proc is not None]
        cpu0 = [cpu_seconds(pid) for pid in pids]
        broker0 = cpu_seconds(broker.proc.pid)
        t0 = last_progress = time.monotonic()
        left = sum(ends.values())
        while left:
            now_left = await behind(broker.bootstrap, settings.app_id, settings.topics.events, ends)
            if now_left < left:
                left, last_progress = now_left, time.monotonic()
            for p in procs:
                if not p.alive():
                    raise RuntimeError(f"{p.name} died:\n{p.log_tail()}")
            if left and time.monotonic() - last_progress > STALL_S:
                raise RuntimeError(
                    f"stalled group: no commit for {STALL_S:.0f} s, {left} records short of "
                    f"the end (worker logs in {settings.data_dir})"
                )
            await asyncio.sleep(0.25)
        elapsed = time.monotonic() - t0
        cpu = sum(cpu_seconds(pid) - c for pid, c in zip(pids, cpu0, strict=True))
        broker_cpu = cpu_seconds(broker.proc.pid) - broker0
    opps = await read_opportunities(broker.bootstrap, settings.topics.opportunities, partitions)
    counts = Counter(o.identity() for o in opps)
    return {
        "workers": workers,
        "events": len(events),
        "seconds": round(elapsed, 2),
        "events_per_s": round(len(events) / elapsed),
        "worker_cpu_us_per_event": round(cpu / len(events) * 1e6, 1),
        "broker_cpu_us_per_event": round(broker_cpu / len(events) * 1e6, 1),
        "opportunities": len(opps),
        "emitted_twice": sum(n - 1 for n in counts.values()),
        "identities": set(counts),
    }


async def replays(
    broker: TansuBroker, root: Path, events: list[PoolEvent], args: argparse.Namespace
) -> dict[str, Any]:
    """``--replays`` two-worker runs of the whole input: each must reach the end of every
    partition (a run that stops committing for :data:`STALL_S` fails as a stalled group) and
    emit each opportunity once; the runs' sets of opportunities are compared."""
    runs = []
    for i in range(args.replays):
        row = await throughput(broker, root, events, 2, args)
        print(
            f"  replay {i + 1}/{args.replays}: end reached in {row['seconds']} s, "
            f"{row['opportunities']} opportunities, {row['emitted_twice']} emitted twice",
            flush=True,
        )
        runs.append(row)
    sets = [r.pop("identities") for r in runs]
    return {
        "runs": len(runs),
        "reached_end": len(runs),
        "emitted_twice": [r["emitted_twice"] for r in runs],
        "opportunities": [r["opportunities"] for r in runs],
        "events_per_s": [r["events_per_s"] for r in runs],
        # opportunities whose gas price comes from another partition's pool (the native
        # price) may differ with the workers' timing: say how many, do not hide it
        "differing_from_first": [len(sets[0] ^ other) for other in sets[1:]],
    }


async def paced(
    producer: AIOKafkaProducer,
    topic: str,
    market: Market,
    rate: int,
    args: argparse.Namespace,
) -> tuple[int, float]:
    """Publish ``rate`` events/s for ``args.seconds`` as an ingestor would (one flush per
    block, ``args.blocks_per_s`` blocks a second, the ingest time stamped at the flush);
    returns (events sent, the rate achieved)."""
    tick = 1.0 / args.blocks_per_s
    per_tick = max(1, round(rate * tick))
    sent = 0
    t0 = time.monotonic()
    for i in range(int(args.seconds / tick)):
        now_ms = time.time_ns() // 1_000_000
        batch = [
            PoolEvent(**{**e.to_dict(), "ingest_ts_ms": now_ms})
            for e in market.steps(per_tick, per_block=per_tick)
        ]
        await publish(producer, topic, batch, args.partitions)
        sent += len(batch)
        delay = t0 + (i + 1) * tick - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
    return sent, sent / (time.monotonic() - t0)


def pct(xs: list[float], q: float) -> float:
    return round(statistics.quantiles(xs, n=100)[int(q) - 1], 1) if len(xs) > 2 else 0.0


async def broker_floor(
    broker: TansuBroker, root: Path, market: Market, rate: int, args: argparse.Namespace
) -> dict[str, Any]:
    """The baseline of :func:`latency` in the same run: the same paced input read by a plain
    aiokafka consumer (no Faust, no detector) with the workers' fetch wait; a record's
    latency is its arrival minus its create time (stamped at the flush, as ``ingest_ts_ms``
    is). What the broker and the client alone cost."""
    settings, _ = await prepare(broker, root, f"floor{rate}x{int(time.time())}", args)
    tps = [TopicPartition(settings.topics.events, p) for p in range(args.partitions)]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=broker.bootstrap,
        enable_auto_commit=False,
        fetch_max_wait_ms=args.fetch_wait_ms,
    )
    await consumer.start()
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    ages: list[float] = []

    async def read() -> None:
        while True:
            got = await consumer.getmany(timeout_ms=1000)
            now_ms = time.time() * 1000
            ages.extend(now_ms - m.timestamp for msgs in got.values() for m in msgs)

    reader = asyncio.create_task(read())
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", linger_ms=0)
    await producer.start()
    try:
        await paced(producer, settings.topics.events, market, rate, args)
        await asyncio.sleep(1.0)
    finally:
        reader.cancel()
        await producer.stop()
        await consumer.stop()
    return {"rate": rate, "records": len(ages), "p50_ms": pct(ages, 50), "p99_ms": pct(ages, 99)}


async def latency(
    broker: TansuBroker, root: Path, market: Market, rate: int, args: argparse.Namespace
) -> dict[str, Any]:
    partitions = args.partitions
    settings, config = await prepare(broker, root, f"lat{rate}x{int(time.time())}", args)
    with ProcessGroup() as group:
        proc = group.start(worker(settings, config, 0))
        assert proc.proc is not None and broker.proc is not None
        cpu0, broker0 = cpu_seconds(proc.proc.pid), cpu_seconds(broker.proc.pid)
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", linger_ms=0)
        await producer.start()
        try:
            sent, achieved = await paced(producer, settings.topics.events, market, rate, args)
        finally:
            await producer.stop()
        await asyncio.sleep(3.0)  # let the worker finish the tail
        cpu = cpu_seconds(proc.proc.pid) - cpu0
        broker_cpu = cpu_seconds(broker.proc.pid) - broker0
    opps = await read_opportunities(broker.bootstrap, settings.topics.opportunities, partitions)
    opps.sort(key=lambda o: o.event_ingest_ts_ms)
    lat = [float(o.detected_ts_ms - o.event_ingest_ts_ms) for o in opps]
    thirds = [lat[i * len(lat) // 3 : (i + 1) * len(lat) // 3] for i in range(3)]
    floor = await broker_floor(broker, root, market, rate, args)

    return {
        "rate": rate,
        "achieved_rate": round(achieved),
        "events": sent,
        "opportunities": len(opps),
        "p50_ms": pct(lat, 50),
        "p99_ms": pct(lat, 99),
        "broker_floor_p50_ms": floor["p50_ms"],
        "broker_floor_p99_ms": floor["p99_ms"],
        "p50_by_third_ms": [pct(t, 50) for t in thirds],
        "p99_by_third_ms": [pct(t, 99) for t in thirds],
        "max_ms": max(lat, default=0.0),
        "worker_cpu_us_per_event": round(cpu / sent * 1e6, 1),
        "broker_cpu_us_per_event": round(broker_cpu / sent * 1e6, 1),
    }


async def broker_idle(broker: TansuBroker, root: Path, args: argparse.Namespace) -> float:
    """The broker's CPU (% of a core) over 10 s with one worker connected and no input:
    the cost of the workers' fetch polling at ``--fetch-wait-ms``."""
    settings, config = await prepare(broker, root, f"idle{int(time.time())}", args)
    assert broker.proc is not None
    with ProcessGroup() as group:
        group.start(worker(settings, config, 0))
        await asyncio.sleep(3.0)
        idle0 = cpu_seconds(broker.proc.pid)
        await asyncio.sleep(10.0)
        return round((cpu_seconds(broker.proc.pid) - idle0) / 10 * 100, 1)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="arbstream-stream-bench-"))
    print(f"stream bench: {args.events:,} events, {args.pairs} pairs x 2 pools x 2 chains")
    t0 = time.monotonic()
    market = Market(args.pairs, seed=7)
    events = list(market.steps(args.events, per_block=args.per_block))
    print(f"  input generated in {time.monotonic() - t0:.1f}s")
    results: dict[str, Any] = {"events": args.events, "pairs": args.pairs, "throughput": []}
    with ProcessGroup() as group:
        broker = group.start(TansuBroker(root))
        assert isinstance(broker, TansuBroker)
        for n in args.workers:
            row = await throughput(broker, root, events, n, args)
            row.pop("identities")
            print(f"  throughput, {n} worker(s): {row}", flush=True)
            results["throughput"].append(row)
        if args.replays:
            results["replays"] = await replays(broker, root, events, args)
            print(f"  two-worker replays: {results['replays']}", flush=True)
        results["latency"] = []
        for rate in args.rates:
            row = await latency(broker, root, market, rate, args)
            print(f"  latency at {rate}/s: {row}", flush=True)
            results["latency"].append(row)
        if args.rates:  # with the latency runs (not in a replays-only run)
            results["broker_idle_cpu_pct"] = await broker_idle(broker, root, args)
            print(f"  broker CPU with one idle worker: {results['broker_idle_cpu_pct']} %")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--per-block", type=int, default=200)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--rates", type=int, nargs="*", default=[1000, 5000])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--blocks-per-s",
        type=float,
        default=20.0,
        help="paced runs: ingestor flushes (blocks) per second; five chains make ~7",
    )
    parser.add_argument(
        "--fetch-wait-ms",
        type=int,
        default=Settings().fetch_max_wait_ms,
        help="workers' fetch wait",
    )
    parser.add_argument(
        "--replays",
        type=int,
        default=0,
        help="two-worker runs of the whole input, each checked to reach the end and to emit "
        "each opportunity once (make bench-replays: 10)",
    )
    parser.add_argument("--out", default=str(HERE / "stream_results.json"))
    args = parser.parse_args()
    results = asyncio.run(main_async(args))
    Path(args.out).write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
