"""The exact-output rounding cases of ``tests/unit/cyext/v3/test_properties.py`` on the real
UniswapV3Pool bytecode (v3-core 1.0.1) on Anvil: the EVM is the oracle of their numbers.

Each case's pool (fee 100 with its own tick spacing, so one ``UniswapV3Factory`` per case with
``enableFeeAmount``) is initialized at the case's price and gets the case's positions through
``V3Caller.mint``; then both swaps of the case run from that state, as ``V3Caller.quote`` (the
pool's swap, reverted with its result) and mined through ``V3Caller.swapExact`` (the Swap
event; the chain is reverted afterwards). Amounts must be the case's literal numbers, and the
price, tick and liquidity after each swap the twin's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from eth_utils import keccak, to_checksum_address
from web3 import AsyncHTTPProvider, AsyncWeb3

from arbstream.artifacts import load_artifact
from arbstream.cyext.v3.tick_math_py import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from arbstream.localstack.anvil import AnvilNode
from arbstream.localstack.deploy import create_address, sort_tokens
from tests.integration.chain_snapshot import restored
from tests.integration.raw_rpc import RawRpc
from tests.integration.test_v3_pool_oracle import (
    CHAIN_ID,
    GAS_CALLER,
    GAS_CREATE_POOL,
    GAS_FACTORY,
    GAS_MINT,
    GAS_SMALL,
    GAS_TOKEN,
    INITIALIZE_TOPIC,
    MINT_TOPIC,
    SWAP_TOPIC,
    Account,
    Calldata,
    dev_accounts,
    pool_logs,
    selector,
)
from tests.unit.cyext.v3.rounding_cases import ROUNDING_CASES, RoundingCase, RoundingSwap

pytestmark = pytest.mark.integration

GAS_SWAP = 2_000_000
TOKEN_FUNDING = 10**30


@dataclasses.dataclass
class RoundingEnv:
    node: AnvilNode
    w3: AsyncWeb3[Any]
    rpc: RawRpc
    data: Calldata
    trader: Account
    caller: str  # the trader's V3Caller
    token0: str
    token1: str
    pools: dict[str, str]  # case name -> pool address


@pytest.fixture(scope="module")
def rounding_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    node = AnvilNode(CHAIN_ID, tmp_path_factory.mktemp("anvil-v3-rounding"), block_time=None)
    with node:
        yield node


@pytest_asyncio.fixture(scope="module")
async def rounding_env(rounding_node: AnvilNode) -> AsyncIterator[RoundingEnv]:
    """Two tokens, a funded V3Caller, and one pool per case built from its events."""
    w3 = AsyncWeb3(AsyncHTTPProvider(rounding_node.http_url, request_kwargs={"timeout": 60}))
    try:
        rpc, data, codec = RawRpc(w3), Calldata(w3), w3.codec
        deployer, trader = await dev_accounts(rpc, 0, 1)
        sent: list[str] = []

        async def deploy(acct: Account, bytecode: str, ctor: bytes, gas: int) -> str:
            addr = create_address(acct.address, acct.nonce)
            sent.append(await acct.send(None, bytecode + ctor.hex(), gas))
            return addr

        token_code = load_artifact("TestToken").bytecode
        tok_a = await deploy(
            deployer, token_code, codec.encode(["string", "string", "uint8"], ["A", "A", 18]),
            GAS_TOKEN,
        )  # fmt: skip
        tok_b = await deploy(
            deployer, token_code, codec.encode(["string", "string", "uint8"], ["B", "B", 18]),
            GAS_TOKEN,
        )  # fmt: skip
        factory_code = load_artifact("UniswapV3Factory").bytecode
        factories = [await deploy(deployer, factory_code, b"", GAS_FACTORY) for _ in ROUNDING_CASES]
        caller = await deploy(trader, load_artifact("V3Caller").bytecode, b"", GAS_CALLER)
        await rpc.wait_all(sent, "deploy")
        token0, token1 = sort_tokens(tok_a, tok_b)

        sent = []
        for tok in (tok_a, tok_b):
            mint = data("mint(address,uint256)", caller, TOKEN_FUNDING)
            sent.append(await deployer.send(tok, mint, GAS_SMALL))
        pool_hash = keccak(load_artifact("UniswapV3Pool").bytecode_bytes)
        pools: dict[str, str] = {}
        for case, factory in zip(ROUNDING_CASES, factories, strict=True):
            enable = data("enableFeeAmount(uint24,int24)", case.fee, case.tick_spacing)
            sent.append(await deployer.send(factory, enable, GAS_SMALL))
            create = data("createPool(address,address,uint24)", tok_a, tok_b, case.fee)
            sent.append(await deployer.send(factory, create, GAS_CREATE_POOL))
            salt = keccak(
                codec.encode(["address", "address", "uint24"], [token0, token1, case.fee])
            )
            raw = b"\xff" + bytes.fromhex(factory[2:]) + salt + pool_hash
            pools[case.name] = to_checksum_address(keccak(raw)[12:])
        await rpc.wait_all(sent, "funding and pools")

        for case in ROUNDING_CASES:
            pool = pools[case.name]
            (spacing,) = codec.decode(["int24"], await rpc.call(pool, selector("tickSpacing()")))
            assert spacing == case.tick_spacing
            rcpt = await trader.transact(
                pool, data("initialize(uint160)", case.sqrt_price_x96), GAS_SMALL * 2, "initialize"
            )
            assert len(pool_logs(rcpt, pool, INITIALIZE_TOPIC)) == 1
            for lower, upper, liquidity in case.positions:
                mint = data(
                    "mint(address,address,int24,int24,uint128)",
                    pool, trader.address, lower, upper, liquidity,
                )  # fmt: skip
                rcpt = await trader.transact(caller, mint, GAS_MINT, f"mint {lower} {upper}")
                assert len(pool_logs(rcpt, pool, MINT_TOPIC)) == 1
        yield RoundingEnv(rounding_node, w3, rpc, data, trader, caller, token0, token1, pools)
    finally:
        await w3.provider.disconnect()


async def chain_state(env: RoundingEnv, pool: str) -> tuple[int, int, int]:
    slot0 = await env.rpc.call(pool, selector("slot0()"))
    sqrt_p, tick = env.w3.codec.decode(["uint160", "int24"], slot0[:64])
    (liquidity,) = env.w3.codec.decode(
        ["uint128"], await env.rpc.call(pool, selector("liquidity()"))
    )
    return int(sqrt_p), int(tick), int(liquidity)


async def quote(env: RoundingEnv, pool: str, swap: RoundingSwap, limit: int) -> tuple[int, ...]:
    """(amount0, amount1, sqrtPriceX96, tick, liquidity) of the pool's swap, not mined."""
    call = env.data(
        "quote(address,bool,int256,uint160)", pool, swap.zero_for_one, swap.amount, limit
    )
    raw = await env.rpc.call(env.caller, call, env.trader.address)
    types = ["int256", "int256", "uint160", "int24", "uint128"]
    return tuple(int(v) for v in env.w3.codec.decode(types, raw))


