"""Cross-DEX two-pool cycles: the strategy's pricing, shared by the detector and the executor.

Pure functions over pool state (no I/O); exact integer amounts through the cyext kernel
(``arbstream.cyext.v2_math``: the Cython kernel, or its pure-Python twin).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from arbstream.cyext import v2_math


@dataclass(frozen=True, slots=True)
class PoolState:
    """Reserves of one V2 pool at a state version (block, log index)."""

    chain_id: int
    pool: str
    dex: str
    token0: str
    token1: str
    fee_bps: int
    reserve0: int
    reserve1: int
    block: int
    log_index: int

    def reserves_from(self, token: str) -> tuple[int, int]:
        """(reserve of ``token``, reserve of the other token)."""
        return (
            (self.reserve0, self.reserve1)
            if token == self.token0
            else (self.reserve1, self.reserve0)
        )

    def other(self, token: str) -> str:
        return self.token1 if token == self.token0 else self.token0


@dataclass(frozen=True, slots=True)
class CrossDexQuote:
    """Buy ``token_mid`` with ``token_in`` on ``borrow``, sell it back on ``sell``."""

    borrow: PoolState
    sell: PoolState
    token_in: str
    token_mid: str
    amount_in: int
    amount_mid: int
    amount_out: int
    profit: int

    @property
    def cycle_id(self) -> str:
        return f"{self.borrow.pool[:10]}>{self.sell.pool[:10]}:{self.token_in[:10]}"


def quote_rows(a: PoolState, b: PoolState) -> list[tuple[PoolState, PoolState, str]]:
    """The four directed cycles over two pools of one pair: (borrow, sell, start token)."""
    return [(x, y, t) for x, y in ((a, b), (b, a)) for t in (a.token0, a.token1)]


def best_cross_dex(
    a: PoolState, b: PoolState, value: Callable[[str, int], float] | None = None
) -> CrossDexQuote | None:
    """The most valuable profitable cycle over pools ``a`` and ``b``, at its optimal input.

    ``value(token, amount)`` ranks cycles that start in different tokens (e.g. USD value);
    without it, the larger raw profit wins. None when no cycle is profitable.
    """
    return best_of([(a, b)], value)


def best_of(
    pairs: Sequence[tuple[PoolState, PoolState]], value: Callable[[str, int], float] | None = None
) -> CrossDexQuote | None:
    """Size every directed cycle of every pool pair in one batch call; return the best."""
    live = [(a, b) for a, b in pairs if min(a.reserve0, a.reserve1, b.reserve0, b.reserve1) > 0]
    directed = [row for a, b in live for row in quote_rows(a, b)]
    if not directed:
        return None
    rows = []
    for borrow, sell, token in directed:
        r_in1, r_mid1 = borrow.reserves_from(token)
        r_in2, r_mid2 = sell.reserves_from(token)
        rows.append((r_in1, r_mid1, borrow.fee_bps, r_mid2, r_in2, sell.fee_bps))
    best: CrossDexQuote | None = None
    best_value = 0.0
    for (borrow, sell, token), (amount_in, mid, out, profit) in zip(
        directed, v2_math.optimal_two_pool_batch(rows), strict=True
    ):
        if profit <= 0:
            continue
        worth = value(token, profit) if value else float(profit)
        if best is None or worth > best_value:
            best = CrossDexQuote(
                borrow, sell, token, borrow.other(token), amount_in, mid, out, profit
            )
            best_value = worth
    return best
