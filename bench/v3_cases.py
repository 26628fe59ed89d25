"""V3 swap cases for the bench: the real mainnet WBTC/WETH 0.3 % pool (458 initialized ticks).

Input amounts are chosen with the twin so that each group crosses exactly 0, 1 or 10
initialized ticks, with a distinct amount per call.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from arbstream.cyext.v3 import swap_py
from arbstream.cyext.v3.tick_math_py import MAX_SQRT_RATIO, MIN_SQRT_RATIO

ROOT = Path(__file__).resolve().parents[1]
STATE = "degenbot/uniswap_v3_wbtc_weth_state_block_24407242.json"
CROSSINGS = (0, 1, 10)


def load_pool() -> dict[str, Any]:
    for base in (ROOT / "tests" / "data", ROOT.parent / "shared" / "data"):
        path = base / STATE
        if path.is_file():
            raw = json.loads(path.read_text())
            break
    else:
        raise FileNotFoundError(STATE)
    scalars = raw["scalars"]
    ticks = sorted((int(t), int(v[1])) for t, v in raw["tick_data"].items())
    return {
        "sqrt_price_x96": int(scalars["sqrt_price_x96"]),
        "tick": int(scalars["tick"]),
        "liquidity": int(scalars["liquidity"]),
        "fee": int(scalars["fee"]),
        "tick_spacing": int(scalars["tick_spacing"]),
        "ticks": [t for t, _ in ticks],
        "liquidity_nets": [n for _, n in ticks],
    }


def pool_json(pool: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: str(v) for k, v in pool.items() if not isinstance(v, list)},
        "ticks": pool["ticks"],
        "liquidity_nets": [str(n) for n in pool["liquidity_nets"]],
    }


def limit(zero_for_one: bool) -> int:
    return MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1


def twin_swap(pool: dict[str, Any], zero_for_one: bool, amount: int) -> tuple[int, ...]:
    return swap_py.swap(
        pool["sqrt_price_x96"],
        pool["tick"],
        pool["liquidity"],
        pool["fee"],
        pool["tick_spacing"],
        pool["ticks"],
        pool["liquidity_nets"],
        zero_for_one,
        amount,
        limit(zero_for_one),
    )


def _crossed(pool: dict[str, Any], zero_for_one: bool, amount: int) -> int:
    return twin_swap(pool, zero_for_one, amount)[5]


def _first_amount_crossing(pool: dict[str, Any], zero_for_one: bool, k: int) -> int:
    """Smallest exact input that crosses at least ``k`` initialized ticks."""
    lo, hi = 1, 1
    while _crossed(pool, zero_for_one, hi) < k:
        lo, hi = hi, hi * 2
    while lo < hi:
        mid = (lo + hi) // 2
        if _crossed(pool, zero_for_one, mid) >= k:
            hi = mid
        else:
            lo = mid + 1
    return lo


def cases(
    rng: random.Random, per_group: int
) -> tuple[dict[str, Any], dict[int, list[tuple[bool, int]]]]:
    pool = load_pool()
    groups: dict[int, list[tuple[bool, int]]] = {}
    for k in CROSSINGS:
        group = []
        for zero_for_one in (True, False):
            lo = _first_amount_crossing(pool, zero_for_one, k) if k else 1
            hi = _first_amount_crossing(pool, zero_for_one, k + 1)
            if k == 0:
                lo = max(1, hi // 1000)  # realistic sizes, not dust
            for _ in range(per_group // 2):
                amount = rng.randrange(lo, hi)
                assert _crossed(pool, zero_for_one, amount) == k
                group.append((zero_for_one, amount))
        rng.shuffle(group)
        groups[k] = group
    return pool, groups


def _loop(impl: Any, pool: dict[str, Any], group: list[tuple[bool, int]]) -> Callable[[], None]:
    """Swaps on ``impl.PreparedPool``: tick data validated (and, in C, converted) once per pool."""
    prepared = impl.PreparedPool(
        pool["fee"], pool["tick_spacing"], pool["ticks"], pool["liquidity_nets"]
    )
    sqrt_price, tick, liquidity = pool["sqrt_price_x96"], pool["tick"], pool["liquidity"]
    lim = {True: limit(True), False: limit(False)}

    def loop() -> None:
        for zero_for_one, amount in group:
            prepared.swap(sqrt_price, tick, liquidity, zero_for_one, amount, lim[zero_for_one])

    return loop


def twin_loop(pool: dict[str, Any], group: list[tuple[bool, int]]) -> Callable[[], None]:
    return _loop(swap_py, pool, group)


def kernel_loop(pool: dict[str, Any], group: list[tuple[bool, int]]) -> Callable[[], None]:
    from arbstream.cyext.v3 import _swap

    return _loop(_swap, pool, group)
