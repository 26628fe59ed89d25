"""The V2 pricing kernel (Cython) and its pure-Python twin against the real Uniswap V2 bytecode.

The deployed ``UniswapV2Pair`` is the oracle for ``get_amount_out``: for every seeded random swap
the input is transferred to the pair, then

* ``swap(out + 1)`` (``eth_call``) must revert with ``UniswapV2: K`` - one unit more than the
  kernel's quote breaks the pair's fee-adjusted invariant, so the quote is the *maximum*;
* ``swap(out)`` (a mined transaction) must succeed, and its Transfer/Sync/Swap events and the
  new reserves must be exactly ``(reserve_in + amount_in, reserve_out - out)``.

A quote of 0 cannot be swapped (``UniswapV2: INSUFFICIENT_OUTPUT_AMOUNT``); the input is then
skimmed back. ``UniswapV2Router02.getAmountOut`` / ``getAmountIn`` (pure, ``eth_call``) are the
oracle for random (amount, reserve) triples up to uint112 max, revert reasons included.

Each pool is driven by its own trader account (own nonces), so the ten pools run concurrently;
the per-pool swap sequence, and so every check, is fixed by the seed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import pytest
import pytest_asyncio
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.exceptions import ContractLogicError, Web3RPCError

from arbstream.abi import (
    ERC20_ABI,
    SWAP_TOPIC,
    SYNC_TOPIC,
    TRANSFER_TOPIC,
    V2_PAIR_ABI,
)
from arbstream.artifacts import load_artifact
from arbstream.cyext import _v2_math as cy_kernel
from arbstream.cyext import v2_math as picked_kernel
from arbstream.cyext import v2_math_py as py_twin
from arbstream.cyext.errors import DivisionByZero, PricingError
from arbstream.localstack.anvil import AnvilNode, rpc_call
from arbstream.localstack.deploy import deploy_market, dev_account, dev_traders
from arbstream.localstack.market_spec import DeployedMarket, PoolInfo, default_market_spec
from tests.integration.chain_snapshot import restored
from tests.integration.raw_rpc import RawRpc

pytestmark = pytest.mark.integration

CHAIN_ID = 1
FEE_BPS = 30  # the real UniswapV2Pair / UniswapV2Library hard-code 997/1000
SEED = 0x5EED_0A7C
N_SWAPS = 660
N_ROUTER_CASES = 160
TINY_SHARE = 0.15  # share of swaps with an input of 1..1000 units
MAX_INPUT_SHARE = (3, 10)  # inputs up to 30% of the input reserve
UINT112_MAX = 2**112 - 1
UINT256_MAX = 2**256 - 1
#: One trader per pool (dev accounts 10..19; AnvilNode funds 20 accounts).
TRADER_INDICES = tuple(range(10, 20))
GAS_TRANSFER = 80_000
GAS_SWAP = 250_000
GAS_SKIM = 120_000
RPC_CONCURRENCY = 32

REVERT_K = "UniswapV2: K"
REVERT_NO_OUTPUT = "UniswapV2: INSUFFICIENT_OUTPUT_AMOUNT"

Quote = Callable[[int, int, int, int], int]
#: (name, implementation) of get_amount_out / get_amount_in under test.
OUT_IMPLS: tuple[tuple[str, Quote], ...] = (
    ("cython", cy_kernel.get_amount_out),
    ("twin", py_twin.get_amount_out),
    ("picker", picked_kernel.get_amount_out),
)
IN_IMPLS: tuple[tuple[str, Quote], ...] = (
    ("cython", cy_kernel.get_amount_in),
    ("twin", py_twin.get_amount_in),
    ("picker", picked_kernel.get_amount_in),
)


# ------------------------------------------------------------------ fixtures


@dataclasses.dataclass
class OracleChain:
    node: AnvilNode
    w3: AsyncWeb3[Any]
    market: DeployedMarket
    traders: list[LocalAccount]
    max_fee: int
    tip: int


@pytest.fixture(scope="module")
def oracle_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    node = AnvilNode(CHAIN_ID, tmp_path_factory.mktemp("anvil-v2-oracle"), block_time=None)
    with node:
        yield node


@pytest.fixture
def oracle(oracle_node: AnvilNode, oracle_chain: OracleChain) -> Iterator[OracleChain]:
    """The deployed market as every test finds it: tests swap on it, so the chain is reverted
    after each one (``evm_snapshot``/``evm_revert``); nonces are read from the chain per test."""
    with restored(oracle_node.http_url):
        yield oracle_chain


@pytest_asyncio.fixture(scope="module")
async def oracle_chain(oracle_node: AnvilNode) -> AsyncIterator[OracleChain]:
    """The default chain-1 market on a private automining Anvil, ten well-funded traders."""
    w3 = AsyncWeb3(AsyncHTTPProvider(oracle_node.http_url, request_kwargs={"timeout": 30}))
    try:
        traders = dev_traders(TRADER_INDICES)
        # plenty of every token, so a random walk of swaps never runs a trader dry
        for trader in traders:
            rpc_call(oracle_node.http_url, "anvil_setBalance", [trader.address, hex(10**25)])
        spec = dataclasses.replace(
            default_market_spec(CHAIN_ID), trader_token_usd=1e10, trader_weth=1_000_000.0
        )
        market = await deploy_market(w3, CHAIN_ID, dev_account(0), spec, traders=traders)
        latest = await w3.eth.get_block("latest")
        base_fee = int(latest.get("baseFeePerGas", 10**9) or 10**9)
        tip = 10**8
        yield OracleChain(oracle_node, w3, market, traders, 4 * base_fee + tip, tip)
    finally:
        await w3.provider.disconnect()


# ------------------------------------------------------------------ helpers


def quote_all(impls: Sequence[tuple[str, Quote]], a: int, r_in: int, r_out: int) -> int | str:
    """Every implementation's verdict (value, or the revert reason); all must agree."""
    verdicts: dict[str, int | str] = {}
    for name, fn in impls:
        try:
            verdicts[name] = fn(a, r_in, r_out, FEE_BPS)
        except PricingError as exc:
            verdicts[name] = f"{type(exc).__name__}: {exc.reason}"
    assert len(set(verdicts.values())) == 1, f"kernels disagree on {(a, r_in, r_out)}: {verdicts}"
    return verdicts[impls[0][0]]


