"""The Uniswap V3 swap twin (pure Python), its Cython kernel and the pool bootstrap against the
real Uniswap V3 bytecode (v3-core 1.0.1) on Anvil.

One ``UniswapV3Factory`` creates a pool of two TestTokens (18 and 6 decimals) per fee tier:
100 (tick spacing 1, enabled by the factory owner), 500 (10), 3000 (60) and 10000 (200). Each pool
is initialized at a random price and gets random positions (narrow and wide, overlapping, some
out of range), all minted through ``V3Caller`` and mirrored in a ``V3PoolState``. Then seeded
random swaps run through ``V3Caller.swapExact``: both directions, exact input and exact output,
tiny to range-crossing sizes, price limits that stop a swap early, and a few swaps that drain
every position. Before each swap the mirrored state predicts it (every implementation, which must
agree with each other); after it the pool's ``Swap`` event (amount0, amount1) and ``slot0`` /
``liquidity()`` must equal the prediction exactly. Swaps the twin says revert (``SPL``, ``AS``)
must revert with the same reason, and leave the pool untouched. ``V3Caller.quote`` (revert with
data) is checked against the same prediction. A few mints and burns are interleaved, so the
mirrored ticks change while the price is inside and outside their ranges.

``fetch_v3_pool_state`` (ingest/v3_bootstrap.py) must rebuild the mirrored state from the chain
after the mints and after the swaps, and at an earlier block from the chain's history.

Each pool is driven by its own trader account (own nonces, own V3Caller), so the four pools run
concurrently; transactions are signed by Anvil (unlocked dev accounts) and sent as raw JSON-RPC.
Mismatches are collected, not stopped at: the mirror follows the chain's ``Swap`` events (the
production path), so one divergence does not hide the rest; the test fails listing them all.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import importlib
import math
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
import pytest_asyncio
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address
from web3 import AsyncHTTPProvider, AsyncWeb3

from arbstream.abi import event_topic
from arbstream.artifacts import load_artifact
from arbstream.cyext.errors import PricingError
from arbstream.cyext.v3 import swap as picked_swap
from arbstream.cyext.v3 import swap_py
from arbstream.cyext.v3.pool import V3PoolState
from arbstream.cyext.v3.sqrt_price_math_py import (
    get_amount0_delta_signed,
    get_amount1_delta_signed,
)
from arbstream.cyext.v3.tick_math_py import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)
from arbstream.ingest.v3_bootstrap import fetch_v3_pool_state
from arbstream.localstack.anvil import AnvilNode
from arbstream.localstack.deploy import create_address, dev_account, sort_tokens
from tests.integration.chain_snapshot import restored
from tests.integration.raw_rpc import RawRpc

try:
    cy_swap: ModuleType | None = importlib.import_module("arbstream.cyext.v3._swap")
except ImportError:
    cy_swap = None

pytestmark = pytest.mark.integration

CHAIN_ID = 1337
SEED = 0x5EED_0B3C
#: (fee in pips, tick spacing); 100/1 is enabled by the factory owner (not a v3-core default)
FEE_TIERS: tuple[tuple[int, int], ...] = ((100, 1), (500, 10), (3000, 60), (10000, 200))
N_POSITIONS = 12  # per pool, before the swaps
N_SWAPS = 300  # per pool
P_AS = 0.02  # amountSpecified == 0
P_SPL = 0.05  # a price limit on the wrong side / at or beyond the ratio bounds
P_DRAIN = 0.012  # an exact output no pool can fill: the price runs to the limit
P_KEEP_RUNOFF = 0.1  # share of sized swaps allowed to run past all liquidity
P_TINY = 0.15  # |amount| in 1..1000
P_MINT = 0.02  # a new position between swaps
P_BURN = 0.015  # part of a position burned between swaps
TOKEN_FUNDING = 2**200  # of each token, per V3Caller
DEPLOYER = 0
TRADER_INDICES = (1, 2, 3, 4)  # one per pool: its own nonces, V3Caller and positions
GAS_TOKEN = 1_000_000
GAS_FACTORY = 6_500_000
GAS_CREATE_POOL = 6_000_000
GAS_CALLER = 1_200_000
GAS_SMALL = 200_000
GAS_MINT = 700_000
GAS_BURN = 400_000
#: A swap that runs to MIN/MAX_TICK in a spacing-1 pool steps through ~7,000 bitmap words
#: (well over the default 30M block gas limit); the fixture raises the block gas limit.
GAS_SWAP = 400_000_000
BLOCK_GAS_LIMIT = 1_000_000_000
Q96 = 2**96
UINT160_MAX = 2**160 - 1

SWAP_TOPIC = event_topic("Swap(address,address,int256,int256,uint160,uint128,int24)")
MINT_TOPIC = event_topic("Mint(address,address,int24,int24,uint128,uint256,uint256)")
BURN_TOPIC = event_topic("Burn(address,int24,int24,uint128,uint256,uint256)")
INITIALIZE_TOPIC = event_topic("Initialize(uint160,int24)")

#: (name, flat swap function) under test; all must agree on every input.
SwapFn = Callable[..., Any]
KERNELS: tuple[tuple[str, SwapFn], ...] = (
    ("swap_py", swap_py.swap),
    (f"swap[{getattr(picked_swap, 'IMPLEMENTATION', '?')}]", picked_swap.swap),
    *((("_swap", cy_swap.swap),) if cy_swap is not None else ()),
)


# ------------------------------------------------------------------ JSON-RPC


def selector(signature: str) -> str:
    return "0x" + function_signature_to_4byte_selector(signature).hex()


class Calldata:
    """ABI-encoded calls by signature (no contract objects in the hot loop)."""

    def __init__(self, w3: AsyncWeb3[Any]) -> None:
        self.codec = w3.codec

    def __call__(self, signature: str, *args: Any) -> str:
        types = signature[signature.index("(") + 1 : -1]
        arg_types = [t for t in types.split(",") if t]
        return selector(signature) + self.codec.encode(arg_types, list(args)).hex()


async def dev_accounts(rpc: RawRpc, *indexes: int) -> list[Account]:
    """Anvil's dev accounts ``indexes`` with their pending nonces, paying 4x the latest base
    fee plus a 0.1 gwei tip."""
    latest = await rpc.request("eth_getBlockByNumber", ["latest", False])
    tip = 10**8
    max_fee = 4 * int(latest["baseFeePerGas"], 16) + tip
    out = []
    for index in indexes:
        addr = dev_account(index).address
        nonce = int(await rpc.request("eth_getTransactionCount", [addr, "pending"]), 16)
        out.append(Account(rpc, addr, nonce, max_fee, tip))
    return out


class Account:
    """An unlocked dev account: Anvil signs (eth_sendTransaction); explicit nonces and fees."""

    def __init__(self, rpc: RawRpc, address: str, nonce: int, max_fee: int, tip: int) -> None:
        self.rpc = rpc
        self.address = address
        self.nonce = nonce
        self.max_fee = max_fee
        self.tip = tip

    async def send(self, to: str | None, data: str, gas: int) -> str:
        tx = {
            "from": self.address,
            "chainId": hex(CHAIN_ID),
            "type": "0x2",
            "nonce": hex(self.nonce),
            "gas": hex(gas),
            "maxFeePerGas": hex(self.max_fee),
            "maxPriorityFeePerGas": hex(self.tip),
            "value": "0x0",
            "data": data,
        }
        if to is not None:
            tx["to"] = to
        tx_hash = str(await self.rpc.request("eth_sendTransaction", [tx]))
        self.nonce += 1
        return tx_hash

    async def transact(self, to: str | None, data: str, gas: int, label: str) -> dict[str, Any]:
        """Send and wait for the receipt; the transaction must succeed."""
        rcpt = await self.rpc.receipt(await self.send(to, data, gas))
        assert rcpt["status"] == "0x1", f"{label} reverted: {rcpt}"
        return rcpt


def topic_int(topic: str) -> int:
    """A signed indexed int24 topic."""
    v = int(topic, 16)
    return v - 2**256 if v >= 2**255 else v


def pool_logs(rcpt: dict[str, Any], pool: str, topic: str) -> list[dict[str, Any]]:
    return [
        lg
        for lg in rcpt["logs"]
        if lg["topics"][0] == topic and to_checksum_address(lg["address"]) == pool
    ]


# ------------------------------------------------------------------ the twin, as the test sees it


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """A swap's result (amount0, amount1, price, tick, liquidity after, ticks crossed)."""

    amount0: int
    amount1: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    ticks_crossed: int

    @property
    def chain_view(self) -> tuple[int, int, int, int, int]:
        return (self.amount0, self.amount1, self.sqrt_price_x96, self.tick, self.liquidity)


