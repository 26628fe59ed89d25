"""The steps of the cycle search (``cycles_py._Search``) one by one, against brute force.

``optimize_cycle``'s result only shows a step when that step decides the optimum, so a step
that goes wrong can hide behind the ones after it (the climb, the polish). Each step here has
a contract of its own, stated in its docstring, and is checked against every input of small
V2 cycles, computed by the test's own getAmountOut chain:

* ``first_at_least(k, m, hint)``: the smallest input whose first ``k`` legs pay at least
  ``m`` (0 when no input up to the cap does), from any hint;
* ``snap``: the best input moves to the smallest input with the same cycle output.

The other steps (the seed, the bracket, the golden section, the climb) are pinned on profit
functions simple enough to follow the module docstring's description by hand: each test
lists the inputs the step evaluates, in order, and what it returns, worked out in comments.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from arbstream.cyext import cycles_py as twin
from arbstream.cyext import v2_math_py

from .test_cycles_mutants import _v2_chain

Legs = list[tuple[Any, ...]]

# a coarse first token (3 to 57 inputs per unit of it), then finer ones: the cycles the
# polish walks; and a fine one (the first unit of input already pays 4 of the mid token)
COARSE: Legs = [("v2", 10_000, 300, 30), ("v2", 300, 9_000, 30), ("v2", 9_000, 3_000, 5)]
FINE: Legs = [("v2", 1_000, 5_000, 30), ("v2", 5_000, 1_200, 30)]
CYCLES = [pytest.param(COARSE, id="coarse"), pytest.param(FINE, id="fine")]


def _search(legs: Legs) -> tuple[Any, int]:
    """A fresh search over ``legs`` with the cap ``optimize_cycle`` uses for them."""
    cap = legs[-1][2] - 2  # the last V2 leg pays at most reserve_out - 1
    return twin._Search(twin._legs(legs), cap), cap


def _hints(answer: int, cap: int) -> list[int]:
    near = range(answer - 3, answer + 4) if answer else range(cap - 3, cap + 1)
    return sorted({h for h in (1, 2, 3, 4, 7, cap // 3, cap - 1, cap, *near) if 1 <= h <= cap})


@pytest.mark.parametrize("legs", CYCLES)
def test_first_at_least_is_the_smallest_input_reaching_the_amount(legs: Legs) -> None:
    search, cap = _search(legs)
    checked = 0
    for k in range(1, len(legs)):
        outs = [_v2_chain(legs[:k], y) for y in range(1, cap + 1)]
        top = outs[-1]
        amounts = sorted({*range(1, min(top, 40) + 1), *range(top - 5, top + 3), top // 2})
        for m in (a for a in amounts if a >= 1):
            answer = next((y for y, out in enumerate(outs, 1) if out >= m), 0)
            for hint in _hints(answer, cap):
                got = search.first_at_least(k, m, hint)
                assert got == answer, (legs, k, m, hint, got, answer)
                checked += 1
    assert checked > 500


@pytest.mark.parametrize("legs", CYCLES)
def test_snap_moves_to_the_left_edge_of_the_output_step(legs: Legs) -> None:
    _, cap = _search(legs)
    outs = [0, *(_v2_chain(legs, y) for y in range(1, cap + 1))]
    for x in range(1, cap + 1, 7):
        search, _ = _search(legs)
        search.ev(x)
        search.snap()
        o = outs[x]
        edge = x if o == 0 else next(y for y in range(1, x + 1) if outs[y] == o)
        best = (search.best_x, search.best_o, search.best_p)
        assert best == (edge, o, o - edge), (legs, x)
        assert all(type(v) is int for v in best), best


def test_snap_from_input_two() -> None:
    # one pool of reserves 3 and 4, no fee: inputs 1 and 2 both pay floor(4/4) = floor(8/5) = 1
    search, _ = _search([("v2", 3, 4, 0)])
    search.ev(2)
    search.snap()
    assert (search.best_x, search.best_o, search.best_p) == (1, 1, 0)


def test_snap_down_to_input_one() -> None:
    # one pool of reserves 1 and 2, no fee: every input pays floor(2x / (1 + x)) = 1. From
    # 4: 3 and 2 pay as much, 0 is below 1 (the exponential search ends), the binary search
    # over (0, 2] tries 1, which pays 1: the edge is 1
    search, _ = _search([("v2", 1, 2, 0)])
    search.ev(4)
    search.snap()
    best = (search.best_x, search.best_o, search.best_p)
    assert best == (1, 1, 0) and all(type(v) is int for v in best)


class Traced(twin._Search):
    """The search's steps over a given profit function instead of a cycle's, recording every
    input evaluated. ``ev`` keeps the search's rule: the first evaluation, then only strict
    improvements, become the best."""

    __slots__ = ("profit", "seen")

    def __init__(self, profit: Callable[[int], int], cap: int) -> None:
        super().__init__([], cap)
        self.profit = profit
        self.seen: list[int] = []

    def out(self, x: int) -> int:
        return self.profit(x) + x

    def ev(self, x: int) -> int:
        self.seen.append(x)
        p = self.profit(x)
        if self.best_x == 0 or p > self.best_p:
            self.best_x, self.best_o, self.best_p = x, p + x, p
        return p


def test_bracket_steps_right_doubling_until_two_misses() -> None:
    # seed 100, d = max(1, 100 >> 16) = 1: 101, 103, 107 improve; 115 misses (the first miss
    # is the upper end), 131 misses again with a positive profit seen: stop. Lower end: the
    # improving point before the best, 103.
    search = Traced(lambda x: 1000 - abs(x - 107), cap=10**6)
    assert search.bracket(100) == (103, 115)
    assert search.seen == [100, 101, 103, 107, 115, 131]
    assert (search.best_x, search.best_p) == (107, 1000)


def test_bracket_around_a_peak_at_the_seed() -> None:
    # right: 101 misses (upper end), 103 misses: stop; left: 99 misses (lower end), 97 misses
    search = Traced(lambda x: 1000 - abs(x - 100), cap=10**6)
    assert search.bracket(100) == (99, 101)
    assert search.seen == [100, 101, 103, 99, 97]


def test_bracket_stops_on_misses_only_once_a_positive_profit_is_seen() -> None:
    # a best profit of 0 is not positive: past the misses at 115 and 131 the walk goes on to
    # the cap (163, 227, then 355 clamped to 300); with a best profit of 1 it stops at 131
    flat = Traced(lambda x: -abs(x - 107), cap=300)
    assert flat.bracket(100) == (103, 115)
    assert flat.seen == [100, 101, 103, 107, 115, 131, 163, 227, 300]
    paying = Traced(lambda x: 1 - abs(x - 107), cap=300)
    assert paying.bracket(100) == (103, 115)
    assert paying.seen == [100, 101, 103, 107, 115, 131]


def test_bracket_first_step_scales_with_the_seed() -> None:
    # seed 2**20: d = 2**20 >> 16 = 16; steps 16, 32, 64 improve (s+16, s+48, s+112, the
    # last 12 from the peak), 128 and 256 miss
    s = 2**20
    search = Traced(lambda x: 10**9 - abs(x - (s + 100)), cap=10**7)
    assert search.bracket(s) == (s + 48, s + 240)
    assert search.seen == [s, s + 16, s + 48, s + 112, s + 240, s + 496]


def test_bracket_goes_left_when_nothing_right_improves() -> None:
    # right: 101 and 103 miss (stop); left from the seed: 99, 97, 93, 85, 69, 37 improve, the
    # next step (64) would pass 1 so it evaluates 1, which misses, and the walk ends at 1.
    # Upper end: the improving point before the best (69); lower end: the miss, 1.
    search = Traced(lambda x: 1000 - abs(x - 40), cap=10**6)
    assert search.bracket(100) == (1, 69)
    assert search.seen == [100, 101, 103, 99, 97, 93, 85, 69, 37, 1]
    assert search.best_x == 37


def test_bracket_left_stops_after_two_misses() -> None:
    # right: 101, 103 miss; left: 99, 97, 93, 85 improve, 69 misses (the lower end), 37
    # misses again: stop. Upper end: the improving point before the best, 93.
    search = Traced(lambda x: 1000 - abs(x - 80), cap=10**6)
    assert search.bracket(100) == (69, 93)
    assert search.seen == [100, 101, 103, 99, 97, 93, 85, 69, 37]


def test_bracket_left_stops_on_misses_only_once_a_positive_profit_is_seen() -> None:
    # losses to the right (no stop) up to the cap: 101, 103, 107, 115, 131, 163, then 227
    # clamped to 200; left: 99, 97, 93, 85 improve, 69 and 37 miss. A best profit of 0 does
    # not stop the walk (1 is evaluated too); a best profit of 1 does.
    right = [100, 101, 103, 107, 115, 131, 163, 200]
    flat = Traced(lambda x: -abs(x - 85), cap=200)
    assert flat.bracket(100) == (69, 93)
    assert flat.seen == [*right, 99, 97, 93, 85, 69, 37, 1]
    paying = Traced(lambda x: 1 - abs(x - 85), cap=200)
    assert paying.bracket(100) == (69, 93)
    assert paying.seen == [*right, 99, 97, 93, 85, 69, 37]


def test_bracket_left_ends_on_input_one() -> None:
    # right: 4, 6, 10 = cap miss (no profit: no stop); left from 3: 2 improves, the next
    # step (2) would reach 0, so 1 is evaluated instead and improves: the walk ends there
    search = Traced(lambda x: -x, cap=10)
    assert search.bracket(3) == (1, 2)
    assert search.seen == [3, 4, 6, 10, 2, 1]


def test_bracket_clamps_to_the_cap() -> None:
    # rising profit, cap 105: 101, 103, then 107 is clamped to 105; the walk ends at the cap,
    # which is the upper end (no miss above the best)
    search = Traced(lambda x: x, cap=105)
    assert search.bracket(100) == (103, 105)
    assert search.seen == [100, 101, 103, 105]


def test_bracket_without_profit_runs_to_both_ends() -> None:
    # every profit negative: misses do not stop the walk; right to the cap (11, 13, 17, 25,
    # 41, then 73 clamped to 50), then left, improving down to 1 (9, 7, 3, then 1 for -5)
    search = Traced(lambda x: -x, cap=50)
    assert search.bracket(10) == (1, 3)
    assert search.seen == [10, 11, 13, 17, 25, 41, 50, 9, 7, 3, 1]
    assert search.best_x == 1


def test_golden_section_narrows_to_the_scan_width() -> None:
    # [0, 100]: c = 100 * 0.381966 -> 38, d = 100 * 0.618034 -> 61; -32 < -9: keep [38, 100],
    # c = 61, d = 38 + 62 * 0.618034 -> 76 (-6); -9 < -6: keep [61, 100], c = 76,
    # d = 61 + 39 * 0.618034 -> 85 (-15); -6 >= -15: keep [61, 85], d = 76,
    # c = 61 + 24 * 0.381966 -> 70 (0); 85 - 61 = 24 <= SCAN: done
    search = Traced(lambda x: -abs(x - 70), cap=10**6)
    assert search.golden(0, 100) == (61, 85)
    assert search.seen == [38, 61, 76, 85, 70]
    assert twin.SCAN == 32


def test_golden_section_is_relative_to_the_interval() -> None:
    # the same interval moved by 1000: the same steps, 1000 further
    search = Traced(lambda x: -abs(x - 1070), cap=10**6)
    assert search.golden(1000, 1100) == (1061, 1085)
    assert search.seen == [1038, 1061, 1076, 1085, 1070]


def test_golden_section_stops_at_exactly_scan_wide() -> None:
    # [0, 51]: c = 51 * 0.381966 -> 19, d = 51 * 0.618034 -> 31; -7 < -5: keep [19, 51],
    # d = 19 + 32 * 0.618034 -> 38; 51 - 19 = 32 = SCAN: done
    search = Traced(lambda x: -abs(x - 26), cap=10**6)
    assert search.golden(0, 51) == (19, 51)
    assert search.seen == [19, 31, 38]


def test_golden_section_on_huge_intervals_keeps_the_peak() -> None:
    """On intervals of 2**60 the integer points drift off the golden ratio (0.618034 is not
    1/phi) until the two interior points meet, and the search moves one of them a unit
    aside: the peak of a unimodal profit stays in the interval it returns."""
    rng = random.Random(3)
    for _ in range(30):
        peak = rng.randrange(2**60)
        search = Traced(lambda x, p=peak: -abs(x - p), cap=2**61)
        a, b = search.golden(0, 2**60)
        assert a <= peak <= b and b - a <= twin.SCAN, peak
        assert all(0 <= x <= 2**60 for x in search.seen)


def test_golden_section_ties_keep_the_left_part() -> None:
    # a flat profit: every comparison ties and keeps [a, d]: [0, 61], [0, 38], [0, 23]
    search = Traced(lambda x: 0, cap=10**6)
    assert search.golden(0, 100) == (0, 23)
    assert search.seen == [38, 61, 23, 14, 8]
    assert search.best_x == 38  # ties keep the input evaluated first


def test_golden_section_on_a_narrow_interval_evaluates_nothing() -> None:
    search = Traced(lambda x: x, cap=10**6)
    assert search.golden(10, 42) == (10, 42) and search.seen == []
    assert search.golden(10, 43) != (10, 43) and search.seen


def test_golden_fractions_of_wide_intervals() -> None:
    """``_frac(w, num)`` is floor(w * num / 10**6) up to one unit, split so that no product
    exceeds 128 bits: (w // 10**6) * num + (w % 10**6) * num // 10**6."""
    assert twin._frac(100, twin.GOLD_LO) == 38
    assert twin._frac(2_500_000, twin.GOLD_HI) == 2 * 618_034 + 309_017
    assert twin._frac(10**12 + 5, twin.GOLD_LO) == 381_966 * 10**6 + 1
    assert (
        twin._frac(2**126, twin.GOLD_HI)
        == (2**126 // 10**6) * 618_034 + (2**126 % 10**6) * 618_034 // 10**6
    )
    assert (twin.GOLD_LO, twin.GOLD_HI, twin.MILLION) == (381_966, 618_034, 10**6)


def test_climb_steps_right_then_stops_at_a_local_optimum() -> None:
    # from 10 towards the peak at 20: 11, ..., 20 improve; 21 and 19 do not
    search = Traced(lambda x: -abs(x - 20), cap=10**6)
    search.ev(10)
    search.climb()
    assert search.seen == [10, *range(11, 22), 19]
    assert search.best_x == 20


def test_climb_stops_at_the_cap() -> None:
    # a rising profit: 46, ..., 50 = cap improve; from the cap only the left neighbour (49)
    search = Traced(lambda x: x, cap=50)
    search.ev(45)
    search.climb()
    assert search.seen == [45, 46, 47, 48, 49, 50, 49]
    assert search.best_x == 50


def test_climb_steps_left_and_snaps() -> None:
    # from 30, 31 misses, 29 improves; the snap then moves to the smallest input with the
    # same output (out = profit + x is 20 from 20 upwards): 20, whose neighbours miss
    search = Traced(lambda x: -abs(x - 20), cap=10**6)
    search.ev(30)
    search.climb()
    assert search.best_x == 20
    assert search.seen[:3] == [30, 31, 29]
    assert search.seen[-2:] == [21, 19]


def test_climb_stops_on_a_tie() -> None:
    # a profit that rises to 20 and stays: 16, ..., 20 improve; 21 ties (no step), 19 misses
    search = Traced(lambda x: min(x, 20), cap=10**6)
    search.ev(15)
    search.climb()
    assert search.seen == [15, 16, 17, 18, 19, 20, 21, 19]


def test_climb_steps_left_down_to_input_one_only() -> None:
    # a falling profit from 2: 3 misses, 1 improves (the snap has nothing to do: out = 0),
    # then 2 misses and there is no input 0 to try
    search = Traced(lambda x: -x, cap=10)
    search.ev(2)
    search.climb()
    assert search.seen == [2, 3, 1, 2]
    assert search.best_x == 1


def test_climb_stops_after_climb_cap_improvements() -> None:
    search = Traced(lambda x: x, cap=10**6)
    search.ev(1)
    search.climb()
    assert twin.CLIMB_CAP == 4096
    assert search.best_x == 1 + twin.CLIMB_CAP


def test_seed_is_the_continuous_optimum() -> None:
    """``(sqrt(A) - 1) / B`` floored, in [1, cap]; 1 when it is below 1 or not a number; the
    cap when it is at least 2**126."""
    assert twin._seed(4.0, 0.5, 10**6) == 2  # (2 - 1) / 0.5
    assert twin._seed(9.0, 0.25, 10**6) == 8  # (3 - 1) / 0.25
    assert twin._seed(2.25, 0.0001, 10**6) == 5000  # (1.5 - 1) / 1e-4
    assert twin._seed(4.0, 1e-9, 5) == 5  # capped
    assert twin._seed(2.25, 1.0, 10**6) == 1  # 0.5 < 1
    assert twin._seed(0.25, 1.0, 10**6) == 1  # negative
    assert twin._seed(float("inf"), float("inf"), 10**6) == 1  # inf / inf is not a number
    assert twin._seed(4.0, 2.0**-130, 2**126) == 2**126
    assert twin._seed(4.0, 2.0**-120, 2**126) == 2**120


def test_rates_of_the_continuous_model() -> None:
    """Each leg is ``a x / (1 + b x)``: V2 ``a = g ro / ri``, ``b = g / ri`` (g = 1 - fee);
    V3 with ``s = sqrt_price / 2**96``: ``a = g s**2``, ``b = g s / L`` (zero_for_one) or
    ``a = g / s**2``, ``b = g / (L s)``. Chained: ``A = a1 a2``, ``B = b1 + b2 a1``."""
    rates = twin._rates
    legs = twin._legs
    assert rates(legs([("v2", 1000, 2000, 0)])) == (2.0, 0.001)
    assert rates(legs([("v2", 1000, 2000, 0), ("v2", 4000, 1000, 0)])) == (0.5, 0.0015)
    a, b = rates(legs([("v2", 1000, 2000, 30)])) or (0.0, 0.0)
    assert a == pytest.approx(2 * 0.997, rel=1e-15) and b == pytest.approx(0.000997, rel=1e-15)
    up = ("v3", 2**97, 13863, 10**6, 3000, 1, (), (), True)  # s = 2
    down = ("v3", 2**97, 13863, 10**6, 3000, 1, (), (), False)
    a, b = rates(legs([up])) or (0.0, 0.0)
    assert a == pytest.approx(0.997 * 4, rel=1e-15) and b == pytest.approx(0.997 * 2e-6, rel=1e-15)
    a, b = rates(legs([down])) or (0.0, 0.0)
    assert a == pytest.approx(0.997 / 4, rel=1e-15) and b == pytest.approx(0.997 / 2e6, rel=1e-15)
    dry_range = ("v3", 2**97, 13863, 0, 3000, 1, (0, 20000), (5, -5), True)
    assert rates(legs([dry_range])) == (pytest.approx(0.997 * 4), float("inf"))
    dry_range = ("v3", 2**97, 13863, 0, 3000, 1, (0, 20000), (5, -5), False)
    assert rates(legs([dry_range])) == (pytest.approx(0.997 / 4), float("inf"))
    assert rates(legs([("v2", 0, 10, 30)])) is None
    assert rates(legs([("v2", 10, 0, 30)])) is None
    assert rates(legs([("v3", 2**97, 13863, 0, 3000, 1, (), (), True)])) is None


class Recorded(twin._Search):
    """The search over a real cycle, recording every input ``ev`` evaluates."""

    __slots__ = ("seen",)

    def __init__(self, legs: Legs, cap: int) -> None:
        super().__init__(twin._legs(legs), cap)
        self.seen: list[int] = []

    def ev(self, x: int) -> int:
        self.seen.append(x)
        return int(super().ev(x))


def _polish_by_hand(legs: Legs, cap: int, start: int) -> tuple[list[int], int]:
    """The polish as its docstring states it, over precomputed outputs: for each
    intermediate token k whose step at the best input is wider than one input, walk its
    amounts up and then down from the best input's, evaluating each amount's smallest input
    (a brute-force scan), a direction ending at amount 0, at an amount no input up to the cap
    reaches, or after POLISH evaluations in a row without a strict improvement."""
    profit = [0, *(_v2_chain(legs, y) - y for y in range(1, cap + 1))]
    best, seen = start, []
    for k in range(1, len(legs)):
        mids = [0, *(_v2_chain(legs[:k], y) for y in range(1, cap + 1))]
        m0 = mids[best]
        left_edge = best == 1 or mids[best - 1] < m0
        if m0 == 0 or (left_edge and (best >= cap or mids[best + 1] > m0)):
            continue
        for step in (1, -1):
            m, misses = mids[best], 0
            while misses < twin.POLISH:
                m += step
                y = next((y for y in range(1, cap + 1) if mids[y] >= m), 0)
                if m < 1 or y == 0:
                    break
                seen.append(y)
                improved = profit[y] > profit[best]
                best = y if improved else best
                misses = 0 if improved else misses + 1
    return seen, best


# (cycle, cap, starting best inputs, inputs the walks evaluate in all): the coarse cycle
# walks; every input of the fine one is a left edge of its step (no walk); the tiny first pool
# pays 1 for inputs 1 and 2, 2 from 3, 3 from 9, so input 1 and 2 share a step and 9 starts one
TINY: Legs = [("v2", 3, 4, 0), ("v2", 4, 3_000, 0)]
POLISHED = [
    pytest.param(COARSE, 2998, (1, 2, 30, 60, 500, 777, 1499, 2996, 2998), 50, id="coarse"),
    pytest.param(FINE, 1198, (1, 2, 30, 60, 500, 777, 1196, 1198), 0, id="fine"),
    pytest.param(TINY, 2998, (1, 2, 3, 9, 2998), 1, id="tiny"),
    pytest.param(TINY, 9, (1, 2, 8, 9), 1, id="tiny-cap-9"),
]


@pytest.mark.parametrize(("legs", "cap", "starts", "walked"), POLISHED)
def test_polish_walks_the_left_edges_of_coarse_amounts(
    legs: Legs, cap: int, starts: tuple[int, ...], walked: int
) -> None:
    seen_in_all = 0
    for start in starts:
        search = Recorded(legs, cap)
        search.ev(start)
        search.seen.clear()
        search.polish()
        seen, best = _polish_by_hand(legs, cap, start)
        assert search.seen == seen, (start, search.seen, seen)
        assert search.best_x == best, start
        seen_in_all += len(seen)
    assert twin.POLISH == 16
    assert seen_in_all >= walked if walked else seen_in_all == 0


class Steps(twin._Search):
    """The search with a log of its steps: each step's name and arguments when it starts
    (``bracket``, ``golden``: their results too) and every input evaluated."""

    __slots__ = ("log",)

    def __init__(self, legs: Any, cap: int) -> None:
        super().__init__(legs, cap)
        self.log: list[tuple[Any, ...]] = []

    def ev(self, x: int) -> int:
        self.log.append(("ev", x))
        return int(super().ev(x))

    def enumerate(self) -> None:
        self.log.append(("enumerate",))
        super().enumerate()

    def bracket(self, s: int) -> tuple[int, int]:
        self.log.append(("bracket", s))
        lo, hi = super().bracket(s)
        self.log.append(("bracketed", lo, hi))
        return lo, hi

    def golden(self, a: int, b: int) -> tuple[int, int]:
        self.log.append(("golden", a, b))
        a, b = super().golden(a, b)
        self.log.append(("narrowed", a, b))
        return a, b

    def snap(self) -> None:
        self.log.append(("snap",))
        super().snap()

    def climb(self) -> None:
        self.log.append(("climb",))
        super().climb()

    def polish(self) -> None:
        self.log.append(("polish",))
        super().polish()


def _run_steps(
    monkeypatch: pytest.MonkeyPatch, legs: Legs, max_in: int | None = None
) -> tuple[tuple[int, int, int], Steps]:
    made: list[Steps] = []

    def steps(legs: Any, cap: int) -> Steps:
        made.append(Steps(legs, cap))
        return made[-1]

    monkeypatch.setattr(twin, "_Search", steps)
    result = twin.optimize_cycle(legs, max_in)
    assert len(made) == 1
    return result, made[0]


def _names(search: Steps) -> list[str]:
    return [entry[0] for entry in search.log if entry[0] not in ("ev", "bracketed", "narrowed")]


DEEP_V2: Legs = [("v2", 10**21, 2 * 10**21, 30), ("v2", 2 * 10**21, 11 * 10**20, 30)]
DEEP_3: Legs = [
    ("v2", 10**20, 3 * 10**20, 30),
    ("v2", 10**20, 10**20, 5),
    ("v2", 3 * 10**20, 11 * 10**19, 30),
]


# optimal_two_pool's input is 1 here: the first pool pays 500,000 for it and the second
# already pays 2,999 of its 3,000 for that
SATURATED: Legs = [("v2", 1, 10**6, 0), ("v2", 10, 3_000, 0)]
DEEP_V2_X0 = 22934312012472616824  # optimal_two_pool's input for DEEP_V2


@pytest.mark.parametrize(
    ("legs", "max_in"),
    [
        pytest.param(DEEP_V2, None, id="two-v2"),
        pytest.param(DEEP_V2, DEEP_V2_X0, id="two-v2-capped-at-its-input"),
        pytest.param(SATURATED, None, id="two-v2-input-1"),
        pytest.param(DEEP_3, None, id="three"),
    ],
)
def test_search_runs_its_steps_in_the_documented_order(
    monkeypatch: pytest.MonkeyPatch, legs: Legs, max_in: int | None
) -> None:
    """Past ENUM_CAP: (two V2 legs: optimal_two_pool's input first), the bracket from the
    seed, the golden section on the bracket, every input of the final interval, snap, climb,
    then (more than one leg) polish, snap and climb again; the result is the best input
    evaluated."""
    result, search = _run_steps(monkeypatch, legs, max_in)
    cap = legs[-1][2] - 2 if max_in is None else min(legs[-1][2] - 2, max_in)
    assert search.cap == cap
    assert _names(search) == ["bracket", "golden", "snap", "climb", "polish", "snap", "climb"]
    log = search.log
    if len(legs) == 2:
        (_, a1, b1, f1), (_, b2, a2, f2) = legs
        x0 = v2_math_py.optimal_two_pool(a1, b1, f1, b2, a2, f2)[0]
        assert log[0] == ("ev", x0) and 1 <= x0 <= cap
    rates = twin._rates(twin._legs(legs))
    assert rates is not None
    start = log.index(("bracket", twin._seed(*rates, cap)))
    lo, hi = next(e[1:] for e in log if e[0] == "bracketed")
    assert ("golden", lo, hi) in log
    at = next(i for i, e in enumerate(log) if e[0] == "narrowed")
    a, b = log[at][1:]
    assert log[at + 1 : at + 2 + b - a] == [("ev", x) for x in range(a, b + 1)]
    assert log[at + 2 + b - a] == ("snap",)
    assert start <= 1
    evaluated = [e[1] for e in log if e[0] == "ev"]
    profits = {x: _v2_chain(legs, x) - x for x in evaluated}
    best = max(profits.values())
    assert result == (search.best_x, search.best_o, search.best_p)
    assert result[2] == best > 0 and profits[result[0]] == best


def test_one_leg_search_has_no_polish(monkeypatch: pytest.MonkeyPatch) -> None:
    _, search = _run_steps(monkeypatch, [("v2", 10**20, 3 * 10**20, 30)])
    assert _names(search) == ["bracket", "golden", "snap", "climb"]


def test_small_caps_are_enumerated(monkeypatch: pytest.MonkeyPatch) -> None:
    """cap = min(reserve_out - 2, max_in): every input up to it, in order, when it is at
    most ENUM_CAP, and nothing else."""
    for legs, max_in, cap in (
        ([("v2", 1000, 2050, 30)], None, 2048),
        (DEEP_V2, 2048, 2048),
        (DEEP_V2, 7, 7),
    ):
        _, search = _run_steps(monkeypatch, legs, max_in)
        assert search.cap == cap
        assert search.log == [("enumerate",), *(("ev", x) for x in range(1, cap + 1))]
    _, search = _run_steps(monkeypatch, [("v2", 1000, 2051, 30)])
    assert search.cap == 2049 and _names(search)[0] == "bracket"
