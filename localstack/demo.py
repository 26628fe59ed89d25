"""``arbstream demo``: the whole pipeline on the embedded local stack.

Starts the tansu broker, one Anvil chain per chain id with two Uniswap-V2 DEXes and a
FlashArb contract deployed, the stream worker and the executor worker (armed with the
local chain's dev key), the ingestors, the market simulator and the ClickHouse sink
(chDB); shows progress; after the run it drains the pipeline, prints a summary and checks
the realized profit against the contract's on-chain balance change, token by token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from arbstream.analytics.sink import ClickHouseSink
from arbstream.analytics.summary import (
    ChainSummary,
    TokenProfit,
    counts_by_chain,
    format_table,
    realized_by_token,
    to_json_dict,
)
from arbstream.config import Settings
from arbstream.localstack.pipeline import PipelineRun
from arbstream.localstack.stack import LocalStack

log = logging.getLogger(__name__)

#: longest wait for the pipeline to settle after the market stops (it moves on as soon as
#: every opportunity has its execution record and no transaction is pending)
DRAIN_S = 60.0


@dataclass(frozen=True)
class DemoOptions:
    duration_s: float = 90.0
    chain_ids: tuple[int, ...] = (1, 56)
    summary_path: Path | None = None
    data_dir: Path | None = None
    seed: int = 7
    progress_every_s: float = 10.0


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
        print(f"  markets deployed ({time.monotonic() - started:.0f}s)", flush=True)
        run = PipelineRun(stack, settings, seed=self.opts.seed)
        try:
            await run.start()
            print(
                f"  stream worker and executor ready ({time.monotonic() - started:.0f}s); "
                f"market running for {self.opts.duration_s:.0f}s",
                flush=True,
            )
            t0 = time.monotonic()
            while (elapsed := time.monotonic() - t0) < self.opts.duration_s:
                await asyncio.sleep(min(self.opts.progress_every_s, self.opts.duration_s - elapsed))
                run.check_alive()
                await self._progress(run.sink, settings, time.monotonic() - t0)
            print(
                f"  market stopped; waiting for the pipeline to settle (at most {DRAIN_S:.0f}s)",
                flush=True,
            )
            unsettled = await run.finish(DRAIN_S)
            if unsettled:
                print("  not settled: " + "; ".join(unsettled), flush=True)
            return self._summarize(
                run.sink,
                settings,
                run.balances_before,
                run.balances_after,
                time.monotonic() - started,
            )
        finally:
            await run.shutdown()

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
    """Run the demo; SIGINT/SIGTERM cancel it, and everything started is stopped."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    assert task is not None
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        return await Demo(base, opts).run()
    except asyncio.CancelledError:
        print("arbstream demo: interrupted; everything it started has been stopped", flush=True)
        return 130