Verdict = Outcome | str  # a result, or the revert reason as "<ErrorClass>: <reason>"


def verdict_of(fn: Callable[[], Any]) -> Verdict:
    try:
        out = fn()
    except PricingError as exc:
        return f"{type(exc).__name__}: {exc.reason}"
    return to_outcome(out)


def to_outcome(out: Any) -> Outcome:
    if isinstance(out, tuple):
        return Outcome(*(int(v) for v in out))
    return Outcome(
        int(out.amount0),
        int(out.amount1),
        int(out.sqrt_price_x96),
        int(out.tick),
        int(out.liquidity),
        int(out.ticks_crossed),
    )


def flat_args(state: V3PoolState) -> tuple[Any, ...]:
    """(sqrt_price_x96, tick, liquidity, fee_pips, tick_spacing, ticks, liquidity_nets)."""
    return (
        state.sqrt_price_x96,
        state.tick,
        state.liquidity,
        state.fee,
        state.tick_spacing,
        list(state.ticks),
        list(state.liquidity_net),
    )


def snapshot(state: V3PoolState) -> dict[str, Any]:
    """Everything a bootstrap must reproduce, in plain values."""
    return {
        "address": to_checksum_address(state.address),
        "token0": to_checksum_address(state.token0),
        "token1": to_checksum_address(state.token1),
        "fee": state.fee,
        "tick_spacing": state.tick_spacing,
        "sqrt_price_x96": state.sqrt_price_x96,
        "tick": state.tick,
        "liquidity": state.liquidity,
        "ticks": dict(
            zip(
                state.ticks,
                zip(state.liquidity_gross, state.liquidity_net, strict=True),
                strict=True,
            )
        ),
    }