def log_uniform_amount(cap: int, u: float, salt: int) -> int:
    """An integer in [1, cap], log-uniform via `u`, with random low bits below float precision."""
    amount = max(1, int(math.exp(u * math.log(cap)))) if cap > 1 else 1
    low_bits = amount.bit_length() - 53
    if low_bits > 0:
        amount = (amount >> low_bits << low_bits) | (salt & ((1 << low_bits) - 1))
    return min(max(amount, 1), cap)


def word_address(topic: str) -> str:
    """The address in an indexed-address topic, checksummed."""
    assert int(topic[:26], 16) == 0, topic
    return to_checksum_address("0x" + topic[-40:])


def decode_log(w3: AsyncWeb3[Any], lg: dict[str, Any]) -> tuple[Any, ...]:
    """(emitter, event name, *args) of a Transfer, Sync or Swap log, from the raw bytes."""
    topics, data = lg["topics"], bytes.fromhex(lg["data"][2:])
    emitter = to_checksum_address(lg["address"])
    if topics[0] == TRANSFER_TOPIC:
        (value,) = w3.codec.decode(["uint256"], data)
        return (emitter, "Transfer", word_address(topics[1]), word_address(topics[2]), value)
    if topics[0] == SYNC_TOPIC:
        assert len(topics) == 1
        return (emitter, "Sync", *w3.codec.decode(["uint112", "uint112"], data))
    if topics[0] == SWAP_TOPIC:
        amounts = w3.codec.decode(["uint256"] * 4, data)
        return (emitter, "Swap", word_address(topics[1]), *amounts, word_address(topics[2]))
    raise AssertionError(f"unexpected log {lg}")


@dataclasses.dataclass(frozen=True, slots=True)
class PlannedSwap:
    pool_index: int
    zero_for_one: bool  # token0 in, token1 out
    tiny: int  # > 0: exactly this many input units; 0: log-uniform
    u: float
    salt: int


