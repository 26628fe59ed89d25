"""One run of the whole pipeline on a local stack: workers, ingestors, market, sink.

Shared by ``arbstream demo`` and the end-to-end test so both exercise the same wiring.
Every process of the run exports Prometheus metrics on a port of one free block
(``metrics_ports``: the ingestors and the sink run in this process, on the ``ingest`` and
``sink`` ports of one registry; each worker on its own role's port).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from clickhouse_connect.driver.client import Client
from web3 import AsyncHTTPProvider, AsyncWeb3

from arbstream import metrics
from arbstream.abi import ERC20_ABI
from arbstream.analytics.clickhouse import connect
from arbstream.analytics.sink import ClickHouseSink
from arbstream.config import METRICS_ROLE_OFFSETS, Settings, settings_to_json
from arbstream.errors import RuntimeStackError
from arbstream.ingest.ingestor import ChainIngestor
from arbstream.localstack.deploy import dev_account, dev_traders
from arbstream.localstack.market import MarketSimulator
from arbstream.localstack.market_spec import DeployedMarket
from arbstream.localstack.process import ManagedProcess
from arbstream.localstack.stack import LocalStack
from arbstream.localstack.workers import executor_env, free_port_block, worker_process
from arbstream.log import ensure_topics, make_producer

log = logging.getLogger(__name__)

#: a generous bound on the wait for the pipeline to settle once the market stops
SETTLE_TIMEOUT_S = 120.0
#: how often the settle conditions are polled
SETTLE_POLL_S = 0.5


async def contract_balances(w3: AsyncWeb3, market: DeployedMarket) -> dict[str, int]:
    """The arbitrage contract's balance of every market token (lowercase address -> units)."""
    holder = AsyncWeb3.to_checksum_address(market.arb_contract)
    out = {}
    for token in market.tokens.values():
        erc20 = w3.eth.contract(address=AsyncWeb3.to_checksum_address(token.address), abi=ERC20_ABI)
        out[token.address.lower()] = int(await erc20.functions.balanceOf(holder).call())
    return out


def _without_execution(client: Client, database: str) -> tuple[int, list[str]]:
    """How many opportunities in ClickHouse have no execution record, and a few of their ids."""
    rows = client.query(
        f"SELECT count(), groupArray(3)(id) FROM `{database}`.`opportunities` FINAL "
        f"WHERE id NOT IN (SELECT opportunity_id FROM `{database}`.`executions`)"
    ).result_rows
    return int(rows[0][0]), list(rows[0][1])


class _GroupOffsets:
    """A consumer group's committed offsets against the topics' end offsets. The observer
    consumer carries the group id but never subscribes, so it never joins the group."""

    def __init__(self, settings: Settings, group_id: str) -> None:
        self.partitions = settings.topics.partitions
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers,
            group_id=group_id,
            enable_auto_commit=False,
        )

    async def __aenter__(self) -> _GroupOffsets:
        await self.consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()

    async def lag(self, topics: list[str]) -> int:
        """Records on ``topics`` past the group's committed offsets."""
        parts = [TopicPartition(t, p) for t in topics for p in range(self.partitions)]
        ends = await self.consumer.end_offsets(parts)
        lag = 0
        for tp in parts:
            lag += max(0, ends[tp] - (await self.consumer.committed(tp) or 0))
        return lag


@dataclasses.dataclass
class _Settle:
    """State of one wait for the pipeline to settle."""

    streams: _GroupOffsets
    sink: _GroupOffsets
    #: chain id -> (senders' latest nonces, block number) when the chain was first seen quiet
    quiet: dict[int, tuple[list[int], int]] = dataclasses.field(default_factory=dict)


