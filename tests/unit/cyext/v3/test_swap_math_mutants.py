"""SwapMath.computeSwapStep at the edges that mutation testing found unchecked.

Oracles: UniswapV3Factory's fee bound (``fee < 1000000``), and the step's definition from the
whitepaper (6.2.3): an exact input that covers the amount needed to reach the target ends the
step at the target, with that amount in and the rest as fee; the amounts are the exact
Fraction amounts of test_sqrt_price_math_mutants.py, rounded in the pool's favour.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arbstream.cyext.v3.errors import FeePipsError

from .impls import impls

Q96 = 2**96
IMPLS = impls("swap_math")


@pytest.mark.parametrize("m", IMPLS)
@pytest.mark.parametrize("fee", [1_000_000, 1_000_001, 2**24 - 1])
def test_fee_of_100_percent_or_more_is_rejected(m: Any, fee: int) -> None:
    with pytest.raises(FeePipsError) as info:
        m.compute_swap_step(Q96, 2 * Q96, 10**18, 10**18, fee)
    assert info.value.fee_pips == fee
    assert str(fee) in str(info.value)
    assert m.compute_swap_step(Q96, 2 * Q96, 10**18, 10**18, 999_999)[0] > Q96


def exact_amounts(cur: int, target: int, liquidity: int) -> tuple[Fraction, Fraction]:
    """(token in, token out) to move from cur to target, exactly."""
    lo, hi = min(cur, target), max(cur, target)
    amount0 = Fraction(liquidity * Q96 * (hi - lo), hi * lo)
    amount1 = Fraction(liquidity * (hi - lo), Q96)
    return (amount0, amount1) if target < cur else (amount1, amount0)


prices = st.integers(2**90, 2**100)


@pytest.mark.parametrize("m", IMPLS)
@given(
    cur=prices,
    target=prices,
    liquidity=st.integers(10**6, 10**24),
    fee=st.sampled_from([0, 500, 3000, 10_000]),
    extra=st.integers(0, 3),
)
def test_an_input_that_covers_the_target_ends_the_step_there(
    m: Any, cur: int, target: int, liquidity: int, fee: int, extra: int
) -> None:
    exact_in, exact_out = exact_amounts(cur, target, liquidity)
    need = math.ceil(exact_in)  # owed to the pool: rounded up
    # the smallest amount whose fee-less part covers `need` (mulDiv floors), plus `extra`
    remaining = -(-need * 1_000_000 // (1_000_000 - fee)) + extra
    nxt, amount_in, amount_out, fee_amount = m.compute_swap_step(
        cur, target, liquidity, remaining, fee
    )
    assert (nxt, amount_in, amount_out) == (target, need, math.floor(exact_out))
    if fee == 0:
        assert fee_amount == 0
    else:
        assert fee_amount == math.ceil(Fraction(need * fee, 1_000_000 - fee))