def plan_swaps(seed: int, n: int, n_pools: int) -> list[PlannedSwap]:
    rng = random.Random(seed)
    plans = []
    for _ in range(n):
        tiny = rng.randint(1, 1000) if rng.random() < TINY_SHARE else 0
        plans.append(
            PlannedSwap(
                pool_index=rng.randrange(n_pools),
                zero_for_one=rng.random() < 0.5,
                tiny=tiny,
                u=rng.random(),
                salt=rng.getrandbits(128),
            )
        )
    return plans


@dataclasses.dataclass
class SwapStats:
    swaps: int = 0
    mined: int = 0
    zero_out: int = 0
    tiny: int = 0
    k_reverts: int = 0
    directions: set[tuple[int, bool]] = dataclasses.field(default_factory=set)
    max_share: float = 0.0


class PoolDriver:
    """Runs one pool's planned swaps with its own trader account (sequential nonces)."""

    def __init__(self, env: OracleChain, pool: PoolInfo, trader: LocalAccount, nonce: int) -> None:
        self.env = env
        self.w3 = env.w3
        self.rpc = RawRpc(env.w3)
        self.pool = pool
        self.trader = trader.address
        self.nonce = nonce
        self.pair = self.w3.eth.contract(address=pool.address, abi=V2_PAIR_ABI)  # type: ignore[call-overload]
        self.erc20 = self.w3.eth.contract(abi=ERC20_ABI)  # type: ignore[call-overload]
        self.get_reserves = self.pair.encode_abi("getReserves")
        self.expected_reserves: tuple[int, int] | None = None

    async def reserves(self) -> tuple[int, int]:
        raw = await self.rpc.call(self.pool.address, self.get_reserves)
        r0, r1, _ = self.w3.codec.decode(["uint112", "uint112", "uint32"], raw)
        return int(r0), int(r1)

    async def send(self, to: str, data: str, gas: int, label: str) -> list[tuple[Any, ...]]:
        """A mined, successful transaction from the trader (explicit nonce, gas and fees);
        returns its decoded logs.

        The trader is one of Anvil's unlocked dev accounts, so Anvil signs it
        (eth_sendTransaction): signing ~1000 transactions with eth_keys' pure-Python backend
        (no coincurve in the venv) would dominate the module's runtime.
        """
        tx = {
            "from": self.trader,
            "to": to,
            "chainId": hex(CHAIN_ID),
            "type": "0x2",
            "nonce": hex(self.nonce),
            "gas": hex(gas),
            "maxFeePerGas": hex(self.env.max_fee),
            "maxPriorityFeePerGas": hex(self.env.tip),
            "value": "0x0",
            "data": data,
        }
        tx_hash = await self.rpc.request("eth_sendTransaction", [tx])
        self.nonce += 1
        deadline = time.monotonic() + 30
        while (rcpt := await self.rpc.request("eth_getTransactionReceipt", [tx_hash])) is None:
            assert time.monotonic() < deadline, f"{label} {tx_hash} not mined"
            await asyncio.sleep(0.002)
        assert rcpt["status"] == "0x1", f"{label} on {self.pool.address} reverted: {rcpt}"
        return [decode_log(self.w3, lg) for lg in rcpt["logs"]]

    async def run(self, plans: Sequence[PlannedSwap], stats: SwapStats) -> None:
        for plan in plans:
            await self.one(plan, stats)
        # the last swap's Sync is what the pair stores
        assert await self.reserves() == self.expected_reserves

    async def one(self, plan: PlannedSwap, stats: SwapStats) -> None:
        pool, trader = self.pool, self.trader
        r0, r1 = await self.reserves()
        if self.expected_reserves is not None:
            assert (r0, r1) == self.expected_reserves, "reserves drifted from the prediction"
        if plan.zero_for_one:
            r_in, r_out, token_in, token_out = r0, r1, pool.token0, pool.token1
        else:
            r_in, r_out, token_in, token_out = r1, r0, pool.token1, pool.token0
        cap = r_in * MAX_INPUT_SHARE[0] // MAX_INPUT_SHARE[1]
        amount_in = plan.tiny or log_uniform_amount(cap, plan.u, plan.salt)
        assert 1 <= amount_in <= cap

        out = quote_all(OUT_IMPLS, amount_in, r_in, r_out)
        assert isinstance(out, int)
        assert out + 1 < r_out  # so the pair's verdict on out + 1 is K, not INSUFFICIENT_LIQUIDITY
        ctx = f"pool {pool.address} in={amount_in} r_in={r_in} r_out={r_out} out={out}"

        stats.swaps += 1
        stats.tiny += plan.tiny > 0
        stats.directions.add((self.env.market.pools.index(pool), plan.zero_for_one))
        stats.max_share = max(stats.max_share, amount_in / r_in)

        logs = await self.send(
            token_in,
            self.erc20.encode_abi("transfer", args=[pool.address, amount_in]),
            GAS_TRANSFER,
            "transfer in",
        )
        assert logs == [(token_in, "Transfer", trader, pool.address, amount_in)], ctx

        def swap_data(amount_out: int) -> str:
            outs = [0, amount_out] if plan.zero_for_one else [amount_out, 0]
            return self.pair.encode_abi("swap", args=[*outs, trader, b""])

        checks = [self.rpc.revert_reason(pool.address, swap_data(out + 1), trader)]
        if out == 0:
            checks.append(self.rpc.revert_reason(pool.address, swap_data(0), trader))
        verdicts = await asyncio.gather(*checks)
        assert verdicts[0] == REVERT_K, f"swap(out + 1): {verdicts[0]!r} ({ctx})"
        stats.k_reverts += 1

        if out == 0:
            assert verdicts[1] == REVERT_NO_OUTPUT, f"swap(0): {verdicts[1]!r} ({ctx})"
            stats.zero_out += 1
            # take the donation back, so the pair's balance equals its reserves again; skim
            # transfers both tokens' excess (token0 first): the input back, 0 of the other
            logs = await self.send(
                pool.address, self.pair.encode_abi("skim", args=[trader]), GAS_SKIM, "skim"
            )
            skimmed = {token_in: amount_in, token_out: 0}
            assert logs == [
                (tok, "Transfer", pool.address, trader, skimmed[tok])
                for tok in (pool.token0, pool.token1)
            ], ctx
            self.expected_reserves = (r0, r1)
            return

        logs = await self.send(pool.address, swap_data(out), GAS_SWAP, "swap")
        stats.mined += 1
        new_in, new_out = r_in + amount_in, r_out - out
        if plan.zero_for_one:
            predicted, ins, outs = (new_in, new_out), (amount_in, 0), (0, out)
        else:
            predicted, ins, outs = (new_out, new_in), (0, amount_in), (out, 0)
        assert logs == [
            (token_out, "Transfer", pool.address, trader, out),
            (pool.address, "Sync", *predicted),
            (pool.address, "Swap", trader, *ins, *outs, trader),
        ], ctx
        self.expected_reserves = predicted


