"""``PreparedPool`` (tick data validated/converted once) == ``swap``, in both implementations."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbstream.cyext.v3 import swap_py
from arbstream.cyext.v3.tick_math_py import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_sqrt_ratio_at_tick
from tests.unit.cyext.v3.impls import compiled

KERNEL = compiled("swap")
IMPLS = [swap_py] + ([KERNEL] if KERNEL is not None else [])


def _outcome(fn, *args):  # type: ignore[no-untyped-def]
    try:
        return fn(*args)
    except Exception as exc:  # compare errors as data
        return (type(exc).__name__, getattr(exc, "reason", None))


@pytest.mark.parametrize("impl", IMPLS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
@settings(max_examples=300, deadline=None)
@given(
    spacing=st.sampled_from([1, 10, 60, 200]),
    positions=st.lists(
        st.tuples(st.integers(-2000, 2000), st.integers(1, 2000), st.integers(1, 10**22)),
        min_size=1,
        max_size=6,
    ),
    zero_for_one=st.booleans(),
    amount=st.integers(-(10**24), 10**24).filter(bool),
)
def test_prepared_pool_equals_swap(impl, spacing, positions, zero_for_one, amount) -> None:  # type: ignore[no-untyped-def]
    nets: dict[int, int] = {}
    liquidity = 0
    for lower, width, liq in positions:
        lo, hi = lower * spacing, (lower + width) * spacing
        nets[lo] = nets.get(lo, 0) + liq
        nets[hi] = nets.get(hi, 0) - liq
        if lo <= 0 < hi:
            liquidity += liq
    ticks = sorted(t for t, n in nets.items() if n)
    net_list = [nets[t] for t in ticks]
    sqrt_price = get_sqrt_ratio_at_tick(0)
    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    pool = impl.PreparedPool(3000, spacing, ticks, net_list)
    expected = _outcome(
        swap_py.swap,
        sqrt_price,
        0,
        liquidity,
        3000,
        spacing,
        ticks,
        net_list,
        zero_for_one,
        amount,
        limit,
    )
    assert _outcome(pool.swap, sqrt_price, 0, liquidity, zero_for_one, amount, limit) == expected
    assert (
        _outcome(
            impl.swap,
            sqrt_price,
            0,
            liquidity,
            3000,
            spacing,
            ticks,
            net_list,
            zero_for_one,
            amount,
            limit,
        )
        == expected
    )
