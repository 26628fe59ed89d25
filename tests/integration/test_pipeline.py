"""End to end on the real local stack: Anvil -> ingest -> tansu -> Faust -> executor -> chDB."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from arbstream.analytics.tables import TABLES
from arbstream.localstack.pipeline import SETTLE_TIMEOUT_S, PipelineRun
from arbstream.localstack.stack import LocalStack
from arbstream.schemas import Execution, Opportunity
from tests.conftest import settings_for
from tests.integration.topic_reader import read_topic
from tests.integration.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: blocks of market flow on chain 1 (one block a second)
BLOCKS = 30


async def test_pipeline_end_to_end(stack: LocalStack, run_dir: Path, unique: str) -> None:
    settings = settings_for(stack, run_dir, unique)
    run = PipelineRun(stack, settings, seed=11)
    try:
        await run.start()
        w3 = run.w3s[1]
        start = await w3.eth.block_number

        async def flow_missing() -> str | None:
            run.check_alive()
            mined = await w3.eth.block_number - start
            return None if mined >= BLOCKS else f"{mined} of {BLOCKS} blocks mined"

        await wait_until(
            flow_missing, timeout_s=10 * BLOCKS, interval_s=1.0, what="the market's blocks"
        )
        # waits until every opportunity has its execution record and no transaction is pending
        # (raises naming what is still missing after the generous timeout)
        await run.finish(SETTLE_TIMEOUT_S, strict=True)
        client, db = run.sink.client, settings.clickhouse_database

        # ClickHouse holds exactly what the topics hold (distinct identities, FINAL)
        for spec in TABLES:
            topic = getattr(settings.topics, spec.topic_field)
            records = [
                record
                for raw in await read_topic(settings.bootstrap_servers, topic)
                for record in spec.decode(raw)
            ]
            in_topic = len({r.identity() for r in records})
            in_table = client.query(f"SELECT count() FROM `{db}`.`{spec.table}` FINAL").result_rows[
                0
            ][0]
            assert in_table == in_topic, (
                f"{spec.table}: {in_table} rows, {in_topic} records in {topic}"
            )

        opps = {
            o.id: o
            for o in (
                Opportunity.from_json(r)
                for r in await read_topic(settings.bootstrap_servers, settings.topics.opportunities)
            )
        }
        execs = [
            Execution.from_json(r)
            for r in await read_topic(settings.bootstrap_servers, settings.topics.executions)
        ]
        for chain_id in stack.chain_ids:
            assert any(o.chain_id == chain_id for o in opps.values()), (
                f"no opportunity on chain {chain_id}"
            )
        succeeded = [e for e in execs if e.status == "succeeded"]
        assert succeeded, (
            f"no successful execution; statuses: {sorted({(e.status, e.reason[:40]) for e in execs})}"
        )
        realized: dict[tuple[int, str], int] = defaultdict(int)
        for e in succeeded:
            opp = opps[e.opportunity_id]
            # executed with profit >= the emitted estimate minus gas, and net of gas
            assert e.realized_profit >= opp.net_profit, (e, opp)
            assert e.realized_profit >= opp.gas_cost_token
            realized[(e.chain_id, e.profit_token)] += e.realized_profit
            # each leg's realized amounts, read from its pool's Swap log, agree with the
            # contract's own ArbExecuted profit and with the opportunity's legs
            first, last = e.legs[0], e.legs[-1]
            assert [(x.pool, x.token_in, x.token_out) for x in e.legs] == [
                (x.pool, x.token_in, x.token_out) for x in opp.legs
            ]
            assert first.realized_in == e.amount_in > 0
            assert last.realized_out - first.realized_in == e.realized_profit, e
            assert all(x.realized_out > 0 for x in e.legs), e
        # every opportunity got exactly one execution record
        assert {e.opportunity_id for e in execs} == set(opps)
        # realized profit equals the contract's on-chain balance change, token by token
        for chain_id in stack.chain_ids:
            for token, after in run.balances_after[chain_id].items():
                delta = after - run.balances_before[chain_id][token]
                assert delta == realized.get((chain_id, token), 0), (chain_id, token)
    finally:
        await run.shutdown()
