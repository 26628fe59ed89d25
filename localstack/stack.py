"""The embedded local stack: tansu broker, Anvil chains with DEXes deployed, chDB path.

Used by ``arbstream demo`` and by the test fixtures; everything it starts is stopped by
``close()`` (also on Ctrl-C and on failure, via ``ProcessGroup``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from web3 import AsyncHTTPProvider, AsyncWeb3

from arbstream.config import ChainConfig, DexConfig, Settings, TokenConfig
from arbstream.localstack.anvil import AnvilNode
from arbstream.localstack.broker import TansuBroker
from arbstream.localstack.deploy import deploy_market, dev_account
from arbstream.localstack.market_spec import DeployedMarket, default_market_spec
from arbstream.localstack.process import ProcessGroup

log = logging.getLogger(__name__)

DEMO_PRIORITY_FEE_WEI = 3_000_000_000
CHAIN_NAMES = {1: "ethereum", 56: "bsc", 42161: "arbitrum", 8453: "base", 137: "polygon"}


def chain_config(market: DeployedMarket, node: AnvilNode) -> ChainConfig:
    """Pipeline config of a chain whose market was deployed by the simulator."""
    return ChainConfig(
        chain_id=market.chain_id,
        name=market.name,
        ws_url=node.ws_url,
        http_url=node.http_url,
        weth=market.weth,
        dexes=[
            DexConfig(name=d.name, factory=d.factory, router=d.router, fee_bps=d.fee_bps)
            for d in market.dexes
        ],
        tokens=[
            TokenConfig(symbol=s, address=t.address, decimals=t.decimals, usd_price=t.usd_price)
            for s, t in market.tokens.items()
        ],
        arb_contract=market.arb_contract,
        start_block=0,
        # searchers outbid the noise traders' 1 gwei tip, so an arbitrage lands first in its block
        priority_fee_wei=DEMO_PRIORITY_FEE_WEI,
    )


@dataclass
class LocalStack:
    data_dir: Path
    chain_ids: tuple[int, ...] = (1, 56)
    block_time: float | None = 1.0
    group: ProcessGroup = field(default_factory=ProcessGroup)
    broker: TansuBroker | None = None
    nodes: dict[int, AnvilNode] = field(default_factory=dict)
    markets: dict[int, DeployedMarket] = field(default_factory=dict)

    def start_processes(self) -> None:
        """Broker and chains on free loopback ports, each waited on until ready."""
        logs = self.data_dir / "logs"
        try:
            self.broker = self.group.start(TansuBroker(logs))  # type: ignore[assignment]
            for cid in self.chain_ids:
                self.nodes[cid] = self.group.start(AnvilNode(cid, logs, block_time=self.block_time))  # type: ignore[assignment]
        except BaseException:
            self.close()
            raise

    async def deploy(self) -> None:
        """Deploy the default market on every chain, concurrently."""

        async def one(cid: int) -> None:
            started = time.monotonic()
            w3 = AsyncWeb3(
                AsyncHTTPProvider(self.nodes[cid].http_url, request_kwargs={"timeout": 30})
            )
            try:
                self.markets[cid] = await deploy_market(
                    w3, cid, dev_account(0), default_market_spec(cid)
                )
            finally:  # its aiohttp session, else "Unclosed client session" when collected
                await w3.provider.disconnect()
            log.info("chain %s: market deployed in %.1fs", cid, time.monotonic() - started)

        await asyncio.gather(*(one(cid) for cid in self.chain_ids))

    def settings(self, base: Settings) -> Settings:
        """``base`` with this stack's broker and chains filled in."""
        assert self.broker is not None
        return base.model_copy(
            update={
                "broker_url": self.broker.url,
                "chains": [chain_config(self.markets[c], self.nodes[c]) for c in self.chain_ids],
            }
        )

    def close(self) -> None:
        self.group.stop()
