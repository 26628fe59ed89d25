"""``make bench``: pricing kernels against their pure-Python twins, measured in the same run.

Each figure is the median of several timed repeats; ratios compare the Cython kernel with
the twin on identical inputs. Nothing here is a pass/fail test: targets are tracked by
reading this table (README, "Performance").
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from arbstream.cyext import _v2_math as kernel
from arbstream.cyext import v2_math_py as twin

REPEATS = 7


def _median_rate(fn: Callable[[], Any], ops: int) -> float:
    """Operations per second, median over REPEATS runs."""
    rates = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        rates.append(ops / (time.perf_counter() - t0))
    return statistics.median(rates)


def _quotes(n: int, rng: random.Random) -> list[tuple[int, int, int]]:
    out = []
    for _ in range(n):
        r_in = rng.randrange(10**18, 10**26)
        r_out = rng.randrange(10**6, 10**26)
        out.append((rng.randrange(1, r_in // 10), r_in, r_out))
    return out


def _cycles(n: int, rng: random.Random) -> list[tuple[int, int, int, int, int, int]]:
    rows = []
    for _ in range(n):
        a1 = rng.randrange(10**20, 10**24)
        price = rng.uniform(1e-3, 1e3)
        b1 = int(a1 * price)
        skew = 1 + rng.uniform(-0.02, 0.02)
        depth = rng.uniform(0.1, 1.0)
        rows.append((a1, b1, 30, int(b1 * depth * skew), int(a1 * depth), 30))
    return rows


def main() -> None:
    rng = random.Random(1)
    quotes = _quotes(20_000, rng)
    cycles = _cycles(1_000, rng)

    def quote_loop(impl: Any) -> Callable[[], None]:
        f = impl.get_amount_out

        def run() -> None:
            for a, r_in, r_out in quotes:
                f(a, r_in, r_out, 30)

        return run

    rows = [
        ("V2 getAmountOut (per call)", quote_loop(kernel), quote_loop(twin), len(quotes)),
        (
            "2-pool optimal sizing, batch of 1,000",
            lambda: kernel.optimal_two_pool_batch(cycles),
            lambda: twin.optimal_two_pool_batch(cycles),
            len(cycles),
        ),
    ]
    print(f"{'benchmark':<40} {'cython ops/s':>14} {'twin ops/s':>12} {'ratio':>7}")
    for name, fast, slow, ops in rows:
        r_fast, r_slow = _median_rate(fast, ops), _median_rate(slow, ops)
        print(f"{name:<40} {r_fast:>14,.0f} {r_slow:>12,.0f} {r_fast / r_slow:>6.1f}x")
    print(f"(median of {REPEATS} repeats; same inputs for both implementations)")


if __name__ == "__main__":
    main()
