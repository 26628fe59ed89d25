"""Local DEX market on Anvil: deployment from the real Uniswap V2 bytecode, noise traders,
and the FlashArb contract (simulation, execution, reverts)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.exceptions import ContractLogicError

from arbstream.abi import (
    ARB_EXECUTED_TOPIC,
    ERC20_ABI,
    FLASH_ARB_ABI,
    PAIR_CREATED_TOPIC,
    SWAP_TOPIC,
    SYNC_TOPIC,
    V2_FACTORY_ABI,
    V2_INIT_CODE_HASH,
    V2_PAIR_ABI,
    V2_ROUTER_ABI,
)
from arbstream.artifacts import load_artifact
from arbstream.localstack.anvil import AnvilNode
from arbstream.localstack.deploy import create2_address, deploy_market, dev_account, dev_traders
from arbstream.localstack.market import MarketSimulator
from arbstream.localstack.market_spec import DeployedMarket, PoolInfo, default_market_spec
from tests.integration.chain_snapshot import restored
from tests.integration.waiting import wait_until

pytestmark = pytest.mark.integration

Reserves = tuple[int, int]


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def chain1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    node = AnvilNode(1, tmp_path_factory.mktemp("anvil-market"), block_time=None)
    with node:
        yield node


@pytest_asyncio.fixture(scope="module")
async def w3(chain1: AnvilNode) -> AsyncIterator[AsyncWeb3[Any]]:
    web3 = AsyncWeb3(AsyncHTTPProvider(chain1.http_url, request_kwargs={"timeout": 30}))
    yield web3
    await web3.provider.disconnect()


@pytest.fixture(scope="module")
def owner() -> LocalAccount:
    return dev_account(0)


@pytest.fixture(scope="module")
def traders() -> list[LocalAccount]:
    return dev_traders()


@pytest_asyncio.fixture(scope="module")
async def deployed_market(
    w3: AsyncWeb3[Any], owner: LocalAccount, traders: list[LocalAccount]
) -> DeployedMarket:
    return await deploy_market(w3, 1, owner, traders=traders)


@pytest.fixture
def market(chain1: AnvilNode, deployed_market: DeployedMarket) -> Iterator[DeployedMarket]:
    """The module's market at its seeded state for every test: tests trade on it (the
    simulator, the whale swaps, FlashArb), so the chain is reverted after each one."""
    with restored(chain1.http_url):
        yield deployed_market


# ------------------------------------------------------------------ helpers


def amount_out(amount_in: int, r_in: int, r_out: int, fee_bps: int = 30) -> int:
    with_fee = amount_in * (10_000 - fee_bps)
    return with_fee * r_out // (r_in * 10_000 + with_fee)


def arb_profit(x: int, borrow: Reserves, sell: Reserves, fee_bps: int = 30) -> int:
    """borrow = (A, B) reserves of the borrow pair, sell = (B, A) reserves of the sell pair."""
    b = amount_out(x, borrow[0], borrow[1], fee_bps)
    if b == 0:
        return -x
    return amount_out(b, sell[0], sell[1], fee_bps) - x


def best_amount(borrow: Reserves, sell: Reserves) -> tuple[int, int]:
    """Integer ternary search for the profit-maximizing input (profit is concave)."""
    lo, hi = 1, borrow[0] // 2
    while hi - lo > 2:
        m1, m2 = lo + (hi - lo) // 3, hi - (hi - lo) // 3
        if arb_profit(m1, borrow, sell) < arb_profit(m2, borrow, sell):
            lo = m1
        else:
            hi = m2
    x = max(range(lo, hi + 1), key=lambda v: arb_profit(v, borrow, sell))
    return x, arb_profit(x, borrow, sell)


async def reserves(w3: AsyncWeb3[Any], pool: PoolInfo) -> Reserves:
    pair = w3.eth.contract(address=pool.address, abi=V2_PAIR_ABI)  # type: ignore[call-overload]
    r0, r1, _ = await pair.functions.getReserves().call()
    return int(r0), int(r1)


async def all_reserves(w3: AsyncWeb3[Any], market: DeployedMarket) -> dict[str, Reserves]:
    got = await asyncio.gather(*(reserves(w3, p) for p in market.pools))
    return {p.address: r for p, r in zip(market.pools, got, strict=True)}


async def send(w3: AsyncWeb3[Any], acct: LocalAccount, call: Any, gas: int = 400_000) -> Any:
    tx = await call.build_transaction(
        {
            "from": acct.address,
            "nonce": await w3.eth.get_transaction_count(acct.address, "pending"),
            "gas": gas,
        }
    )
    signed = acct.sign_transaction(tx)
    tx_hash = await w3.eth.send_raw_transaction(signed.raw_transaction)
    return await w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.05)


def mid_price(pool: PoolInfo, r: Reserves, market: DeployedMarket) -> float:
    d0 = market.tokens[market.symbol_of(pool.token0)].decimals
    d1 = market.tokens[market.symbol_of(pool.token1)].decimals
    return (r[1] / 10**d1) / (r[0] / 10**d0)


# ------------------------------------------------------------------ deployment


async def test_deployed_market_matches_chain(
    w3: AsyncWeb3[Any], market: DeployedMarket, owner: LocalAccount
) -> None:
    spec = default_market_spec(1)
    assert market.chain_id == 1 and market.name == "ethereum"
    assert set(market.tokens) == {"WETH", "USDC", "USDT", "WBTC", "DAI"}
    assert market.weth == market.tokens["WETH"].address
    assert [d.name for d in market.dexes] == ["uniswap_v2", "sushiswap"]
    assert len(market.pools) == 10
    assert market.deploy_block >= 1

    for sym, tok in market.tokens.items():
        erc20 = w3.eth.contract(address=tok.address, abi=ERC20_ABI)  # type: ignore[call-overload]
        assert await erc20.functions.decimals().call() == spec.token(sym).decimals
        assert await erc20.functions.symbol().call() == sym

    for dex in market.dexes:
        factory = w3.eth.contract(address=dex.factory, abi=V2_FACTORY_ABI)  # type: ignore[call-overload]
        assert await factory.functions.allPairsLength().call() == 5
        router = w3.eth.contract(address=dex.router, abi=V2_ROUTER_ABI)  # type: ignore[call-overload]
        assert await router.functions.factory().call() == dex.factory
        assert await router.functions.WETH().call() == market.weth
        assert dex.fee_bps == 30
        assert dex.init_code_hash == V2_INIT_CODE_HASH

    for pool in market.pools:
        dex = market.dex(pool.dex)
        dex_spec = next(d for d in spec.dexes if d.name == pool.dex)
        pair = w3.eth.contract(address=pool.address, abi=V2_PAIR_ABI)  # type: ignore[call-overload]
        assert int(pool.token0, 16) < int(pool.token1, 16)
        assert await pair.functions.token0().call() == pool.token0
        assert await pair.functions.token1().call() == pool.token1
        assert await pair.functions.factory().call() == dex.factory
        assert (
            create2_address(dex.factory, pool.token0, pool.token1, V2_INIT_CODE_HASH)
            == pool.address
        )
        r0, r1 = await reserves(w3, pool)
        # seeded at the spec's USD prices with the DEX's depth (each side = TVL / 2)
        for token, r in ((pool.token0, r0), (pool.token1, r1)):
            tok = market.tokens[market.symbol_of(token)]
            usd = r / 10**tok.decimals * tok.usd_price
            assert usd == pytest.approx(dex_spec.liquidity_usd / 2, rel=1e-9)

    # the shallow DEX is 5x shallower
    deep, shallow = (
        market.pool("uniswap_v2", "WETH", "USDC"),
        market.pool("sushiswap", "WETH", "USDC"),
    )
    assert sum(await reserves(w3, deep)) == pytest.approx(
        5 * sum(await reserves(w3, shallow)), rel=1e-9
    )

    arb = w3.eth.contract(address=market.arb_contract, abi=FLASH_ARB_ABI)  # type: ignore[call-overload]
    assert await arb.functions.owner().call() == owner.address == market.arb_owner

    # JSON round trip
    again = DeployedMarket.from_json(json.dumps(market.to_dict()))
    assert again == market
    assert set(market.to_dict()) >= {
        "chain_id", "name", "weth", "tokens", "dexes", "pools", "arb_contract", "deploy_block"
    }  # fmt: skip


async def test_init_code_hash_matches_router(w3: AsyncWeb3[Any], market: DeployedMarket) -> None:
    pair_code = load_artifact("UniswapV2Pair").bytecode_bytes
    assert "0x" + keccak(pair_code).hex() == V2_INIT_CODE_HASH
    for dex in market.dexes:
        router_code = bytes(await w3.eth.get_code(dex.router))  # type: ignore[arg-type]
        assert bytes.fromhex(V2_INIT_CODE_HASH[2:]) in router_code
        # the router finds the pair through pairFor(init code hash): quoting works only if equal
        router = w3.eth.contract(address=dex.router, abi=V2_ROUTER_ABI)  # type: ignore[call-overload]
        amounts = await router.functions.getAmountsOut(
            10**18, [market.weth, market.tokens["USDC"].address]
        ).call()
        assert 2_900 * 10**6 < amounts[1] < 3_000 * 10**6


async def test_event_topics(w3: AsyncWeb3[Any], market: DeployedMarket) -> None:
    assert (
        SWAP_TOPIC
        == "0x" + keccak(text="Swap(address,uint256,uint256,uint256,uint256,address)").hex()
    )
    assert SYNC_TOPIC == "0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1"
    assert SWAP_TOPIC == "0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822"
    assert (
        PAIR_CREATED_TOPIC == "0x0d3648bd0f6ba80134a33ba9275ac585d9d315f0ad8355cddefde31afa28d0e9"
    )
    logs = await w3.eth.get_logs(
        {"fromBlock": market.deploy_block, "toBlock": "latest", "topics": [PAIR_CREATED_TOPIC]}
    )
    assert len(logs) == len(market.pools)


def test_flash_arb_abi_matches_build() -> None:
    def norm(abi: list[dict[str, Any]]) -> set[tuple[str, str, tuple[str, ...]]]:
        return {
            (e["type"], e.get("name", ""), tuple(i["type"] for i in e.get("inputs", [])))
            for e in abi
        }

    assert norm(FLASH_ARB_ABI) == norm(load_artifact("FlashArb").abi)


async def test_deploy_with_block_time_bsc(tmp_path: Path) -> None:
    """Interval mining (1 s blocks, as in the demo): the deploy works, and it is batched - each
    stage sends its transactions without waiting for one another, so blocks hold several."""
    node = AnvilNode(56, tmp_path, block_time=1.0)
    with node:
        web3 = AsyncWeb3(AsyncHTTPProvider(node.http_url, request_kwargs={"timeout": 30}))
        try:
            first = await web3.eth.block_number
            m = await deploy_market(web3, 56, dev_account(0))
            last = await web3.eth.block_number
            per_block = [
                len((await web3.eth.get_block(n))["transactions"])
                for n in range(first + 1, last + 1)
            ]
            assert sum(per_block) >= 20, per_block
            assert max(per_block) >= 5, f"not batched: transactions per block {per_block}"
            assert m.name == "bsc"
            assert {t.decimals for t in m.tokens.values()} == {18}
            assert len(m.pools) == 10
            for pool in m.pools:
                r0, r1 = await reserves(web3, pool)
                assert r0 > 0 and r1 > 0
        finally:
            await web3.provider.disconnect()


# ------------------------------------------------------------------ simulator


def test_simulator_plans_are_deterministic(
    w3: AsyncWeb3[Any], market: DeployedMarket, traders: list[LocalAccount]
) -> None:
    fake = {p.address: (10**24, 3 * 10**27) for p in market.pools}
    a = MarketSimulator(w3, market, traders, seed=7)
    b = MarketSimulator(w3, market, traders, seed=7)
    c = MarketSimulator(w3, market, traders, seed=8)
    pa = [[s for s, _ in a.plan_round(fake)] for _ in range(5)]
    pb = [[s for s, _ in b.plan_round(fake)] for _ in range(5)]
    pc = [[s for s, _ in c.plan_round(fake)] for _ in range(5)]
    assert pa == pb
    assert pa != pc


async def test_simulator_moves_prices(
    w3: AsyncWeb3[Any], market: DeployedMarket, traders: list[LocalAccount]
) -> None:
    before = await all_reserves(w3, market)
    sim = MarketSimulator(w3, market, traders, seed=1, swaps_per_block=4, min_round_interval=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(sim.run(stop))

    async def rounds_missing() -> str | None:
        if task.done():
            return f"the simulator stopped early: {task.result()!r}"  # raises its error
        if sim.stats.rounds >= 12 and sim.swaps_sent >= 40:
            return None
        return f"{sim.stats.rounds} of 12 rounds, {sim.swaps_sent} of 40 swaps sent"

    try:
        await wait_until(rounds_missing, timeout_s=180, what="12 rounds of noise swaps")
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
    assert sim.stats.send_errors == 0
    assert sim.stats.swaps_reverted == 0

    after = await all_reserves(w3, market)
    moved = [p for p in market.pools if after[p.address] != before[p.address]]
    assert len(moved) >= 6
    gaps = []
    for deep in (p for p in market.pools if p.dex == "uniswap_v2"):
        shallow = market.pool("sushiswap", deep.token0, deep.token1)
        pd = mid_price(deep, after[deep.address], market)
        ps = mid_price(shallow, after[shallow.address], market)
        gaps.append(abs(pd / ps - 1))
    assert max(gaps) > 1e-4  # cross-DEX dislocation from noise alone


# ------------------------------------------------------------------ FlashArb


async def test_flash_arb(
    w3: AsyncWeb3[Any], market: DeployedMarket, owner: LocalAccount, traders: list[LocalAccount]
) -> None:
    weth, usdc = market.weth, market.tokens["USDC"].address
    deep = market.pool("uniswap_v2", "WETH", "USDC")
    shallow = market.pool("sushiswap", "WETH", "USDC")

    # dislocation: a whale dumps WETH on the shallow DEX -> WETH cheap there
    trader = traders[0]
    router = w3.eth.contract(address=market.dex("sushiswap").router, abi=V2_ROUTER_ABI)  # type: ignore[call-overload]
    shallow_r = await reserves(w3, shallow)
    weth_reserve = shallow_r[0] if shallow.token0 == weth else shallow_r[1]
    rcpt = await send(
        w3, trader,
        router.functions.swapExactTokensForTokens(
            weth_reserve // 20, 0, [weth, usdc], trader.address, 2**40
        ),
    )  # fmt: skip
    assert rcpt["status"] == 1

    # profit in USDC (start token A): only paying USDC on the shallow DEX for its cheap WETH and
    # selling that WETH on the deep DEX pays; the other orientation loses
    rd, rs = await reserves(w3, deep), await reserves(w3, shallow)

    def oriented(p_borrow: PoolInfo, r_borrow: Reserves, r_sell: Reserves) -> tuple[int, int]:
        usdc_first = p_borrow.token0 == usdc  # both pairs have the same token order
        borrow = r_borrow if usdc_first else (r_borrow[1], r_borrow[0])
        sell = (r_sell[1], r_sell[0]) if usdc_first else r_sell
        return best_amount(borrow, sell)

    amount, profit = oriented(shallow, rs, rd)
    assert profit > 0
    assert oriented(deep, rd, rs)[1] <= 0
    token_a, p_borrow, p_sell = usdc, shallow, deep

    arb = w3.eth.contract(address=market.arb_contract, abi=FLASH_ARB_ABI)  # type: ignore[call-overload]
    execute = arb.functions.execute(p_borrow.address, p_sell.address, token_a, amount, 30, 30, 0)
    simulated = await execute.call({"from": owner.address})
    assert simulated == profit

    token = w3.eth.contract(address=token_a, abi=ERC20_ABI)  # type: ignore[call-overload]
    bal_before = await token.functions.balanceOf(market.arb_contract).call()
    rcpt = await send(w3, owner, execute, gas=600_000)
    assert rcpt["status"] == 1
    bal_after = await token.functions.balanceOf(market.arb_contract).call()
    arb_logs = [
        lg for lg in rcpt["logs"]
        if lg["address"] == market.arb_contract and "0x" + bytes(lg["topics"][0]).hex() == ARB_EXECUTED_TOPIC
    ]  # fmt: skip
    assert len(arb_logs) == 1
    event = arb.events.ArbExecuted().process_log(arb_logs[0])
    assert event["args"]["profit"] == bal_after - bal_before == profit
    assert event["args"]["amountIn"] == amount
    assert event["args"]["tokenIn"] == token_a
    assert event["args"]["pairBorrow"] == p_borrow.address
    assert event["args"]["pairSell"] == p_sell.address

    # the gap is closed: the same trade again is unprofitable
    with pytest.raises(ContractLogicError, match="FlashArb: unprofitable"):
        await execute.call({"from": owner.address})
    # and a tiny trade asking for a big profit reverts too
    greedy = arb.functions.execute(p_borrow.address, p_sell.address, token_a, 10**6, 30, 30, 10**30)
    with pytest.raises(ContractLogicError, match="FlashArb: unprofitable"):
        await greedy.call({"from": owner.address})

    # only the owner may execute or withdraw; only a pair in flight may call back
    with pytest.raises(ContractLogicError, match="FlashArb: not owner"):
        await execute.call({"from": trader.address})
    with pytest.raises(ContractLogicError, match="FlashArb: not owner"):
        await arb.functions.withdraw(token_a, trader.address, 1).call({"from": trader.address})
    with pytest.raises(ContractLogicError, match="FlashArb: bad callback"):
        await arb.functions.uniswapV2Call(market.arb_contract, 1, 0, b"\x00").call(
            {"from": trader.address}
        )

    # the owner withdraws the profit
    owner_before = await token.functions.balanceOf(owner.address).call()
    rcpt = await send(w3, owner, arb.functions.withdraw(token_a, owner.address, profit))
    assert rcpt["status"] == 1
    assert await token.functions.balanceOf(owner.address).call() == owner_before + profit
    assert await token.functions.balanceOf(market.arb_contract).call() == bal_before


async def test_flash_arb_token0_start(
    w3: AsyncWeb3[Any], market: DeployedMarket, owner: LocalAccount, traders: list[LocalAccount]
) -> None:
    """The other branch: start token is token0 of the pairs (WETH here), profit in WETH."""
    weth, usdc = market.weth, market.tokens["USDC"].address
    deep = market.pool("uniswap_v2", "WETH", "USDC")
    shallow = market.pool("sushiswap", "WETH", "USDC")
    trader = traders[1]
    router = w3.eth.contract(address=market.dex("sushiswap").router, abi=V2_ROUTER_ABI)  # type: ignore[call-overload]
    rs = await reserves(w3, shallow)
    usdc_reserve = rs[0] if shallow.token0 == usdc else rs[1]
    # a whale buys WETH with USDC on the shallow DEX -> WETH expensive there
    rcpt = await send(
        w3, trader,
        router.functions.swapExactTokensForTokens(
            usdc_reserve // 20, 0, [usdc, weth], trader.address, 2**40
        ),
    )  # fmt: skip
    assert rcpt["status"] == 1

    rd, rs = await reserves(w3, deep), await reserves(w3, shallow)
    weth_first = shallow.token0 == weth
    borrow = rs if weth_first else (rs[1], rs[0])  # (WETH, USDC) of the shallow pair
    sell = (rd[1], rd[0]) if weth_first else rd  # (USDC, WETH) of the deep pair
    amount, profit = best_amount(borrow, sell)
    assert profit > 0

    arb = w3.eth.contract(address=market.arb_contract, abi=FLASH_ARB_ABI)  # type: ignore[call-overload]
    execute = arb.functions.execute(shallow.address, deep.address, weth, amount, 30, 30, profit)
    assert await execute.call({"from": owner.address}) == profit
    token = w3.eth.contract(address=weth, abi=ERC20_ABI)  # type: ignore[call-overload]
    before = await token.functions.balanceOf(market.arb_contract).call()
    rcpt = await send(w3, owner, execute, gas=600_000)
    assert rcpt["status"] == 1
    after = await token.functions.balanceOf(market.arb_contract).call()
    event = next(
        arb.events.ArbExecuted().process_log(lg)
        for lg in rcpt["logs"]
        if "0x" + bytes(lg["topics"][0]).hex() == ARB_EXECUTED_TOPIC
    )
    assert event["args"]["profit"] == after - before == profit