def predict(
    state: V3PoolState, zero_for_one: bool, amount: int, limit: int
) -> tuple[Verdict, dict[str, Verdict]]:
    """The twin's (swap_py) verdict on a swap, and every other implementation's verdict that
    differs from it (the picked kernel, the Cython ``_swap``, ``V3PoolState.swap``)."""
    args = (*flat_args(state), zero_for_one, amount, limit)
    verdicts = {name: verdict_of(lambda fn=fn: fn(*args)) for name, fn in KERNELS}  # type: ignore[misc]
    verdicts["V3PoolState.swap"] = verdict_of(lambda: state.swap(zero_for_one, amount, limit))
    twin = verdicts.pop("swap_py")
    return twin, {name: v for name, v in verdicts.items() if v != twin}


def chain_reason(verdict: str) -> str:
    """The revert string the pool gives for a twin verdict '<Class>: <reason>'."""
    return verdict.split(": ", 1)[1] if ": " in verdict else ""


# ------------------------------------------------------------------ random inputs


def log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def random_sqrt_price(rng: random.Random, tick_lo: int, tick_hi: int) -> int:
    """A price strictly inside a random tick of [tick_lo, tick_hi) (not on a tick boundary)."""
    t = rng.randrange(tick_lo, tick_hi)
    a, b = get_sqrt_ratio_at_tick(t), get_sqrt_ratio_at_tick(t + 1)
    return rng.randrange(a + 1, b)


