"""Noise traders that keep a deployed market moving.

Every new block (or every `max_idle` seconds when nothing is mined, e.g. automine) a few
traders each swap through a random DEX's UniswapV2Router02 on a random pool: random
direction, log-normal size (median 0.1% of the input reserve, clipped to 0.01%-1%). Flow
is split evenly between the DEXes, so the shallow one moves ~5x more and cross-DEX prices
drift apart; the arbitrageur's job is to close the gaps. Direction is biased back toward a
"fair" price (initial USD prices times a slow random walk for the volatile tokens), so pools
do not wander off and trader balances stay usable.

Random draws are deterministic given the seed; only which side a draw picks depends on the
chain state (reserves), i.e. on timing. The simulator never calls the arbitrage contract.
Reverted or unsendable swaps are logged and counted, never fatal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3
from web3.exceptions import TransactionNotFound

from arbstream.abi import V2_PAIR_ABI, V2_ROUTER_ABI
from arbstream.localstack.market_spec import DeployedMarket, DexInfo, PoolInfo

log = logging.getLogger(__name__)

GWEI = 10**9
#: Tokens priced at 1 USD do not random-walk.
_STABLE_PRICE = 1.0


@dataclass(frozen=True, slots=True)
class PlannedSwap:
    """One noise swap, as decided before it is signed."""

    trader: str
    dex: str
    router: str
    pool: str
    token_in: str
    token_out: str
    amount_in: int


@dataclass(slots=True)
class SimStats:
    rounds: int = 0
    swaps_sent: int = 0
    swaps_mined: int = 0
    swaps_reverted: int = 0
    send_errors: int = 0


class MarketSimulator:
    """Noise flow on a `DeployedMarket` from funded, router-approved `traders`."""

    def __init__(
        self,
        w3: AsyncWeb3[Any],
        market: DeployedMarket,
        traders: Sequence[LocalAccount],
        seed: int,
        swaps_per_block: int = 3,
        *,
        median_size: float = 1e-3,
        size_sigma: float = 1.0,
        size_range: tuple[float, float] = (1e-4, 1e-2),
        mean_reversion: float = 5.0,
        fair_vol: float = 0.002,
        poll_interval: float = 0.1,
        min_round_interval: float = 0.25,
        max_idle: float = 1.5,
        tip_gwei: float = 1.0,
        gas_limit: int = 250_000,
    ) -> None:
        if not traders:
            raise ValueError("MarketSimulator needs at least one trader")
        if swaps_per_block < 1:
            raise ValueError("swaps_per_block must be >= 1")
        self.w3 = w3
        self.market = market
        self.traders = list(traders)
        self.seed = seed
        self.swaps_per_block = swaps_per_block
        self.median_size = median_size
        self.size_sigma = size_sigma
        self.size_range = size_range
        self.mean_reversion = mean_reversion
        self.fair_vol = fair_vol
        self.poll_interval = poll_interval
        self.min_round_interval = min_round_interval
        self.max_idle = max_idle
        self.tip = int(tip_gwei * GWEI)
        self.gas_limit = gas_limit
        self.stats = SimStats()
        self.rng = random.Random(seed)

        self._chain_id = market.chain_id
        self._dex_pools: dict[str, list[PoolInfo]] = {}
        for pool in market.pools:
            self._dex_pools.setdefault(pool.dex, []).append(pool)
        self._dexes: list[DexInfo] = [d for d in market.dexes if d.name in self._dex_pools]
        if not self._dexes:
            raise ValueError(f"market on chain {market.chain_id} has no pools")
        self._by_addr = {t.address.lower(): t for t in market.tokens.values()}
        # log-price offsets of the fair value from the seeded USD price, per token symbol
        self._fair_log: dict[str, float] = {sym: 0.0 for sym in sorted(market.tokens)}
        self._router = w3.eth.contract(abi=V2_ROUTER_ABI)
        self._nonces: dict[str, int] = {}
        self._pending: list[tuple[str, PlannedSwap, int]] = []  # (tx hash, swap, round sent)

    @property
    def swaps_sent(self) -> int:
        return self.stats.swaps_sent

    # ----------------------------------------------------------------- loop
    async def run(self, stop: asyncio.Event) -> None:
        """Trade every new block until `stop` is set."""
        log.info(
            "chain %s: market simulator started (%d traders, %d swaps/block, seed %s)",
            self._chain_id, len(self.traders), self.swaps_per_block, self.seed,
        )  # fmt: skip
        last_block = -1
        last_round = 0.0
        while not stop.is_set():
            try:
                block = await self.w3.eth.block_number
                now = time.monotonic()
                new_block = block != last_block
                if (new_block or now - last_round >= self.max_idle) and (
                    now - last_round >= self.min_round_interval
                ):
                    last_block = block
                    last_round = now
                    await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("chain %s: simulator round failed; retrying", self._chain_id)
                await self._sleep(stop, 1.0)
                continue
            await self._sleep(stop, self.poll_interval)
        with contextlib.suppress(Exception):
            await self._collect_receipts(final=True)
        s = self.stats
        log.info(
            "chain %s: market simulator stopped: %d rounds, %d swaps sent, %d mined, "
            "%d reverted, %d send errors",
            self._chain_id, s.rounds, s.swaps_sent, s.swaps_mined, s.swaps_reverted, s.send_errors,
        )  # fmt: skip

    @staticmethod
    async def _sleep(stop: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)

    async def step(self) -> int:
        """One round: plan and send `swaps_per_block` swaps. Returns how many were sent."""
        await self._collect_receipts()
        self.stats.rounds += 1
        latest = await self.w3.eth.get_block("latest")
        base_fee = int(latest.get("baseFeePerGas", GWEI) or GWEI)
        deadline = int(latest["timestamp"]) + 600
        reserves = await self._reserves()
        swaps = self.plan_round(reserves)
        sent = 0
        for swap, trader in swaps:
            if await self._send(swap, trader, base_fee, deadline):
                sent += 1
        return sent

    # ----------------------------------------------------------------- planning
    def _advance_fair(self) -> None:
        for sym in self._fair_log:  # sorted: deterministic draw order
            if self.market.tokens[sym].usd_price != _STABLE_PRICE:
                self._fair_log[sym] += self.rng.gauss(0.0, self.fair_vol)

    def fair_price(self, token0: str, token1: str) -> float:
        """Fair price of token0 in token1 (whole units)."""
        t0, t1 = self._by_addr[token0.lower()], self._by_addr[token1.lower()]
        p0 = t0.usd_price * math.exp(self._fair_log[t0.symbol])
        p1 = t1.usd_price * math.exp(self._fair_log[t1.symbol])
        return p0 / p1

    def plan_round(
        self, reserves: dict[str, tuple[int, int]]
    ) -> list[tuple[PlannedSwap, LocalAccount]]:
        """Decide this round's swaps from current reserves (no I/O)."""
        self._advance_fair()
        out: list[tuple[PlannedSwap, LocalAccount]] = []
        lo, hi = self.size_range
        for _ in range(self.swaps_per_block):
            trader = self.rng.choice(self.traders)
            dex = self.rng.choice(self._dexes)
            pool = self.rng.choice(self._dex_pools[dex.name])
            u = self.rng.random()
            frac = min(
                hi, max(lo, math.exp(self.rng.gauss(math.log(self.median_size), self.size_sigma)))
            )
            r0, r1 = reserves.get(pool.address, (0, 0))
            if r0 == 0 or r1 == 0:
                continue
            d0 = self._by_addr[pool.token0.lower()].decimals
            d1 = self._by_addr[pool.token1.lower()].decimals
            price = (r1 / 10**d1) / (r0 / 10**d0)
            deviation = math.log(price / self.fair_price(pool.token0, pool.token1))
            p_sell0 = min(0.9, max(0.1, 0.5 + self.mean_reversion * deviation))
            if u < p_sell0:
                token_in, token_out, reserve_in = pool.token0, pool.token1, r0
            else:
                token_in, token_out, reserve_in = pool.token1, pool.token0, r1
            amount = int(reserve_in * frac)
            if amount <= 0:
                continue
            swap = PlannedSwap(
                trader=trader.address,
                dex=dex.name,
                router=dex.router,
                pool=pool.address,
                token_in=token_in,
                token_out=token_out,
                amount_in=amount,
            )
            out.append((swap, trader))
        return out

    # ----------------------------------------------------------------- chain I/O
    async def _reserves(self) -> dict[str, tuple[int, int]]:
        pools = self.market.pools
        results = await asyncio.gather(
            *(
                self.w3.eth.contract(address=p.address, abi=V2_PAIR_ABI)  # type: ignore[call-overload]
                .functions.getReserves()
                .call()
                for p in pools
            )
        )
        return {p.address: (int(r[0]), int(r[1])) for p, r in zip(pools, results, strict=True)}

    async def _nonce(self, trader: LocalAccount) -> int:
        if trader.address not in self._nonces:
            self._nonces[trader.address] = await self.w3.eth.get_transaction_count(
                trader.address, "pending"
            )
        return self._nonces[trader.address]

    async def _send(
        self, swap: PlannedSwap, trader: LocalAccount, base_fee: int, deadline: int
    ) -> bool:
        data = self._router.encode_abi(
            "swapExactTokensForTokens",
            args=[swap.amount_in, 0, [swap.token_in, swap.token_out], trader.address, deadline],
        )
        nonce = await self._nonce(trader)
        tx = {
            "chainId": self._chain_id,
            "nonce": nonce,
            "to": swap.router,
            "data": data,
            "value": 0,
            "gas": self.gas_limit,
            "maxFeePerGas": base_fee * 2 + self.tip,
            "maxPriorityFeePerGas": self.tip,
            "type": 2,
        }
        try:
            raw = trader.sign_transaction(tx).raw_transaction
            tx_hash = await self.w3.eth.send_raw_transaction(raw)
        except Exception as exc:
            self.stats.send_errors += 1
            self._nonces.pop(trader.address, None)  # resync from the node next time
            log.warning(
                "chain %s: noise swap %s %s->%s on %s not sent: %s",
                self._chain_id, swap.amount_in, self._sym(swap.token_in), self._sym(swap.token_out),
                swap.dex, exc,
            )  # fmt: skip
            return False
        self._nonces[trader.address] = nonce + 1
        self.stats.swaps_sent += 1
        self._pending.append(("0x" + bytes(tx_hash).hex(), swap, self.stats.rounds))
        log.debug(
            "chain %s: noise swap %s %s->%s on %s (%s)",
            self._chain_id, swap.amount_in, self._sym(swap.token_in), self._sym(swap.token_out),
            swap.dex, swap.pool,
        )  # fmt: skip
        return True

    async def _collect_receipts(self, final: bool = False) -> None:
        """Count mined/reverted swaps among those sent earlier (cheap, best effort)."""
        if not self._pending:
            return
        still: list[tuple[str, PlannedSwap, int]] = []
        for tx_hash, swap, sent_round in self._pending:
            try:
                rcpt = await self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                if not final and self.stats.rounds - sent_round < 20:
                    still.append((tx_hash, swap, sent_round))
                continue
            self.stats.swaps_mined += 1
            if rcpt["status"] != 1:
                self.stats.swaps_reverted += 1
                log.info(
                    "chain %s: noise swap reverted: %s %s->%s on %s (tx %s)",
                    self._chain_id, swap.amount_in, self._sym(swap.token_in),
                    self._sym(swap.token_out), swap.dex, tx_hash,
                )  # fmt: skip
        self._pending = still

    def _sym(self, token: str) -> str:
        tok = self._by_addr.get(token.lower())
        return tok.symbol if tok else token
