"""The executor refuses what it cannot execute at a profit, and sends nothing then."""

from __future__ import annotations

import dataclasses

import pytest
from web3 import AsyncHTTPProvider, AsyncWeb3

from arbstream.abi import V2_PAIR_ABI, V2_ROUTER_ABI
from arbstream.config import ExecutorConfig
from arbstream.executor.executor import ChainExecutor
from arbstream.localstack.deploy import dev_account, dev_traders
from arbstream.localstack.stack import LocalStack
from arbstream.schemas import Opportunity, now_ms
from arbstream.streams.cross_dex import PoolState, best_cross_dex
from tests.conftest import settings_for

pytestmark = pytest.mark.integration


async def _state(w3: AsyncWeb3, address: str, dex: str, fee_bps: int) -> PoolState:
    pair = w3.eth.contract(address=AsyncWeb3.to_checksum_address(address), abi=V2_PAIR_ABI)
    r0, r1, _ = await pair.functions.getReserves().call()
    t0 = (await pair.functions.token0().call()).lower()
    t1 = (await pair.functions.token1().call()).lower()
    return PoolState(1, address.lower(), dex, t0, t1, fee_bps, int(r0), int(r1), 0, 0)


def _opportunity(quote, claimed_fee: int) -> Opportunity:  # type: ignore[no-untyped-def]
    token = quote.token_in
    return Opportunity(
        id=f"test:{now_ms()}:{claimed_fee}",
        kind="cross_dex",
        chain_id=1,
        cycle_id=quote.cycle_id,
        pools=[quote.borrow.pool, quote.sell.pool],
        dexes=[quote.borrow.dex, quote.sell.dex],
        tokens=[token, quote.token_mid, token],
        zero_for_one=[token == quote.borrow.token0, quote.token_mid == quote.sell.token0],
        fees_bps=[claimed_fee, claimed_fee],
        amount_in=quote.amount_in,
        amount_out=quote.amount_out,
        gross_profit=quote.profit,
        gas_estimate=180_000,
        gas_price_wei=2 * 10**9,
        gas_cost_wei=360_000 * 10**9,
        gas_cost_token=1,
        net_profit=quote.profit - 1,
        profit_token=token,
        profit_symbol="T",
        profit_decimals=18,
        gross_profit_usd=1.0,
        net_profit_usd=1.0,
        state_blocks=[0, 0],
        state_log_indexes=[0, 0],
        trigger_block=0,
        trigger_tx="0x",
        trigger_log_index=0,
        event_ingest_ts_ms=now_ms(),
    )


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

    assert best_cross_dex(a, b) is None, "30 bps pools must not be arbitrageable here"
    cheap_a, cheap_b = dataclasses.replace(a, fee_bps=5), dataclasses.replace(b, fee_bps=5)
    quote = best_cross_dex(cheap_a, cheap_b)
    assert quote is not None and quote.profit > 0

    nonce = await w3.eth.get_transaction_count(owner.address, "pending")
    # a model that believes 5 bps fees: re-check passes, eth_call simulation reverts
    result = await executor.handle(_opportunity(quote, claimed_fee=5))
    assert result.status == "rejected" and result.reason.startswith("simulation reverted"), result
    assert not result.tx_hash
    # the honest fee: no edge on the latest state
    result = await executor.handle(_opportunity(quote, claimed_fee=30))
    assert result.status == "rejected" and "edge" in result.reason, result
    # stale opportunities are refused without a chain call
    old = dataclasses.replace(_opportunity(quote, 5), detected_ts_ms=now_ms() - 60_000)
    assert (await executor.handle(old)).reason.startswith("stale")
    assert await w3.eth.get_transaction_count(owner.address, "pending") == nonce, (
        "a transaction was sent"
    )