def random_position(
    rng: random.Random, tick: int, spacing: int, *, out_of_range: bool = False, narrow: bool = False
) -> tuple[int, int, int]:
    """(tick_lower, tick_upper, liquidity): a range around `tick` (or beside it)."""
    lo_bound, hi_bound = -(MAX_TICK // spacing) * spacing, (MAX_TICK // spacing) * spacing
    if rng.random() < 0.06:
        lower, upper = lo_bound, hi_bound  # full range
    else:
        width = (
            rng.randint(1, 12) if narrow else max(1, round(log_uniform(rng, 1, 30_000 / spacing)))
        )
        if out_of_range:
            gap = round(log_uniform(rng, 1, 8_000 / spacing))
            start = tick // spacing + gap if rng.random() < 0.5 else tick // spacing - gap - width
        else:
            start = tick // spacing - rng.randrange(width + 1)
        lower = max(lo_bound, start * spacing)
        upper = min(hi_bound, max(lower + spacing, (start + width) * spacing))
    return lower, upper, round(log_uniform(rng, 1e6, 1e22))


@dataclasses.dataclass(frozen=True, slots=True)
class SwapPlan:
    kind: str  # "tiny", "sized", "drain", "AS", "SPL"
    zero_for_one: bool
    amount: int  # > 0 exact input, < 0 exact output
    limit: int


def plan_swap(rng: random.Random, state: V3PoolState, liquid: tuple[int, int]) -> SwapPlan:
    """A random swap sized from the mirrored state (the twin only sizes it; the chain judges)."""
    sqrt_p, tick = state.sqrt_price_x96, state.tick
    zfo = rng.random() < 0.5
    if tick < liquid[0] and rng.random() < 0.85:  # below all liquidity: mostly head back
        zfo = False
    elif tick >= liquid[1] and rng.random() < 0.85:
        zfo = True
    default_limit = MIN_SQRT_RATIO + 1 if zfo else MAX_SQRT_RATIO - 1
    exact_in = rng.random() < 0.5
    sign = 1 if exact_in else -1

    r = rng.random()
    if r < P_AS:
        return SwapPlan("AS", zfo, 0, default_limit)
    if r < P_AS + P_SPL:
        delta = rng.randint(1, max(1, sqrt_p // 1000))
        if zfo:
            bad = [
                sqrt_p,
                min(sqrt_p + delta, UINT160_MAX),
                MIN_SQRT_RATIO,
                rng.randint(0, MIN_SQRT_RATIO),
            ]
        else:
            bad = [
                sqrt_p,
                max(0, sqrt_p - delta),
                MAX_SQRT_RATIO,
                rng.randint(MAX_SQRT_RATIO, UINT160_MAX),
            ]
        return SwapPlan("SPL", zfo, sign * rng.randint(1, 10**18), rng.choice(bad))
    if r < P_AS + P_SPL + P_DRAIN:
        return SwapPlan("drain", zfo, -(2**127), default_limit)

    # the price limit: mostly none; else part of the way to, or just beside, the price
    ahead = (
        [t for t in reversed(state.ticks) if t <= tick]
        if zfo
        else [t for t in state.ticks if t > tick]
    )
    if ahead and rng.random() < 0.5:  # just past one of the next few initialized ticks
        nth = ahead[rng.randrange(min(6, len(ahead)))]
        target_tick = nth + rng.randint(0, 3 * state.tick_spacing) * (-1 if zfo else 1)
    else:
        target_tick = tick - round(log_uniform(rng, 1, 40_000)) * (1 if zfo else -1)
    target_tick = min(max(target_tick, MIN_TICK), MAX_TICK)
    target = min(max(get_sqrt_ratio_at_tick(target_tick), MIN_SQRT_RATIO + 1), MAX_SQRT_RATIO - 1)
    lr = rng.random()
    if lr < 0.6:
        limit = default_limit
    elif lr < 0.85:
        limit = sqrt_p + (target - sqrt_p) * rng.randint(1, 999) // 1000
    else:
        limit = sqrt_p + rng.randint(1, 1000) * (-1 if zfo else 1)
    limit = min(max(limit, MIN_SQRT_RATIO + 1), MAX_SQRT_RATIO - 1)

    if rng.random() < P_TINY:
        return SwapPlan("tiny", zfo, sign * rng.randint(1, 1000), limit)
    # how much moves the price to the target (the twin, exact input up to the target)
    amount = 0
    if (target < sqrt_p) == zfo and target != sqrt_p:
        probe = predict_quiet(state, zfo, 2**200, target)
        if isinstance(probe, Outcome):
            needed = (probe.amount0, -probe.amount1) if zfo else (probe.amount1, -probe.amount0)
            base = needed[0] if exact_in else needed[1]
            amount = round(base * log_uniform(rng, 0.02, 3.0))
    if amount <= 0:
        amount = round(log_uniform(rng, 1, 2**80))
    if limit == default_limit and rng.random() < P_KEEP_RUNOFF:
        return SwapPlan("sized", zfo, sign * amount, limit)
    # running past all liquidity to MIN/MAX_TICK is what "drain" swaps test; as a side effect
    # of sizing it would dominate the run (in a spacing-1 pool one costs ~30M gas)
    outcome = predict_quiet(state, zfo, sign * amount, limit)
    if isinstance(outcome, Outcome) and outcome.sqrt_price_x96 == default_limit:
        limit = sqrt_p + (target - sqrt_p) * rng.randint(500, 1000) // 1000
        limit = min(max(limit, MIN_SQRT_RATIO + 1), MAX_SQRT_RATIO - 1)
    return SwapPlan("sized", zfo, sign * amount, limit)


def predict_quiet(state: V3PoolState, zfo: bool, amount: int, limit: int) -> Verdict:
    return verdict_of(lambda: swap_py.swap(*flat_args(state), zfo, amount, limit))


# ------------------------------------------------------------------ fixtures


@dataclasses.dataclass
class PoolEnv:
    fee: int
    spacing: int
    address: str
    trader: Account
    caller: str  # the trader's V3Caller
    mirror: V3PoolState
    positions: dict[tuple[int, int], int]  # (lower, upper) -> liquidity, owned by the trader
    rng: random.Random
    mint_checks: int = 0


@dataclasses.dataclass
class V3Env:
    node: AnvilNode
    w3: AsyncWeb3[Any]
    rpc: RawRpc
    data: Calldata
    token0: str
    token1: str
    factory: str
    pools: list[PoolEnv]
    mint_block: int = 0
    mint_snapshots: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)


@pytest.fixture(scope="module")
def v3_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    node = AnvilNode(CHAIN_ID, tmp_path_factory.mktemp("anvil-v3-oracle"), block_time=None)
    with node:
        yield node


def position_amounts(state: V3PoolState, lower: int, upper: int, delta: int) -> tuple[int, int]:
    """UniswapV3Pool._modifyPosition's (amount0, amount1) for a liquidity delta, by the twin's
    SqrtPriceMath (positive delta: owed to the pool, rounded up; negative: rounded down)."""
    sqrt_lo, sqrt_hi = get_sqrt_ratio_at_tick(lower), get_sqrt_ratio_at_tick(upper)
    if state.tick < lower:
        return get_amount0_delta_signed(sqrt_lo, sqrt_hi, delta), 0
    if state.tick < upper:
        return (
            get_amount0_delta_signed(state.sqrt_price_x96, sqrt_hi, delta),
            get_amount1_delta_signed(sqrt_lo, state.sqrt_price_x96, delta),
        )
    return 0, get_amount1_delta_signed(sqrt_lo, sqrt_hi, delta)


async def mint_position(env: V3Env, pool: PoolEnv, lower: int, upper: int, amount: int) -> None:
    """V3Caller.mint, mirrored; the Mint event must match the twin's amounts owed."""
    data = env.data(
        "mint(address,address,int24,int24,uint128)",
        pool.address,
        pool.trader.address,
        lower,
        upper,
        amount,
    )
    rcpt = await pool.trader.transact(pool.caller, data, GAS_MINT, f"mint {lower} {upper}")
    (lg,) = pool_logs(rcpt, pool.address, MINT_TOPIC)
    assert [topic_int(t) for t in lg["topics"][2:]] == [lower, upper]
    _, got_amount, got0, got1 = env.w3.codec.decode(
        ["address", "uint128", "uint256", "uint256"], bytes.fromhex(lg["data"][2:])
    )
    assert got_amount == amount
    owed = position_amounts(pool.mirror, lower, upper, amount)
    assert owed == (got0, got1), f"mint {lower} {upper} {amount}: twin {owed}"
    pool.mint_checks += 1
    pool.mirror = pool.mirror.apply_mint(lower, upper, amount)
    pool.positions[(lower, upper)] = pool.positions.get((lower, upper), 0) + amount


async def burn_position(env: V3Env, pool: PoolEnv, lower: int, upper: int, amount: int) -> None:
    """pool.burn by the position's owner (the trader), mirrored."""
    data = env.data("burn(int24,int24,uint128)", lower, upper, amount)
    rcpt = await pool.trader.transact(pool.address, data, GAS_BURN, f"burn {lower} {upper}")
    (lg,) = pool_logs(rcpt, pool.address, BURN_TOPIC)
    _, got0, got1 = env.w3.codec.decode(
        ["uint128", "uint256", "uint256"], bytes.fromhex(lg["data"][2:])
    )
    owed = position_amounts(pool.mirror, lower, upper, -amount)
    assert owed == (-got0, -got1), f"burn {lower} {upper} {amount}: twin {owed}"
    pool.mint_checks += 1
    pool.mirror = pool.mirror.apply_burn(lower, upper, amount)
    pool.positions[(lower, upper)] -= amount
    if pool.positions[(lower, upper)] == 0:
        del pool.positions[(lower, upper)]


@pytest_asyncio.fixture(scope="module")
async def v3_seeded(v3_node: AnvilNode) -> AsyncIterator[V3Env]:
    """Tokens, the factory, four pools (one per fee tier), V3Callers, random positions."""
    w3 = AsyncWeb3(AsyncHTTPProvider(v3_node.http_url, request_kwargs={"timeout": 60}))
    try:
        rpc = RawRpc(w3)
        data = Calldata(w3)
        assert await rpc.request("evm_setBlockGasLimit", [hex(BLOCK_GAS_LIMIT)]) is True
        await rpc.request("evm_mine", [])
        deployer, *traders = await dev_accounts(rpc, DEPLOYER, *TRADER_INDICES)
        token_art = load_artifact("TestToken")
        codec = w3.codec

        # stage 1: tokens and factory (deployer), a V3Caller per trader
        sent: list[str] = []

        async def deploy(acct: Account, bytecode: str, ctor: bytes, gas: int) -> str:
            addr = create_address(acct.address, acct.nonce)
            sent.append(await acct.send(None, bytecode + ctor.hex(), gas))
            return addr

        tok_a = await deploy(
            deployer,
            token_art.bytecode,
            codec.encode(["string", "string", "uint8"], ["Wrapped Ether", "WETH", 18]),
            GAS_TOKEN,
        )
        tok_b = await deploy(
            deployer,
            token_art.bytecode,
            codec.encode(["string", "string", "uint8"], ["USD Coin", "USDC", 6]),
            GAS_TOKEN,
        )
        factory = await deploy(
            deployer, load_artifact("UniswapV3Factory").bytecode, b"", GAS_FACTORY
        )
        callers = [
            await deploy(t, load_artifact("V3Caller").bytecode, b"", GAS_CALLER) for t in traders
        ]
        rcpts = await rpc.wait_all(sent, "deploy")
        assert [to_checksum_address(r["contractAddress"]) for r in rcpts] == [
            tok_a,
            tok_b,
            factory,
            *callers,
        ]
        token0, token1 = sort_tokens(tok_a, tok_b)

        # stage 2: fee 100 enabled, the pools created, every V3Caller funded
        sent = [
            await deployer.send(factory, data("enableFeeAmount(uint24,int24)", 100, 1), GAS_SMALL)
        ]
        pool_init_hash = keccak(load_artifact("UniswapV3Pool").bytecode_bytes)
        addresses = []
        for fee, _ in FEE_TIERS:
            sent.append(
                await deployer.send(
                    factory,
                    data("createPool(address,address,uint24)", tok_a, tok_b, fee),
                    GAS_CREATE_POOL,
                )
            )
            salt = keccak(codec.encode(["address", "address", "uint24"], [token0, token1, fee]))
            raw = b"\xff" + bytes.fromhex(factory[2:]) + salt + pool_init_hash
            addresses.append(to_checksum_address(keccak(raw)[12:]))
        for caller in callers:
            for tok in (tok_a, tok_b):
                sent.append(
                    await deployer.send(
                        tok, data("mint(address,uint256)", caller, TOKEN_FUNDING), GAS_SMALL
                    )
                )
        await rpc.wait_all(sent, "pools and funding")
        for (fee, spacing), addr in zip(FEE_TIERS, addresses, strict=True):
            got = await rpc.call(
                factory, data("getPool(address,address,uint24)", tok_b, tok_a, fee)
            )
            assert to_checksum_address("0x" + got[-20:].hex()) == addr
            raw_spacing = await rpc.call(addr, selector("tickSpacing()"))
            assert codec.decode(["int24"], raw_spacing) == (spacing,)

        # stage 3: initialize at a random price; mirror it (the Initialize tick must match)
        pools = []
        for i, ((fee, spacing), addr) in enumerate(zip(FEE_TIERS, addresses, strict=True)):
            rng = random.Random(SEED + i)
            sqrt_p = random_sqrt_price(rng, -250_000, 250_000)
            rcpt = await traders[i].transact(
                addr, data("initialize(uint160)", sqrt_p), GAS_SMALL * 2, "initialize"
            )
            (lg,) = pool_logs(rcpt, addr, INITIALIZE_TOPIC)
            got_sqrt, got_tick = codec.decode(["uint160", "int24"], bytes.fromhex(lg["data"][2:]))
            assert (got_sqrt, got_tick) == (sqrt_p, get_tick_at_sqrt_ratio(sqrt_p))
            mirror = V3PoolState(
                address=addr,
                token0=token0,
                token1=token1,
                fee=fee,
                tick_spacing=spacing,
                sqrt_price_x96=0,
                tick=0,
                liquidity=0,
            ).apply_initialize(got_sqrt, got_tick)
            pools.append(PoolEnv(fee, spacing, addr, traders[i], callers[i], mirror, {}, rng))

        env = V3Env(v3_node, w3, rpc, data, token0, token1, factory, pools)

        # stage 4: random positions through V3Caller (in range, overlapping, out of range)
        async def seed_positions(pool: PoolEnv) -> None:
            for k in range(N_POSITIONS):
                lower, upper, amount = random_position(
                    pool.rng,
                    pool.mirror.tick,
                    pool.spacing,
                    out_of_range=k % 3 == 2,
                    narrow=k % 4 == 0,
                )
                await mint_position(env, pool, lower, upper, amount)

        await asyncio.gather(*(seed_positions(p) for p in pools))
        env.mint_block = int(await rpc.request("eth_blockNumber", []), 16)
        env.mint_snapshots = {p.address: snapshot(p.mirror) for p in pools}
        yield env
    finally:
        await w3.provider.disconnect()


@pytest.fixture
def v3(v3_node: AnvilNode, v3_seeded: V3Env) -> Iterator[V3Env]:
    """The seeded pools as every test finds them: the chain is reverted after the test
    (``evm_snapshot``/``evm_revert``) and so is the mirror of each pool (its state, positions,
    random generator, checked mints and the trader's nonce), since tests swap, mint and burn."""
    saved = [
        (p.mirror, dict(p.positions), p.rng.getstate(), p.mint_checks, p.trader.nonce)
        for p in v3_seeded.pools
    ]
    with restored(v3_node.http_url):
        yield v3_seeded
    for pool, (mirror, positions, rng_state, mint_checks, nonce) in zip(
        v3_seeded.pools, saved, strict=True
    ):
        pool.mirror, pool.positions, pool.mint_checks = mirror, positions, mint_checks
        pool.rng.setstate(rng_state)
        pool.trader.nonce = nonce


# ------------------------------------------------------------------ the swap oracle


@dataclasses.dataclass
class Mismatch:
    pool: str
    fee: int
    index: int
    plan: SwapPlan
    state_before: tuple[int, int, int]  # sqrt price, tick, liquidity
    what: str  # "<left> vs <right>: <field>"
    twin: Any  # the left side
    chain: Any  # the right side

    def __str__(self) -> str:
        return (
            f"fee {self.fee} swap #{self.index} {self.plan} from (sqrtP, tick, L)="
            f"{self.state_before}: {self.what}: {self.twin!r} != {self.chain!r}"
        )


@dataclasses.dataclass
class Stats:
    swaps: collections.Counter[int] = dataclasses.field(default_factory=collections.Counter)
    executed: collections.Counter[int] = dataclasses.field(default_factory=collections.Counter)
    reverts: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    kinds: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    crossed: collections.Counter[int] = dataclasses.field(default_factory=collections.Counter)
    exact_out: int = 0
    stopped_at_limit: int = 0
    partial_fill: int = 0
    zero_liquidity_after: int = 0
    quotes: int = 0
    max_gas: int = 0
    plan_seconds: float = 0.0
    predict_seconds: float = 0.0
    kernel_disagreements: collections.Counter[str] = dataclasses.field(
        default_factory=collections.Counter
    )
    mints: int = 0
    burns: int = 0
    mismatches: list[Mismatch] = dataclasses.field(default_factory=list)


class PoolDriver:
    def __init__(self, env: V3Env, pool: PoolEnv, stats: Stats) -> None:
        self.env, self.pool, self.stats = env, pool, stats
        self.codec = env.w3.codec

    def liquid_range(self) -> tuple[int, int]:
        ticks = sorted(self.pool.mirror.ticks)
        return (ticks[0], ticks[-1]) if ticks else (MIN_TICK, MAX_TICK)

    async def chain_state(self) -> tuple[int, int, int]:
        slot0, liq = await asyncio.gather(
            self.env.rpc.call(self.pool.address, selector("slot0()")),
            self.env.rpc.call(self.pool.address, selector("liquidity()")),
        )
        sqrt_p, tick = self.codec.decode(["uint160", "int24"], slot0[:64])
        return int(sqrt_p), int(tick), int(self.codec.decode(["uint128"], liq)[0])

    async def run(self) -> None:
        for i in range(N_SWAPS):
            await self.maybe_change_liquidity()
            await self.one(i)

    async def maybe_change_liquidity(self) -> None:
        pool, rng = self.pool, self.pool.rng
        r = rng.random()
        if r < P_MINT:
            lower, upper, amount = random_position(
                rng,
                pool.mirror.tick,
                pool.spacing,
                out_of_range=rng.random() < 0.3,
                narrow=rng.random() < 0.5,
            )
            await mint_position(self.env, pool, lower, upper, amount)
            self.stats.mints += 1
        elif r < P_MINT + P_BURN and pool.positions:
            (lower, upper), have = rng.choice(sorted(pool.positions.items()))
            amount = have if rng.random() < 0.4 else rng.randint(1, have)
            await burn_position(self.env, pool, lower, upper, amount)
            self.stats.burns += 1

    def mismatch(
        self, i: int, plan: SwapPlan, before: Any, what: str, twin: Any, chain: Any
    ) -> None:
        self.stats.mismatches.append(
            Mismatch(self.pool.address, self.pool.fee, i, plan, before, what, twin, chain)
        )

    async def one(self, i: int) -> None:
        pool, env, stats = self.pool, self.env, self.stats
        mirror = pool.mirror
        before = (mirror.sqrt_price_x96, mirror.tick, mirror.liquidity)
        t0 = time.perf_counter()
        plan = plan_swap(pool.rng, mirror, self.liquid_range())
        t1 = time.perf_counter()
        # BEFORE sending: the twin's verdict, and the kernels that disagree with it
        verdict, others = predict(mirror, plan.zero_for_one, plan.amount, plan.limit)
        stats.plan_seconds += t1 - t0
        stats.predict_seconds += time.perf_counter() - t1
        for name, other in others.items():
            self.mismatch(i, plan, before, f"{name} vs swap_py: verdict", other, verdict)
            stats.kernel_disagreements[name] += 1
        args = (pool.address, plan.zero_for_one, plan.amount, plan.limit)
        swap_data = env.data("swapExact(address,bool,int256,uint160)", *args)
        quote_data = env.data("quote(address,bool,int256,uint160)", *args)
        stats.swaps[pool.fee] += 1
        stats.kinds[plan.kind] += 1
        stats.exact_out += plan.amount < 0
        trader = pool.trader.address

        if isinstance(verdict, str):  # the twin says: reverts
            reason = chain_reason(verdict)
            got_call, got_quote = await asyncio.gather(
                env.rpc.call_or_reason(pool.caller, swap_data, trader),
                env.rpc.call_or_reason(pool.caller, quote_data, trader),
            )
            if got_call != reason:
                self.mismatch(i, plan, before, "twin vs chain: swap revert", verdict, got_call)
            if got_quote != reason:
                self.mismatch(i, plan, before, "twin vs chain: quote revert", verdict, got_quote)
            # and mined: the transaction fails and changes nothing
            rcpt = await env.rpc.receipt(await pool.trader.send(pool.caller, swap_data, GAS_SWAP))
            if rcpt["status"] != "0x0" or rcpt["logs"]:
                self.mismatch(i, plan, before, "twin vs chain: mined revert", "status 0x0", rcpt)
            after = await self.chain_state()
            if after != before:
                self.mismatch(i, plan, before, "twin vs chain: state after revert", before, after)
            stats.reverts[reason] += 1
            return

        quote = await env.rpc.call_or_reason(pool.caller, quote_data, trader)
        if isinstance(quote, str):
            self.mismatch(i, plan, before, "twin vs chain: quote", verdict.chain_view, quote)
        else:
            got_q = tuple(
                int(v)
                for v in self.codec.decode(
                    ["int256", "int256", "uint160", "int24", "uint128"], quote
                )
            )
            stats.quotes += 1
            if got_q != verdict.chain_view:
                self.mismatch(i, plan, before, "twin vs chain: quote", verdict.chain_view, got_q)

        rcpt = await env.rpc.receipt(await pool.trader.send(pool.caller, swap_data, GAS_SWAP))
        gas_used = int(rcpt["gasUsed"], 16)
        stats.max_gas = max(stats.max_gas, gas_used)
        if rcpt["status"] != "0x1":
            replay = await env.rpc.call_or_reason(pool.caller, swap_data, trader)
            self.mismatch(
                i,
                plan,
                before,
                "twin vs chain: swap",
                verdict.chain_view,
                f"mined swap reverted (gas used {gas_used} of {GAS_SWAP}); eth_call: "
                + (repr(replay) if isinstance(replay, str) else "succeeds"),
            )
            return
        (lg,) = pool_logs(rcpt, pool.address, SWAP_TOPIC)
        a0, a1, ev_sqrt, ev_liq, ev_tick = (
            int(v)
            for v in self.codec.decode(
                ["int256", "int256", "uint160", "uint128", "int24"], bytes.fromhex(lg["data"][2:])
            )
        )
        sqrt_p, tick, liq = await self.chain_state()
        stats.executed[pool.fee] += 1
        stats.crossed[verdict.ticks_crossed] += 1
        stats.stopped_at_limit += verdict.sqrt_price_x96 == plan.limit
        stats.zero_liquidity_after += verdict.liquidity == 0
        specified = a0 if plan.zero_for_one == (plan.amount > 0) else a1
        stats.partial_fill += specified != plan.amount
        checks = (
            ("twin vs chain: Swap event amount0", verdict.amount0, a0),
            ("twin vs chain: Swap event amount1", verdict.amount1, a1),
            ("twin vs chain: Swap event sqrtPriceX96", verdict.sqrt_price_x96, ev_sqrt),
            ("twin vs chain: Swap event tick", verdict.tick, ev_tick),
            ("twin vs chain: Swap event liquidity", verdict.liquidity, ev_liq),
            ("twin vs chain: slot0.sqrtPriceX96", verdict.sqrt_price_x96, sqrt_p),
            ("twin vs chain: slot0.tick", verdict.tick, tick),
            ("twin vs chain: liquidity()", verdict.liquidity, liq),
        )
        for what, twin, chain in checks:
            if twin != chain:
                self.mismatch(i, plan, before, what, twin, chain)
        # the mirror follows the chain's event (what the ingest path does)
        mirror = pool.mirror = mirror.apply_swap_event(ev_sqrt, ev_liq, ev_tick)
        if (mirror.sqrt_price_x96, mirror.tick, mirror.liquidity) != (sqrt_p, tick, liq):
            self.mismatch(
                i,
                plan,
                before,
                "mirror vs chain: after apply_swap_event",
                (mirror.sqrt_price_x96, mirror.tick, mirror.liquidity),
                (sqrt_p, tick, liq),
            )


async def test_bootstrap_after_mints(v3: V3Env) -> None:
    """fetch_v3_pool_state rebuilds every pool's mirrored state (ticks, nets, gross, price)."""
    for pool in v3.pools:
        assert len(pool.mirror.ticks) >= 8, pool.mirror.ticks
        fetched = await fetch_v3_pool_state(v3.w3, pool.address)
        assert isinstance(fetched, V3PoolState)
        assert snapshot(fetched) == snapshot(pool.mirror)
    assert all(p.mint_checks == N_POSITIONS for p in v3.pools)


async def test_swaps_match_the_real_pool(v3: V3Env) -> None:
    """>= 1,000 random swaps over four fee tiers: the twin's prediction, made before sending,
    equals the pool's Swap event, slot0 and liquidity() after it; its reverts are the pool's."""
    stats = Stats()
    started = time.monotonic()
    await asyncio.gather(*(PoolDriver(v3, p, stats).run() for p in v3.pools))
    took = time.monotonic() - started

    # the pools' final states, and at the post-mint block, rebuilt from the chain
    t_boot, past_seconds = time.monotonic(), 0.0
    for pool in v3.pools:
        fetched = await fetch_v3_pool_state(v3.w3, pool.address, "latest")
        if snapshot(fetched) != snapshot(pool.mirror):
            stats.mismatches.append(
                Mismatch(
                    pool.address,
                    pool.fee,
                    -1,
                    SwapPlan("bootstrap", False, 0, 0),
                    (0, 0, 0),
                    "mirror vs fetch_v3_pool_state: after swaps",
                    snapshot(pool.mirror),
                    snapshot(fetched),
                )
            )
        t_past = time.monotonic()
        past = await fetch_v3_pool_state(v3.w3, pool.address, v3.mint_block)
        assert snapshot(past) == v3.mint_snapshots[pool.address]
        past_seconds += time.monotonic() - t_past

    boot_seconds = time.monotonic() - t_boot
    total = sum(stats.swaps.values())
    executed = sum(stats.executed.values())
    summary = (
        f"\n{total} swaps in {took:.1f}s ({executed} executed and compared, "
        f"{sum(stats.reverts.values())} reverts checked {dict(stats.reverts)}); per fee tier "
        f"{dict(stats.swaps)}, executed {dict(stats.executed)}; kinds {dict(stats.kinds)}; "
        f"exact output {stats.exact_out}; stopped at the price limit {stats.stopped_at_limit}; "
        f"partial fills {stats.partial_fill}; zero liquidity after {stats.zero_liquidity_after}; "
        f"ticks crossed {dict(sorted(stats.crossed.items()))}; quotes {stats.quotes}; "
        f"max swap gas {stats.max_gas:,}; planning {stats.plan_seconds:.1f}s, predicting "
        f"{stats.predict_seconds:.1f}s; "
        f"interleaved mints {stats.mints}, burns {stats.burns}; kernels {[n for n, _ in KERNELS]}, "
        f"disagreeing with swap_py {dict(stats.kernel_disagreements)}; bootstraps after the "
        f"swaps {boot_seconds:.1f}s (at the post-mint block {past_seconds:.1f}s)"
    )
    print(summary)
    assert not stats.mismatches, f"{len(stats.mismatches)} mismatches:\n" + "\n".join(
        map(str, stats.mismatches[:50])
    )
    assert total == N_SWAPS * len(FEE_TIERS) >= 1000
    assert executed >= 900
    assert set(stats.reverts) == {"SPL", "AS"}
    assert all(stats.executed[fee] >= 200 for fee, _ in FEE_TIERS)
    assert stats.exact_out >= 300
    assert stats.stopped_at_limit >= 50
    assert stats.partial_fill >= 50
    assert sum(n for k, n in stats.crossed.items() if k >= 1) >= 200
    assert max(stats.crossed) >= 8
