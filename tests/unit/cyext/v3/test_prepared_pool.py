"""``PreparedPool`` (tick data validated/converted once) == ``swap`` of the same implementation,
for the twin and the kernel; the kernel's ``PreparedPool`` == the twin's ``swap`` (parity)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbstream.cyext.errors import PricingError, PricingInputError
from arbstream.cyext.v3 import swap_py
from arbstream.cyext.v3.tick_math_py import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_sqrt_ratio_at_tick
from tests.unit.cyext.v3.impls import compiled

KERNEL = compiled("swap")
IMPLS = [swap_py] + ([KERNEL] if KERNEL is not None else [])
FEE = 3000

#: (sqrt price, tick, liquidity, tick spacing, ticks, liquidity nets, zero for one, amount, limit)
Case = tuple[int, int, int, int, list[int], list[int], bool, int, int]


def _outcome(fn: Callable[..., Any], *args: Any) -> tuple[Any, ...]:
    """The result, or a typed pricing error as data (its type and revert reason). Any other
    exception is not an outcome: it propagates and fails the test."""
    try:
        return ("ok", fn(*args))
    except PricingError as exc:
        return (type(exc), exc.reason)
    except PricingInputError as exc:
        return (type(exc),)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A pool at tick 0 built from random positions, and a swap on it."""
    spacing = draw(st.sampled_from([1, 10, 60, 200]))
    positions = draw(
        st.lists(
            st.tuples(st.integers(-2000, 2000), st.integers(1, 2000), st.integers(1, 10**22)),
            min_size=1,
            max_size=6,
        )
    )
    zero_for_one = draw(st.booleans())
    amount = draw(st.integers(-(10**24), 10**24).filter(bool))
    nets: dict[int, int] = {}
    liquidity = 0
    for lower, width, liq in positions:
        lo, hi = lower * spacing, (lower + width) * spacing
        nets[lo] = nets.get(lo, 0) + liq
        nets[hi] = nets.get(hi, 0) - liq
        if lo <= 0 < hi:
            liquidity += liq
    ticks = sorted(t for t, n in nets.items() if n)
    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    sqrt_price = get_sqrt_ratio_at_tick(0)
    nets_list = [nets[t] for t in ticks]
    return (sqrt_price, 0, liquidity, spacing, ticks, nets_list, zero_for_one, amount, limit)


def prepared(impl: Any, case: Case) -> tuple[Any, ...]:
    sqrt_price, tick, liquidity, spacing, ticks, nets, zfo, amount, limit = case
    pool = impl.PreparedPool(FEE, spacing, ticks, nets)
    return _outcome(pool.swap, sqrt_price, tick, liquidity, zfo, amount, limit)


def flat(impl: Any, case: Case) -> tuple[Any, ...]:
    sqrt_price, tick, liquidity, spacing, ticks, nets, zfo, amount, limit = case
    args = (sqrt_price, tick, liquidity, FEE, spacing, ticks, nets, zfo, amount, limit)
    return _outcome(impl.swap, *args)


@pytest.mark.parametrize("impl", IMPLS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
@settings(max_examples=300, deadline=None)
@given(case=cases())
def test_prepared_pool_equals_swap(impl: Any, case: Case) -> None:
    assert prepared(impl, case) == flat(impl, case)


@pytest.mark.parity
@settings(max_examples=300, deadline=None)
@given(case=cases())
def test_kernel_prepared_pool_equals_twin_swap(case: Case) -> None:
    assert KERNEL is not None, "arbstream.cyext.v3._swap was not built"
    assert prepared(KERNEL, case) == flat(swap_py, case)
