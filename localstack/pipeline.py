"""One run of the whole pipeline on a local stack: workers, ingestors, market, sink.

Shared by ``arbstream demo`` and the end-to-end test so both exercise the same wiring.
Every process of the run exports Prometheus metrics on a port of one free block
(``metrics_ports``: the ingestors and the sink run in this process, on the ``ingest`` and
``sink`` ports of one registry; each worker on its own role's port).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from web3 import AsyncHTTPProvider, AsyncWeb3

from arbstream import metrics
from arbstream.abi import ERC20_ABI
from arbstream.analytics.clickhouse import connect
from arbstream.analytics.sink import ClickHouseSink
from arbstream.config import METRICS_ROLE_OFFSETS, Settings, settings_to_json
from arbstream.ingest.ingestor import ChainIngestor
from arbstream.localstack.deploy import dev_account, dev_traders
from arbstream.localstack.market import MarketSimulator
from arbstream.localstack.market_spec import DeployedMarket
from arbstream.localstack.process import ManagedProcess
from arbstream.localstack.stack import LocalStack
from arbstream.localstack.workers import executor_env, free_port_block, worker_process
from arbstream.log import ensure_topics, make_producer

log = logging.getLogger(__name__)


async def contract_balances(w3: AsyncWeb3, market: DeployedMarket) -> dict[str, int]:
    """The arbitrage contract's balance of every market token (lowercase address -> units)."""
    holder = AsyncWeb3.to_checksum_address(market.arb_contract)
    out = {}
    for token in market.tokens.values():
        erc20 = w3.eth.contract(address=AsyncWeb3.to_checksum_address(token.address), abi=ERC20_ABI)
        out[token.address.lower()] = int(await erc20.functions.balanceOf(holder).call())
    return out


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
        self._tasks += [asyncio.create_task(s.run(self._market_stop)) for s in self.simulators]
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

    async def finish(self, drain_s: float = 12.0) -> None:
        """Stop the market, let in-flight opportunities settle, stop everything, drain the sink."""
        self._market_stop.set()
        await asyncio.sleep(drain_s)
        await self.close()
        await self.sink.drain()
        for c in self.stack.chain_ids:
            self.balances_after[c] = await contract_balances(self.w3s[c], self.stack.markets[c])

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
