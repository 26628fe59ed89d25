"""``arbstream demo``: the whole pipeline on the embedded local stack.

Starts the tansu broker, one Anvil chain per chain id with two Uniswap-V2 DEXes and a
FlashArb contract deployed, the stream worker and the executor worker (armed with the
local chain's dev key), the ingestors, the market simulator and the ClickHouse sink
(chDB); shows progress; after the run it drains the pipeline, prints a summary and checks
the realized profit against the contract's on-chain balance change, token by token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from web3 import AsyncHTTPProvider, AsyncWeb3

from arbstream.config import Settings, settings_to_json
from arbstream.contracts.abi import ERC20_ABI
from arbstream.ingest.ingestor import ChainIngestor
from arbstream.log import ensure_topics, make_producer
from arbstream.runtime.stack import LocalStack
from arbstream.sim.deploy import dev_account, dev_traders
from arbstream.sim.market import MarketSimulator
from arbstream.sim.market_spec import DeployedMarket
from arbstream.sink.clickhouse import connect
from arbstream.sink.consumer import ClickHouseSink
from arbstream.summary import (
    ChainSummary,
    TokenProfit,
    counts_by_chain,
    format_table,
    realized_by_token,
    to_json_dict,
)
from arbstream.workers import executor_env, worker_process

log = logging.getLogger(__name__)

#: seconds to let in-flight opportunities finish after the market stops
DRAIN_S = 12.0


@dataclass(frozen=True)
class DemoOptions:
    duration_s: float = 90.0
    chain_ids: tuple[int, ...] = (1, 56)
    summary_path: Path | None = None
    data_dir: Path | None = None
    seed: int = 7
    progress_every_s: float = 10.0


async def contract_balances(w3: AsyncWeb3, market: DeployedMarket) -> dict[str, int]:
    """The arbitrage contract's balance of every market token."""
    holder = AsyncWeb3.to_checksum_address(market.arb_contract)
    out = {}
    for token in market.tokens.values():
        erc20 = w3.eth.contract(address=AsyncWeb3.to_checksum_address(token.address), abi=ERC20_ABI)
        out[token.address.lower()] = int(await erc20.functions.balanceOf(holder).call())
    return out