# ------------------------------------------------------------------ pair oracle


async def test_amount_out_is_the_pairs_exact_maximum(oracle: OracleChain) -> None:
    """>= 500 random swaps: the kernel's quote is accepted by the pair and one unit more is not."""
    market = oracle.market
    assert len(market.pools) == 10
    assert all(d.fee_bps == FEE_BPS for d in market.dexes)
    plans = plan_swaps(SEED, N_SWAPS, len(market.pools))
    by_pool: dict[int, list[PlannedSwap]] = {}
    for plan in plans:
        by_pool.setdefault(plan.pool_index, []).append(plan)

    nonces = await asyncio.gather(
        *(oracle.w3.eth.get_transaction_count(t.address, "pending") for t in oracle.traders)
    )
    drivers = [
        PoolDriver(oracle, pool, oracle.traders[i], nonces[i])
        for i, pool in enumerate(market.pools)
    ]
    stats = SwapStats()
    started = time.monotonic()
    await asyncio.gather(*(drivers[i].run(ps, stats) for i, ps in by_pool.items()))
    took = time.monotonic() - started

    assert stats.swaps == N_SWAPS >= 500
    assert stats.k_reverts == N_SWAPS
    assert stats.mined + stats.zero_out == N_SWAPS
    assert stats.tiny >= 50
    assert stats.zero_out >= 1  # the INSUFFICIENT_OUTPUT_AMOUNT branch really ran
    assert stats.mined >= 500  # swaps the pair really executed
    assert len(stats.directions) == 2 * len(market.pools)  # every pool, both directions
    assert stats.max_share > 0.25
    print(
        f"\n{stats.swaps} swaps in {took:.1f}s: {stats.mined} mined, {stats.zero_out} zero-output "
        f"(skimmed), {stats.tiny} tiny inputs, {stats.k_reverts} K reverts on out + 1, "
        f"max input {stats.max_share:.1%} of reserve"
    )


