"""TickMath.getTickAtSqrtRatio against its definition on a dense sweep of ticks (checks that
mutation testing found missing).

Oracle: the function's NatSpec - "the greatest tick for which the ratio is less than or equal
to the input ratio" - evaluated with getSqrtRatioAtTick (itself pinned by Uniswap's vectors in
test_vectors.py): at ``ratio(t)`` the answer is ``t``, one below it ``t - 1``, and just below
``ratio(t + 1)`` still ``t``. The sweep covers every tick near the middle of the range and
near both ends, where the log approximation's error bounds are tightest.
"""

from __future__ import annotations

from typing import Any

import pytest

from arbstream.cyext.v3.tick_math_py import MAX_TICK, MIN_TICK

from .impls import impls

SWEEP = [*range(-3000, 3001), *range(MIN_TICK, MIN_TICK + 300), *range(MAX_TICK - 300, MAX_TICK)]


@pytest.mark.parametrize("m", impls("tick_math"))
def test_tick_at_ratio_is_the_greatest_tick_at_or_below(m: Any) -> None:
    wrong = []
    for t in SWEEP:
        ratio, above = m.get_sqrt_ratio_at_tick(t), m.get_sqrt_ratio_at_tick(t + 1)
        got = (m.get_tick_at_sqrt_ratio(ratio), m.get_tick_at_sqrt_ratio(above - 1))
        if got != (t, t):
            wrong.append((t, got))
        if t > MIN_TICK and m.get_tick_at_sqrt_ratio(ratio - 1) != t - 1:
            wrong.append((t, "below"))
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("m", impls("tick_math"))
def test_ratio_at_tick_is_symmetric_around_zero(m: Any) -> None:
    """ratio(-t) is computed as uint256.max / ratio(t) rounded up to Q96: the product of the two
    is 2**192 up to the rounding of either side (a few parts in 2**96)."""
    assert m.get_sqrt_ratio_at_tick(0) == 2**96
    for t in (1, 2, 3, 100, 4055, 887271, 887272):
        product = m.get_sqrt_ratio_at_tick(t) * m.get_sqrt_ratio_at_tick(-t)
        assert abs(product - 2**192) <= 2 * m.get_sqrt_ratio_at_tick(t), t