class PipelineRun:
    """Start with :meth:`start`, let the market trade, then :meth:`finish`."""

    def __init__(self, stack: LocalStack, settings: Settings, *, seed: int = 7) -> None:
        self.stack = stack
        if settings.metrics_port:  # 0 keeps the exporters off
            settings = settings.model_copy(update={"metrics_port": free_port_block()})
        self.settings = settings
        #: process role -> port its metrics are served on (0: disabled)
        self.metrics_ports = {r: settings.metrics_port_of(r) for r in METRICS_ROLE_OFFSETS}
        self._exporters: list[metrics.Exporter] = []
        self.seed = seed
        self.config_file: Path = settings.data_dir / "config.json"
        self.workers: list[ManagedProcess] = []
        self.w3s = {
            c: AsyncWeb3(AsyncHTTPProvider(stack.nodes[c].http_url, request_kwargs={"timeout": 30}))
            for c in stack.chain_ids
        }
        self.sink = ClickHouseSink(settings, connect(settings.clickhouse_dsn))
        self.producer = make_producer(settings.bootstrap_servers)
        self.ingestors = [ChainIngestor(c, self.producer, settings.topics) for c in settings.chains]
        self.simulators = [
            MarketSimulator(self.w3s[c], stack.markets[c], dev_traders(), seed=seed + c)
            for c in stack.chain_ids
        ]
        self.balances_before: dict[int, dict[str, int]] = {}
        self.balances_after: dict[int, dict[str, int]] = {}
        self._stop = asyncio.Event()
        self._market_stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._market_tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Topics, both Faust workers (ready), sink, ingestors and the market simulator."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        for role in ("ingest", "sink"):  # in this process; the workers start their own
            exporter = metrics.start_exporter(self.metrics_ports[role], addr="127.0.0.1")
            if exporter is not None:
                self._exporters.append(exporter)
        self.config_file.write_text(settings_to_json(self.settings))  # no secrets in the file
        await ensure_topics(self.settings.bootstrap_servers, self.settings.topics)
        self.workers = [
            worker_process("streams", self.config_file, self.settings),
            worker_process(
                "executor",
                self.config_file,
                self.settings,
                env=executor_env(dev_account(0).key.hex()),
            ),
        ]
        # spawned from this thread, then waited on in parallel until Faust says it is ready
        for proc in self.workers:
            self.stack.group.spawn(proc)
        await asyncio.gather(*(asyncio.to_thread(p.wait_ready) for p in self.workers))
        await self.sink.start()
        await self.producer.start()
        for c in self.stack.chain_ids:
            self.balances_before[c] = await contract_balances(self.w3s[c], self.stack.markets[c])
        self._tasks = [asyncio.create_task(i.run(self._stop)) for i in self.ingestors]
        self._market_tasks = [
            asyncio.create_task(s.run(self._market_stop)) for s in self.simulators
        ]
        self._tasks += self._market_tasks
        self._tasks.append(asyncio.create_task(self.sink.run(self._stop)))

    def check_alive(self) -> None:
        """Raise if a background task or a worker died."""
        for task in self._tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        for proc in self.workers:
            if not proc.alive():
                raise RuntimeError(f"{proc.name} died; last log lines:\n{proc.log_tail()}")

    async def stop_market(self) -> None:
        self._market_stop.set()

    async def finish(self, drain_s: float = SETTLE_TIMEOUT_S, *, strict: bool = False) -> list[str]:
        """Stop the market, wait until the pipeline has settled, stop everything, drain the sink.

        Settled: no market or executor transaction is pending on
        any chain, the ingestors have seen the block after the last one with a transaction, the
        stream worker has consumed every pool event, the sink has stored every opportunity, and
        every opportunity has its execution record in ClickHouse. ``drain_s`` only bounds the
        wait (the run moves on as soon as it has settled). Past it, what is still missing is
        logged, or raised as :class:`RuntimeStackError` when ``strict``; it is returned either
        way (empty when the run settled).
        """
        self._market_stop.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + drain_s
        if self._market_tasks:  # the simulators return after collecting their last receipts
            await asyncio.wait(self._market_tasks, timeout=drain_s)
        async with (
            _GroupOffsets(self.settings, self.settings.app_id) as streams,
            _GroupOffsets(self.settings, self.sink.group_id) as sink,
        ):
            settle = _Settle(streams, sink)
            while missing := await self._unsettled(settle):
                log.debug("pipeline settling: %s", "; ".join(missing))
                self.check_alive()
                if loop.time() >= deadline:
                    break
                await asyncio.sleep(SETTLE_POLL_S)
        settle_s = drain_s - (deadline - loop.time())
        await self.close()
        await self.sink.drain()
        for c in self.stack.chain_ids:
            self.balances_after[c] = await contract_balances(self.w3s[c], self.stack.markets[c])
        if missing:
            message = f"pipeline not settled after {drain_s:.0f}s: " + "; ".join(missing)
            if strict:
                raise RuntimeStackError(message)
            log.warning("%s", message)
        else:
            log.info(
                "pipeline settled %.1fs after the market stopped: every opportunity has its "
                "execution record, no transaction is pending",
                settle_s,
            )
        return missing

    async def _unsettled(self, settle: _Settle) -> list[str]:
        """What still keeps the run from having settled, in data-flow order (empty if nothing)."""
        missing: list[str] = []
        senders = [("executor", dev_account(0).address)]
        senders += [(f"trader {t.address}", t.address) for t in dev_traders()]
        next_block = 1 if self.stack.block_time else 0  # logs of block N arrive before N + 1
        for ingestor in self.ingestors:
            cid = ingestor.chain.chain_id
            w3 = self.w3s[cid]
            latest = [int(await w3.eth.get_transaction_count(a, "latest")) for _, a in senders]
            for (who, address), nonce in zip(senders, latest, strict=True):
                pending = await w3.eth.get_transaction_count(address, "pending")
                if pending != nonce:
                    missing.append(f"chain {cid}: {pending - nonce} {who} transaction(s) pending")
            if missing:
                settle.quiet.pop(cid, None)
                continue
            if settle.quiet.get(cid, (None, 0))[0] != latest:  # new transactions since
                settle.quiet[cid] = (latest, int(await w3.eth.block_number))
            head = settle.quiet[cid][1] + next_block
            if ingestor.stats.last_block < head:
                missing.append(
                    f"chain {cid}: ingested up to block {ingestor.stats.last_block} of {head}"
                )
        if missing:
            return missing
        topics = self.settings.topics
        lag = await settle.streams.lag([topics.events])
        if lag:
            return [f"stream worker: {lag} pool event(s) not consumed"]
        lag = await settle.sink.lag([topics.opportunities, topics.executions])
        if lag:
            return [f"sink: {lag} opportunity/execution record(s) not in ClickHouse"]
        count, examples = await asyncio.to_thread(
            _without_execution, self.sink.client, self.settings.clickhouse_database
        )
        if count:
            return [f"{count} opportunity(ies) without an execution record, e.g. {examples}"]
        return []

    async def close(self) -> None:
        """Stop the background tasks and workers (idempotent)."""
        self._market_stop.set()
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                await asyncio.wait_for(task, 15)
        self._tasks = []
        with contextlib.suppress(Exception):
            await self.producer.stop()
        for proc in reversed(self.workers):
            proc.stop()
            with contextlib.suppress(ValueError):
                self.stack.group.members.remove(proc)

    async def shutdown(self) -> None:
        """Everything, including the sink consumer (after ``finish`` or on failure)."""
        await self.close()
        await self.sink.stop()
        for exporter in self._exporters:
            exporter.stop()
        self._exporters = []
        self.sink.client.close()  # chDB: one path per process at a time
        for w3 in self.w3s.values():
            await w3.provider.disconnect()