async def mined_swap(
    env: RoundingEnv, pool: str, swap: RoundingSwap, limit: int
) -> tuple[int, ...]:
    """(amount0, amount1, sqrtPriceX96, liquidity, tick) of the mined swap's Swap event; the
    chain (and the trader's nonce) are restored afterwards."""
    call = env.data(
        "swapExact(address,bool,int256,uint160)", pool, swap.zero_for_one, swap.amount, limit
    )
    nonce = env.trader.nonce
    with restored(env.node.http_url):
        rcpt = await env.trader.transact(env.caller, call, GAS_SWAP, "swapExact")
    env.trader.nonce = nonce
    (lg,) = pool_logs(rcpt, pool, SWAP_TOPIC)
    types = ["int256", "int256", "uint160", "uint128", "int24"]
    return tuple(int(v) for v in env.w3.codec.decode(types, bytes.fromhex(lg["data"][2:])))


@pytest.mark.parametrize("case", ROUNDING_CASES, ids=lambda c: c.name)
async def test_rounding_case_on_the_real_pool(
    rounding_env: RoundingEnv, case: RoundingCase
) -> None:
    env, pool = rounding_env, rounding_env.pools[case.name]
    state = case.state(pool, env.token0, env.token1)
    assert await chain_state(env, pool) == (state.sqrt_price_x96, state.tick, state.liquidity)
    for swap in (case.exact_input, case.exact_output):
        limit = MIN_SQRT_RATIO + 1 if swap.zero_for_one else MAX_SQRT_RATIO - 1
        twin = state.swap(swap.zero_for_one, swap.amount, limit)
        after = (twin.sqrt_price_x96, twin.tick, twin.liquidity)
        assert await quote(env, pool, swap, limit) == (swap.amount0, swap.amount1, *after), swap
        a0, a1, sqrt_p, liquidity, tick = await mined_swap(env, pool, swap, limit)
        assert (a0, a1, sqrt_p, tick, liquidity) == (swap.amount0, swap.amount1, *after), swap
        # every swap of the case starts from the case's state
        assert await chain_state(env, pool) == (state.sqrt_price_x96, state.tick, state.liquidity)
