"""The executor as its own Faust app (own process, own consumer group, the only key).

Opportunities are taken in short batches; within a batch only the newest opportunity per
cycle is executed (older ones are recorded as superseded), and chains run concurrently
while each chain executes one opportunity at a time. Every opportunity gets exactly one
record on ``arb.executions``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

import faust
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import AsyncHTTPProvider, AsyncWeb3

from arbstream import metrics
from arbstream.config import Settings
from arbstream.errors import ConfigError, ExecutionError, SchemaError
from arbstream.executor.executor import ChainExecutor
from arbstream.schemas import Execution, Opportunity
from arbstream.streams.agents.dead_letter import send_dead_letter
from arbstream.streams.app import create_app
from arbstream.streams.topics import Topics

log = logging.getLogger(__name__)

BATCH_MAX = 500
BATCH_WITHIN_S = 0.25


def load_account(settings: Settings) -> LocalAccount | None:
    key = settings.executor.private_key
    if key is None:
        if settings.executor.armed:
            raise ConfigError("executor.armed is set but executor.private_key is missing")
        return None
    try:
        account: LocalAccount = Account.from_key(key.get_secret_value())
    except (ValueError, TypeError) as exc:
        raise ConfigError("executor.private_key is not a valid private key") from exc
    return account


def build_chain_executors(settings: Settings) -> dict[int, ChainExecutor]:
    account = load_account(settings)
    out = {}
    for chain in settings.chains:
        if not chain.arb_contract:
            log.warning(
                "chain %s: no arb_contract configured; its opportunities are rejected",
                chain.chain_id,
            )
            continue
        w3 = AsyncWeb3(AsyncHTTPProvider(chain.http_url, request_kwargs={"timeout": 10}))
        out[chain.chain_id] = ChainExecutor(chain, w3, account, settings.executor)
    return out


def latest_per_cycle(opps: list[Opportunity]) -> tuple[list[Opportunity], list[Opportunity]]:
    """(newest opportunity of each cycle, the superseded rest)."""
    newest: dict[tuple[int, str], Opportunity] = {}
    for opp in opps:
        k = (opp.chain_id, opp.cycle_id)
        cur = newest.get(k)
        if cur is None or (opp.trigger_block, opp.trigger_log_index) >= (
            cur.trigger_block,
            cur.trigger_log_index,
        ):
            newest[k] = opp
    keep = {id(o) for o in newest.values()}
    return list(newest.values()), [o for o in opps if id(o) not in keep]


async def execute_batch(
    executors: dict[int, ChainExecutor], opps: list[Opportunity]
) -> list[Execution]:
    """Execute a batch: chains concurrently, each chain sequentially."""
    todo, superseded = latest_per_cycle(opps)
    results = [
        Execution(
            opportunity_id=o.id,
            chain_id=o.chain_id,
            status="rejected",
            reason="superseded by a newer opportunity for the same cycle",
            profit_token=o.profit_token,
            profit_symbol=o.profit_symbol,
        )
        for o in superseded
    ]
    by_chain: dict[int, list[Opportunity]] = defaultdict(list)
    for opp in todo:
        by_chain[opp.chain_id].append(opp)

    async def run_chain(chain_id: int, items: list[Opportunity]) -> list[Execution]:
        executor = executors.get(chain_id)
        out = []
        for opp in sorted(items, key=lambda o: -o.net_profit_usd):
            if executor is None:
                out.append(
                    Execution(
                        opportunity_id=opp.id,
                        chain_id=chain_id,
                        status="rejected",
                        reason="chain not configured for execution",
                    )
                )
                continue
            try:
                out.append(await executor.handle(opp))
            except ExecutionError as exc:
                log.warning("chain %s: %s", chain_id, exc)
                out.append(
                    Execution(
                        opportunity_id=opp.id,
                        chain_id=chain_id,
                        status="failed",
                        reason=str(exc)[:500],
                    )
                )
            except Exception as exc:  # a bug: logged with its traceback, the stream goes on
                log.exception("chain %s: executing %s failed", chain_id, opp.id)
                out.append(
                    Execution(
                        opportunity_id=opp.id,
                        chain_id=chain_id,
                        status="failed",
                        reason=f"{type(exc).__name__}: {exc}"[:500],
                    )
                )
        return out

    for chunk in await asyncio.gather(*(run_chain(c, items) for c, items in by_chain.items())):
        results.extend(chunk)
    return results


def build_executor_app(settings: Settings) -> faust.App:
    app = create_app(settings, app_id=f"{settings.app_id}-executor")
    topics = Topics.declare(app, settings.topics)
    executors = build_chain_executors(settings)

    @app.agent(topics.opportunities, name="executor")
    async def executor(stream: faust.StreamT[bytes]) -> None:
        async for batch in stream.take(BATCH_MAX, within=BATCH_WITHIN_S):
            opps = []
            for raw in batch:
                try:
                    opps.append(
                        Opportunity.from_json(raw, source=topics.opportunities.get_topic_name())
                    )
                    metrics.events_in(topics.opportunities.get_topic_name(), opps[-1].chain_id)
                except SchemaError as exc:
                    await send_dead_letter(topics.dead_letter, "executor", str(exc), raw)
            for result in await execute_batch(executors, opps):
                await topics.executions.send(
                    key=f"{result.chain_id}".encode(), value=result.to_json()
                )
                metrics.execution_out(
                    topics.executions.get_topic_name(), result.chain_id, result.status
                )

    return app
