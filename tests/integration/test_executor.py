"""The executor refuses what it cannot execute at a profit, and sends nothing then."""

from __future__ import annotations

import dataclasses

import pytest
from web3 import AsyncHTTPProvider, AsyncWeb3

from arbstream.abi import V2_PAIR_ABI, V2_ROUTER_ABI
from arbstream.config import ExecutorConfig
from arbstream.cyext.v2_pool import V2PoolState
from arbstream.executor.executor import ChainExecutor
from arbstream.localstack.deploy import dev_account, dev_traders
from arbstream.localstack.stack import LocalStack
from arbstream.schemas import Opportunity, now_ms
from arbstream.streams import strategy
from arbstream.streams.valuation import Valuation
from tests.conftest import settings_for

pytestmark = pytest.mark.integration


async def _state(w3: AsyncWeb3, address: str, dex: str, fee_bps: int) -> V2PoolState:
    pair = w3.eth.contract(address=AsyncWeb3.to_checksum_address(address), abi=V2_PAIR_ABI)
    r0, r1, _ = await pair.functions.getReserves().call()
    t0 = (await pair.functions.token0().call()).lower()
    t1 = (await pair.functions.token1().call()).lower()
    return V2PoolState(address.lower(), t0, t1, fee_bps, int(r0), int(r1), 0, 0, 1, dex)


def _best(a: V2PoolState, b: V2PoolState) -> strategy.SizedCycle | None:
    return strategy.best(strategy.size(strategy.two_pool_cycles(a, b)))


def _opportunity(sized: strategy.SizedCycle, chain, claimed_fee: int) -> Opportunity:  # type: ignore[no-untyped-def]
    """The opportunity the detector's strategy code builds, with the legs' fees as claimed."""
    gas = strategy.GasCost(180_000, 2 * 10**9, 360_000 * 10**9, 1)
    opp = strategy.opportunity(sized, gas, Valuation(chain), strategy.Trigger(0, "0x", 0, now_ms()))
    legs = [dataclasses.replace(leg, fee_pips=claimed_fee * 100) for leg in opp.legs]
    return dataclasses.replace(opp, id=f"test:{now_ms()}:{claimed_fee}", legs=legs)


async def test_executor_refuses_unprofitable_simulation(stack: LocalStack, run_dir, unique) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(stack, run_dir, unique)
    chain = settings.chain(1)
    market = stack.markets[1]
    w3 = AsyncWeb3(AsyncHTTPProvider(chain.http_url))
    owner = dev_account(0)
    executor = ChainExecutor(chain, w3, owner, ExecutorConfig(armed=True))
    deep, shallow = market.dexes[0], market.dexes[1]
    pool_a, pool_b = (
        market.pool(deep.name, "WETH", "USDC"),
        market.pool(shallow.name, "WETH", "USDC"),
    )

    # Bring both pools to within the 60 bps round-trip fee of each other, then tilt the shallow
    # one by ~0.2%: unprofitable at the real 30 bps fee, "profitable" to a model claiming 5 bps.
    trader = dev_traders()[0]
    router = w3.eth.contract(
        address=AsyncWeb3.to_checksum_address(shallow.router), abi=V2_ROUTER_ABI
    )
    for _ in range(6):
        a = await _state(w3, pool_a.address, deep.name, 30)
        b = await _state(w3, pool_b.address, shallow.name, 30)
        price = lambda s: s.reserve1 / s.reserve0  # noqa: E731
        ratio = price(b) / price(a)
        if 1.0015 < ratio < 1.004 or 1 / 1.004 < ratio < 1 / 1.0015:
            break
        # move the shallow pool's price towards 1.0025x the deep one
        target = price(a) * 1.0025
        # selling token0 lowers reserve1/reserve0, selling token1 raises it
        sell0 = price(b) > target
        token_in, token_out = (b.token0, b.token1) if sell0 else (b.token1, b.token0)
        r_in = b.reserve0 if sell0 else b.reserve1
        amount = max(1, int(r_in * abs(price(b) / target - 1) / 2))
        tx = await router.functions.swapExactTokensForTokens(
            amount,
            0,
            [
                AsyncWeb3.to_checksum_address(token_in),
                AsyncWeb3.to_checksum_address(token_out),
            ],
            trader.address,
            2**40,
        ).build_transaction(
            {
                "from": trader.address,
                "nonce": await w3.eth.get_transaction_count(trader.address, "pending"),
                "gas": 300_000,
            }
        )
        await w3.eth.wait_for_transaction_receipt(
            await w3.eth.send_raw_transaction(trader.sign_transaction(tx).raw_transaction)
        )
    else:
        pytest.fail(f"could not set up the price tilt (ratio {ratio})")

    assert _best(a, b) is None, "30 bps pools must not be arbitrageable here"
    cheap_a, cheap_b = dataclasses.replace(a, fee_bps=5), dataclasses.replace(b, fee_bps=5)
    quote = _best(cheap_a, cheap_b)
    assert quote is not None and quote.profit > 0

    nonce = await w3.eth.get_transaction_count(owner.address, "pending")
    # a model that believes 5 bps fees: re-check passes, eth_call simulation reverts
    result = await executor.handle(_opportunity(quote, chain, claimed_fee=5))
    assert result.status == "rejected" and result.reason.startswith("simulation reverted"), result
    assert not result.tx_hash
    # the honest fee: no edge on the latest state
    result = await executor.handle(_opportunity(quote, chain, claimed_fee=30))
    assert result.status == "rejected" and "edge" in result.reason, result
    # stale opportunities are refused without a chain call
    old = dataclasses.replace(_opportunity(quote, chain, 5), detected_ts_ms=now_ms() - 60_000)
    assert (await executor.handle(old)).reason.startswith("stale")
    assert await w3.eth.get_transaction_count(owner.address, "pending") == nonce, (
        "a transaction was sent"
    )