# ------------------------------------------------------------------ router oracle


def router_cases(seed: int, pool_reserves: Sequence[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(amount, reserve_in, reserve_out) triples: live pool reserves, random up to uint112
    max, values right at uint112 max, and the edge cases that revert."""
    rng = random.Random(seed)

    def log_uint(bits: int = 112) -> int:
        return rng.getrandbits(rng.randint(1, bits)) or 1

    cases: list[tuple[int, int, int]] = []
    for _ in range(N_ROUTER_CASES // 4):  # live reserves, either direction
        r0, r1 = rng.choice(pool_reserves)
        r_in, r_out = (r0, r1) if rng.random() < 0.5 else (r1, r0)
        cases.append((rng.randint(1, r_out - 1) if rng.random() < 0.3 else log_uint(), r_in, r_out))
    for _ in range(N_ROUTER_CASES // 4):  # anything in uint112
        cases.append((log_uint(), log_uint(), log_uint()))
    for _ in range(N_ROUTER_CASES // 4):  # near uint112 max
        near = [UINT112_MAX - rng.randrange(2 ** rng.randint(0, 40)) for _ in range(3)]
        if rng.random() < 0.5:
            near[0] = log_uint()
        cases.append((near[0], near[1], near[2]))
    for _ in range(N_ROUTER_CASES // 4):  # amount_out close to reserve_out (getAmountIn)
        r_out = log_uint()
        cases.append((max(1, r_out - rng.randrange(4)), log_uint(), r_out))
    m = UINT112_MAX
    cases += [
        (m, m, m), (m - 1, m, m), (1, m, m), (m, 1, m), (m, m, 1), (1, 1, 1), (1, 1, 2),
        (2, 1, 2), (3, 1, 2), (0, 1, 1), (1, 0, 1), (1, 1, 0), (0, 0, 0), (1, m, 1),
    ]  # fmt: skip
    return cases


async def router_verdict(router: Any, fn: str, args: tuple[int, ...]) -> int | str:
    """The router's answer: the value, or the revert as text."""
    try:
        return int(await getattr(router.functions, fn)(*args).call())
    except ContractLogicError as exc:
        return str(exc.message)
    except Web3RPCError as exc:  # solc 0.6.6 divides by zero with the INVALID opcode
        return f"rpc error: {exc.message}"


def expected_router_verdict(kernel: int | str) -> Callable[[Any], bool]:
    if isinstance(kernel, int):
        return lambda got: got == kernel
    if kernel.startswith(DivisionByZero.__name__):
        return lambda got: isinstance(got, str) and "InvalidFEOpcode" in got
    reason = kernel.split(": ", 1)[1]
    return lambda got: got == f"execution reverted: {reason}"


@dataclasses.dataclass(frozen=True, slots=True)
class Mismatch:
    fn: str
    case: tuple[int, int, int]
    router: int | str
    kernel: int | str

    def __str__(self) -> str:
        return f"{self.fn}{self.case}: router {self.router!r}, kernels {self.kernel!r}"


async def compare_with_router(
    oracle: OracleChain, cases: Sequence[tuple[int, int, int]]
) -> list[Mismatch]:
    """Where the router's getAmountOut/getAmountIn differ from the kernels over `cases`
    (the Cython kernel, the twin and the picker must agree with each other everywhere)."""
    router_abi = load_artifact("UniswapV2Router02").abi
    router = oracle.w3.eth.contract(address=oracle.market.dexes[0].router, abi=router_abi)  # type: ignore[call-overload]
    sem = asyncio.Semaphore(RPC_CONCURRENCY)

    async def check(
        fn: str, impls: Sequence[tuple[str, Quote]], case: tuple[int, int, int]
    ) -> Mismatch | None:
        kernel = quote_all(impls, *case)
        async with sem:
            got = await router_verdict(router, fn, case)
        return None if expected_router_verdict(kernel)(got) else Mismatch(fn, case, got, kernel)

    results = await asyncio.gather(
        *(check("getAmountOut", OUT_IMPLS, c) for c in cases),
        *(check("getAmountIn", IN_IMPLS, c) for c in cases),
    )
    return [r for r in results if r is not None]


async def test_router_quotes_match_kernels(oracle: OracleChain) -> None:
    """getAmountOut and getAmountIn of the real router equal both kernels (values and reverts)."""
    pair_reserves = []
    for pool in oracle.market.pools:
        pair = oracle.w3.eth.contract(address=pool.address, abi=V2_PAIR_ABI)  # type: ignore[call-overload]
        r0, r1, _ = await pair.functions.getReserves().call()
        pair_reserves.append((int(r0), int(r1)))
    cases = router_cases(SEED + 1, pair_reserves)
    assert len(cases) >= 100
    assert all(max(c) <= UINT112_MAX for c in cases)
    # the cases cover real values, near-max values and every revert of both functions
    outs = [quote_all(OUT_IMPLS, *c) for c in cases]
    ins = [quote_all(IN_IMPLS, *c) for c in cases]
    assert sum(isinstance(v, int) for v in outs) >= 100
    assert sum(isinstance(v, int) for v in ins) >= 100
    assert sum(isinstance(v, int) and v > 2**100 for v in outs) >= 10
    assert {v.split(":")[0] for v in ins if isinstance(v, str)} >= {
        "InsufficientOutputAmount",
        "InsufficientLiquidity",
        "MathOverflow",
        "DivisionByZero",
    }
    assert {v.split(":")[0] for v in outs if isinstance(v, str)} >= {
        "InsufficientInputAmount",
        "InsufficientLiquidity",
    }
    mismatches = await compare_with_router(oracle, cases)
    assert not mismatches, "\n".join(map(str, mismatches))


# ------------------------------------------------------------------ the SafeMath overflow band


def wide_cases(seed: int) -> list[tuple[int, int, int]]:
    """Triples beyond uint112 (router arguments are uint256): the SafeMath overflow region,
    hand-picked edges plus random points inside and around the band where a x1000 product
    fits in uint256 but a x10000 one would not."""
    q_out, q_in = UINT256_MAX // 9970, UINT256_MAX // 10000
    cases = [
        (q_out + 1, 1, 1),  # a * 997 fits, a * 9970 would not
        (1, q_in + 1, 1),  # reserve_in * 1000 fits, reserve_in * 10000 would not
        (1, q_in + 1, 2),  # getAmountIn: the router returns a value
        (q_out + 1, 1, 2),  # getAmountIn: the router sub-underflows
    ]
    rng = random.Random(seed)
    for _ in range(40):  # getAmountOut: amount * reserve_out around 2^256 / 9970 .. / 997
        r_out = rng.getrandbits(rng.randint(1, 112)) or 1
        amount = rng.randint(UINT256_MAX // (20_000 * r_out), UINT256_MAX // (500 * r_out))
        cases.append((amount, rng.getrandbits(rng.randint(1, 112)) or 1, r_out))
    for _ in range(40):  # getAmountIn: reserve_in * amount_out around 2^256 / 10000 .. / 1000
        amount = rng.getrandbits(rng.randint(1, 112)) or 1
        r_in = rng.randint(UINT256_MAX // (20_000 * amount), UINT256_MAX // (500 * amount))
        cases.append((amount, r_in, amount + rng.getrandbits(rng.randint(1, 112))))
    return cases


async def test_router_quotes_match_kernels_beyond_uint112(oracle: OracleChain) -> None:
    """Beyond uint112 (the SafeMath overflow band) the kernels revert exactly where, and
    with the reason, the router does: they compute on the contract's own 997/1000 scale."""
    mismatches = await compare_with_router(oracle, wide_cases(SEED + 2))
    assert not mismatches, "\n".join(map(str, mismatches))