class Demo:
    def __init__(self, base: Settings, opts: DemoOptions) -> None:
        run_dir = opts.data_dir or Path(".arbstream") / f"demo-{time.strftime('%Y%m%d-%H%M%S')}"
        self.run_dir = run_dir.resolve()
        self.opts = opts
        self.base = base.model_copy(
            update={"data_dir": self.run_dir, "clickhouse_dsn": f"chdb://{self.run_dir / 'chdb'}"}
        )
        self.stack = LocalStack(self.run_dir, opts.chain_ids)

    async def run(self) -> int:
        started = time.monotonic()
        print(f"arbstream demo: run folder {self.run_dir}", flush=True)
        self.stack.start_processes()
        try:
            return await self._run(started)
        finally:
            self.stack.close()

    async def _run(self, started: float) -> int:
        stack = self.stack
        print(
            f"  broker {stack.broker.bootstrap if stack.broker else '?'}; chains "
            + ", ".join(f"{c}@{n.http_url}" for c, n in stack.nodes.items()),
            flush=True,
        )
        await stack.deploy()
        settings = stack.settings(self.base)
        config_file = self.run_dir / "config.json"
        config_file.write_text(settings_to_json(settings))  # no secrets in the file
        print(
            f"  markets deployed ({time.monotonic() - started:.0f}s); config {config_file}",
            flush=True,
        )
        await ensure_topics(settings.bootstrap_servers, settings.topics)

        workers = [
            worker_process("streams", config_file, settings),
            worker_process(
                "executor", config_file, settings, env=executor_env(dev_account(0).key.hex())
            ),
        ]
        # started in parallel, each waited on until Faust says it is ready
        await asyncio.gather(*(asyncio.to_thread(stack.group.start, p) for p in workers))
        print(f"  stream worker and executor ready ({time.monotonic() - started:.0f}s)", flush=True)

        sink = ClickHouseSink(settings, connect(settings.clickhouse_dsn))
        await sink.start()
        producer = make_producer(settings.bootstrap_servers)
        await producer.start()
        w3s = {
            c: AsyncWeb3(AsyncHTTPProvider(stack.nodes[c].http_url, request_kwargs={"timeout": 30}))
            for c in stack.chain_ids
        }
        before = {c: await contract_balances(w3s[c], stack.markets[c]) for c in stack.chain_ids}
        stop, market_stop = asyncio.Event(), asyncio.Event()
        ingestors = [ChainIngestor(c, producer, settings.topics) for c in settings.chains]
        traders = dev_traders()
        sims = [
            MarketSimulator(w3s[c], stack.markets[c], traders, seed=self.opts.seed + c)
            for c in stack.chain_ids
        ]
        tasks = [asyncio.create_task(i.run(stop)) for i in ingestors]
        tasks += [asyncio.create_task(s.run(market_stop)) for s in sims]
        tasks.append(asyncio.create_task(sink.run(stop)))
        try:
            t0 = time.monotonic()
            while (elapsed := time.monotonic() - t0) < self.opts.duration_s:
                await asyncio.sleep(min(self.opts.progress_every_s, self.opts.duration_s - elapsed))
                await self._progress(sink, settings, time.monotonic() - t0)
                for t in tasks:
                    if t.done() and t.exception():
                        raise t.exception()  # type: ignore[misc]
            market_stop.set()
            print(f"  market stopped; draining the pipeline ({DRAIN_S:.0f}s)", flush=True)
            await asyncio.sleep(DRAIN_S)
        finally:
            market_stop.set()
            stop.set()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(t, 15)
            await producer.stop()
        for proc in reversed(workers):
            proc.stop()
        await sink.drain()
        after = {c: await contract_balances(w3s[c], stack.markets[c]) for c in stack.chain_ids}
        await sink.stop()
        return self._summarize(sink, settings, before, after, time.monotonic() - started)

    async def _progress(self, sink: ClickHouseSink, settings: Settings, elapsed: float) -> None:
        counts = await asyncio.to_thread(counts_by_chain, sink.client, settings.clickhouse_database)
        parts = []
        for chain in settings.chains:
            c = counts.get(chain.chain_id, {})
            parts.append(
                f"{chain.name}: blocks {c.get('blocks', 0)} events {c.get('events', 0)} "
                f"opps {c.get('opportunities', 0)} exec {c.get('executions_succeeded', 0)}/"
                f"{c.get('executions_sent', 0)} ${c.get('realized_profit_usd', 0.0):.2f}"
            )
        print(f"  [{elapsed:5.0f}s] " + " | ".join(parts), flush=True)

    def _summarize(
        self,
        sink: ClickHouseSink,
        settings: Settings,
        before: dict[int, dict[str, int]],
        after: dict[int, dict[str, int]],
        wall_s: float,
    ) -> int:
        db = settings.clickhouse_database
        counts = counts_by_chain(sink.client, db)
        realized = realized_by_token(sink.client, db)
        chains = []
        for chain in settings.chains:
            cid = chain.chain_id
            c = counts.get(cid, {})
            summary = ChainSummary(
                chain_id=cid,
                name=chain.name,
                **{k: v for k, v in c.items() if k in ChainSummary.__dataclass_fields__},
            )
            summary.median_latency_ms = float(c.get("median_latency_ms", 0.0) or 0.0)
            summary.gas_spent_wei = int(c.get("gas_spent_wei", 0))
            for token in chain.tokens:
                got = realized.get((cid, token.address), 0)
                delta = after[cid][token.address] - before[cid][token.address]
                if got or delta:
                    summary.profits.append(
                        TokenProfit(
                            token.symbol, token.address, token.decimals, got, delta, got == delta
                        )
                    )
            chains.append(summary)
        print("\narbstream demo summary")
        print(format_table(chains))
        latencies = [c.median_latency_ms for c in chains if c.opportunities]
        if latencies:
            print(f"median detection latency: {statistics.median(latencies):.1f} ms")
        ok = all(c.profit_matches for c in chains)
        print(
            "realized profit == on-chain balance change: "
            + ("yes, exactly, for every chain and token" if ok else "NO (see MISMATCH above)")
        )
        print(f"wall time {wall_s:.0f}s; data in {self.run_dir}")
        if self.opts.summary_path:
            self.opts.summary_path.parent.mkdir(parents=True, exist_ok=True)
            self.opts.summary_path.write_text(
                json.dumps(
                    to_json_dict(
                        chains, duration_s=self.opts.duration_s, wall_s=wall_s, profit_matches=ok
                    ),
                    indent=2,
                    default=str,
                )
            )
        return 0 if ok else 1


async def run_demo(base: Settings, opts: DemoOptions) -> int:
    return await Demo(base, opts).run()
