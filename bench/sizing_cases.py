"""Cycle-sizing cases for the bench: V2-only and V2+V3 cycles with real price dislocations."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from functools import partial
from typing import Any

from arbstream.cyext import _cycles as kernel
from arbstream.cyext import _v2_math as v2_kernel
from arbstream.cyext import cycles_py as twin
from arbstream.cyext import v2_math_py as v2_twin

Leg = tuple[Any, ...]


def _v2_two_leg(rng: random.Random) -> list[Leg]:
    a1 = rng.randrange(10**20, 10**24)
    b1 = int(a1 * rng.uniform(1e-3, 1e3))
    depth, skew = rng.uniform(0.1, 1.0), 1 + rng.uniform(-0.02, 0.02)
    return [("v2", a1, b1, 30), ("v2", int(b1 * depth * skew), int(a1 * depth), 30)]


def _v2_three_leg(rng: random.Random) -> list[Leg]:
    a = rng.randrange(10**20, 10**24)
    b = int(a * rng.uniform(0.5, 2.0))
    c = int(b * rng.uniform(0.5, 2.0))
    skew = 1 + rng.uniform(-0.02, 0.03)
    return [("v2", a, b, 30), ("v2", b, c, 25), ("v2", int(c * skew), a, 5)]


def v3_leg(pool: dict[str, Any]) -> Leg:
    """WBTC -> WETH on the real V3 pool: one leg tuple per pool state, shared by every cycle
    through the pool (as the detector builds it once per event)."""
    return (
        "v3",
        pool["sqrt_price_x96"],
        pool["tick"],
        pool["liquidity"],
        pool["fee"],
        pool["tick_spacing"],
        tuple(pool["ticks"]),
        tuple(pool["liquidity_nets"]),
        True,
    )


def _mixed(pool: dict[str, Any], v3: Leg, rng: random.Random, legs: int) -> list[Leg]:
    """WBTC -> WETH on the real V3 pool, back to WBTC through V2 pools priced a bit off."""
    price = (pool["sqrt_price_x96"] / 2**96) ** 2  # WETH wei per WBTC sat
    skew = 1 + rng.uniform(0.005, 0.03)
    weth = rng.randrange(10**21, 10**23)
    if legs == 2:
        return [v3, ("v2", weth, int(weth / price * skew), 30)]
    usdc = int(weth / 10**12 * 3000)
    return [v3, ("v2", weth, usdc, 30), ("v2", usdc, int(weth / price * skew), 30)]


def _each(fn: Callable[[list[Leg]], Any], cycles: list[list[Leg]]) -> list[Any]:
    return [fn(legs) for legs in cycles]


def benchmarks(
    rng: random.Random, pool: dict[str, Any], *, quick: bool
) -> list[tuple[str, Callable[[], Any], Callable[[], Any], int]]:
    n = 100 if quick else 1_000
    v3 = v3_leg(pool)
    groups = {
        "2-leg V2": [_v2_two_leg(rng) for _ in range(n)],
        "3-leg V2": [_v2_three_leg(rng) for _ in range(n)],
        "2-leg V3+V2": [_mixed(pool, v3, rng, 2) for _ in range(n // 10)],
        "3-leg V3+V2+V2": [_mixed(pool, v3, rng, 3) for _ in range(n // 10)],
    }
    threads = os.cpu_count() or 1
    for cycles in groups.values():
        expected = twin.optimize_cycles(cycles)
        assert kernel.optimize_cycles(cycles) == expected
        assert kernel.optimize_cycles(cycles, threads=threads) == expected
    out: list[tuple[str, Callable[[], Any], Callable[[], Any], int]] = []
    for label, cycles in groups.items():
        if label in ("2-leg V2", "3-leg V2"):
            out.append(
                (
                    f"sizing {label}, per call",
                    partial(_each, kernel.optimize_cycle, cycles),
                    partial(_each, twin.optimize_cycle, cycles),
                    len(cycles),
                )
            )
        out.append(
            (
                f"sizing {label}, batch of {len(cycles):,}",
                partial(kernel.optimize_cycles, cycles),
                partial(twin.optimize_cycles, cycles),
                len(cycles),
            )
        )
        if threads > 1:
            out.append(
                (
                    f"sizing {label}, batch of {len(cycles):,}, {threads} threads",
                    partial(kernel.optimize_cycles, cycles, threads=threads),
                    partial(twin.optimize_cycles, cycles),
                    len(cycles),
                )
            )
        if label == "2-leg V2":
            # the detector's call: optimal_two_pool's closed form (+ exact enumeration) alone
            rows = [(l1[1], l1[2], l1[3], l2[1], l2[2], l2[3]) for l1, l2 in cycles]
            assert v2_kernel.optimal_two_pool_batch(rows) == v2_twin.optimal_two_pool_batch(rows)
            out.append(
                (
                    f"2-pool V2 optimal_two_pool_batch ({len(rows):,})",
                    partial(v2_kernel.optimal_two_pool_batch, rows),
                    partial(v2_twin.optimal_two_pool_batch, rows),
                    len(rows),
                )
            )
    return out
