"""External peer for ``make bench``: degenbot 0.3.0's pure-Python Uniswap libraries.

Runs inside bench/.venv-degenbot (degenbot pins web3 7, so it cannot share arbstream's
environment). Reads the cases arbstream's bench wrote, times degenbot on them, and writes
rates plus the results so the harness can check that the peer computed the same amounts.

The V3 swap loop below is UniswapV3Pool.swap written around degenbot's library functions
(compute_swap_step, tick_bitmap.next_initialized_tick_within_one_word, tick_math,
liquidity_math), as degenbot's own V3LiquidityPool does. degenbot memoizes several of
these functions with lru_cache: every timed call uses a distinct input amount, and the
caches are cleared before each repeat, so the peer is measured without cache hits.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from fractions import Fraction
from typing import Any

from degenbot.uniswap.types import UniswapV3BitmapAtWord, UniswapV3LiquidityAtTick
from degenbot.uniswap.v2_functions import constant_product_calc_exact_in
from degenbot.uniswap.v3_libraries import liquidity_math, swap_math, tick_bitmap, tick_math

MIN_TICK, MAX_TICK = -887272, 887272
REPEATS = 7


def _clear_caches() -> None:
    for fn in (
        swap_math.compute_swap_step,
        tick_math.get_sqrt_ratio_at_tick,
        tick_math.get_tick_at_sqrt_ratio,
        tick_bitmap.next_initialized_tick_within_one_word,
    ):
        cache_clear = getattr(fn, "cache_clear", None)
        if cache_clear:
            cache_clear()


def _median_rate(fn: Any, ops: int) -> float:
    rates = []
    for _ in range(REPEATS):
        _clear_caches()
        t0 = time.perf_counter()
        fn()
        rates.append(ops / (time.perf_counter() - t0))
    return statistics.median(rates)


class Pool:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.sqrt_price = int(spec["sqrt_price_x96"])
        self.tick = int(spec["tick"])
        self.liquidity = int(spec["liquidity"])
        self.fee = int(spec["fee"])
        self.spacing = int(spec["tick_spacing"])
        self.ticks: dict[int, UniswapV3LiquidityAtTick] = {
            int(t): UniswapV3LiquidityAtTick(
                liquidity_net=int(net), liquidity_gross=abs(int(net)) or 1
            )
            for t, net in zip(spec["ticks"], spec["liquidity_nets"], strict=True)
        }
        words: dict[int, int] = {}
        for t in self.ticks:
            word, bit = tick_bitmap.position(t // self.spacing)
            words[word] = words.get(word, 0) | (1 << bit)
        lo, _ = tick_bitmap.position(MIN_TICK // self.spacing - 1)
        hi, _ = tick_bitmap.position(MAX_TICK // self.spacing + 1)
        self.bitmap = {w: UniswapV3BitmapAtWord(bitmap=words.get(w, 0)) for w in range(lo, hi + 1)}

    def swap(self, zero_for_one: bool, amount_specified: int) -> tuple[int, int]:
        limit = tick_math.MIN_SQRT_RATIO + 1 if zero_for_one else tick_math.MAX_SQRT_RATIO - 1
        exact_input = amount_specified > 0
        sqrt_price, tick, liquidity = self.sqrt_price, self.tick, self.liquidity
        remaining, calculated = amount_specified, 0
        while remaining != 0 and sqrt_price != limit:
            start = sqrt_price
            tick_next, initialized = tick_bitmap.next_initialized_tick_within_one_word(
                self.bitmap, self.ticks, tick, self.spacing, zero_for_one
            )
            tick_next = max(MIN_TICK, min(MAX_TICK, tick_next))
            sqrt_next = tick_math.get_sqrt_ratio_at_tick(tick_next)
            beyond = sqrt_next < limit if zero_for_one else sqrt_next > limit
            sqrt_price, amount_in, amount_out, fee_amount = swap_math.compute_swap_step(
                sqrt_price, limit if beyond else sqrt_next, liquidity, remaining, self.fee
            )
            if exact_input:
                remaining -= amount_in + fee_amount
                calculated -= amount_out
            else:
                remaining += amount_out
                calculated += amount_in + fee_amount
            if sqrt_price == sqrt_next:
                if initialized:
                    net = self.ticks[tick_next].liquidity_net
                    liquidity = liquidity_math.add_delta(liquidity, -net if zero_for_one else net)
                tick = tick_next - 1 if zero_for_one else tick_next
            elif sqrt_price != start:
                tick = tick_math.get_tick_at_sqrt_ratio(sqrt_price)
        if zero_for_one == exact_input:
            return amount_specified - remaining, calculated
        return calculated, amount_specified - remaining


def main() -> None:
    cases = json.loads(open(sys.argv[1]).read())
    out: dict[str, Any] = {"v3": {}}
    v2 = [tuple(map(int, row)) for row in cases["v2"]]

    fee = Fraction(3, 1000)

    def v2_loop() -> None:
        for a, r_in, r_out in v2:
            constant_product_calc_exact_in(a, r_in, r_out, fee)

    out["v2_quotes_per_s"] = _median_rate(v2_loop, len(v2))
    out["v2_results"] = [
        str(constant_product_calc_exact_in(a, r_in, r_out, fee)) for a, r_in, r_out in v2[:50]
    ]
    pool = Pool(cases["v3_pool"])
    for label, group in cases["v3"].items():
        swaps = [(bool(z), int(a)) for z, a in group]

        def v3_loop(swaps: list[tuple[bool, int]] = swaps) -> None:
            for zero_for_one, amount in swaps:
                pool.swap(zero_for_one, amount)

        out["v3"][label] = {
            "per_s": _median_rate(v3_loop, len(swaps)),
            "results": [[str(x) for x in pool.swap(z, a)] for z, a in swaps[:10]],
        }
    json.dump(out, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
