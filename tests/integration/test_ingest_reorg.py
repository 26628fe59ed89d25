"""The ingestor on a real chain: discovery, exact events, and retractions on a reorg."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from web3 import AsyncHTTPProvider, AsyncWeb3

from arbstream.abi import V2_PAIR_ABI, V2_ROUTER_ABI
from arbstream.config import TopicsConfig
from arbstream.framing import decode_batch, rows_to_events
from arbstream.ingest.ingestor import ChainIngestor, IngestStats
from arbstream.localstack.anvil import AnvilNode
from arbstream.localstack.deploy import deploy_market, dev_account, dev_traders
from arbstream.localstack.market_spec import DeployedMarket, default_market_spec
from arbstream.localstack.stack import LocalStack, chain_config
from arbstream.log import ensure_topics, make_producer
from tests.integration.chain_snapshot import restored
from tests.integration.topic_reader import read_topic
from tests.integration.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def automine_chain(
    automine_deployed: tuple[AnvilNode, DeployedMarket],
) -> Iterator[tuple[AnvilNode, DeployedMarket]]:
    """The deployed chain, reverted after the test (it swaps and reorgs on it)."""
    with restored(automine_deployed[0].http_url):
        yield automine_deployed


@pytest.fixture(scope="module")
async def automine_deployed(run_dir: Path) -> AsyncIterator[tuple[AnvilNode, DeployedMarket]]:
    node = AnvilNode(1, run_dir / "reorg-logs", block_time=None)
    node.start()
    try:
        w3 = AsyncWeb3(AsyncHTTPProvider(node.http_url))
        market = await deploy_market(w3, 1, dev_account(0), default_market_spec(1))
        await w3.provider.disconnect()
        yield node, market
    finally:
        node.stop()


async def _swap(w3: AsyncWeb3, market: DeployedMarket) -> None:
    trader = dev_traders()[1]
    dex = market.dexes[1]
    weth, usdc = market.token("WETH"), market.token("USDC")
    router = w3.eth.contract(address=AsyncWeb3.to_checksum_address(dex.router), abi=V2_ROUTER_ABI)
    tx = await router.functions.swapExactTokensForTokens(
        10**17,
        0,
        [AsyncWeb3.to_checksum_address(weth.address), AsyncWeb3.to_checksum_address(usdc.address)],
        trader.address,
        2**40,
    ).build_transaction(
        {
            "from": trader.address,
            "nonce": await w3.eth.get_transaction_count(trader.address),
            "gas": 300_000,
        }
    )
    await w3.eth.wait_for_transaction_receipt(
        await w3.eth.send_raw_transaction(trader.sign_transaction(tx).raw_transaction)
    )


async def _until(ingestor: ChainIngestor, holds: Callable[[IngestStats], bool], what: str) -> None:
    """Wait (bounded) until ``holds(ingestor.stats)``; a timeout names the stats it reached."""

    async def missing() -> str | None:
        return None if holds(ingestor.stats) else f"ingestor stats {ingestor.stats}"

    await wait_until(missing, timeout_s=60, interval_s=0.05, what=what)


async def test_ingest_backfill_live_and_reorg(
    stack: LocalStack, automine_chain: tuple[AnvilNode, DeployedMarket], unique: str
) -> None:
    node, market = automine_chain
    assert stack.broker is not None
    bootstrap = stack.broker.bootstrap
    topics = TopicsConfig.prefixed(unique, partitions=2)
    await ensure_topics(bootstrap, topics)
    producer = make_producer(bootstrap)
    await producer.start()
    w3 = AsyncWeb3(AsyncHTTPProvider(node.http_url))
    ingestor = ChainIngestor(chain_config(market, node), producer, topics)
    stop = asyncio.Event()
    task = asyncio.create_task(ingestor.run(stop))
    try:
        # backfill: every pool discovered, and the seeding Syncs published
        await _until(
            ingestor,
            lambda s: s.pools == len(market.pools) and s.events >= 10,
            f"{len(market.pools)} pools and their seeding Syncs",
        )
        before = ingestor.stats.events
        await _swap(w3, market)  # live: one Swap + one Sync
        await _until(ingestor, lambda s: s.events >= before + 2, "the live Swap and Sync")
        head = await w3.eth.get_block("latest")
        await _until(ingestor, lambda s: s.last_block >= head["number"], "the swap's block")

        # replace the swap's block with an empty one, then extend the new branch
        await w3.provider.make_request("anvil_reorg", [1, []])  # type: ignore[arg-type]
        await w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        await _until(ingestor, lambda s: s.retractions >= 2, "both retractions")
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
        await producer.stop()
        await w3.provider.disconnect()

    events = [
        e
        for raw in await read_topic(bootstrap, topics.events)
        for e in rows_to_events(decode_batch(raw))
    ]
    orphaned = [e for e in events if e.block_hash == head["hash"].to_0x_hex() and not e.removed]
    retracted = {e.identity() for e in events if e.removed}
    assert {e.kind for e in orphaned} == {"Swap", "Sync"}
    assert {e.identity() for e in orphaned} <= retracted
    # the pool's on-chain reserves equal the last non-retracted Sync we published for it
    pool = orphaned[0].pool
    live = [
        e for e in events if e.pool == pool and e.kind == "Sync" and e.identity() not in retracted
    ]
    last = max(live, key=lambda e: (e.block_number, e.log_index))
    pair = w3.eth.contract(address=AsyncWeb3.to_checksum_address(pool), abi=V2_PAIR_ABI)
    w3b = AsyncWeb3(AsyncHTTPProvider(node.http_url))
    r0, r1, _ = (
        await w3b.eth.contract(address=pair.address, abi=V2_PAIR_ABI).functions.getReserves().call()
    )
    await w3b.provider.disconnect()
    assert (last.reserve0, last.reserve1) == (r0, r1)
