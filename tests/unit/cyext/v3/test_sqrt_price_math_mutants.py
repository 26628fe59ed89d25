"""SqrtPriceMath against exact rational math (checks that mutation testing found missing).

Oracle: the whitepaper's formulas (Uniswap V3 whitepaper 6.14-6.16) in exact ``Fraction``
arithmetic, rounded the way each function's name and NatSpec promise (amounts owed to the pool
up, amounts paid out down; prices after an input so they do not pass the target) - not the
contract's sequence of integer steps:

- ``amount0 = L * 2**96 * (pb - pa) / (pa * pb)``, ``amount1 = L * (pb - pa) / 2**96``;
- token1 in/out moves the price by ``amount * 2**96 / L`` (down rounded so the price moves
  less); token0 in/out sets it to ``L * 2**96 * P / (L * 2**96 +- amount * P)`` (rounded up).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from arbstream.cyext.errors import PricingError
from arbstream.cyext.v3.errors import (
    DivisionByZero,
    FullMathDivByZero,
    FullMathOverflow,
    InsufficientReserves,
    LiquidityZero,
    SafeCastOverflow,
    SafeMathOverflow,
    SqrtPriceZero,
)

from .impls import impls

Q96 = 2**96
U160 = 2**160 - 1
U256 = 2**256 - 1
IMPLS = impls("sqrt_price_math")

prices = st.one_of(
    st.integers(1, U160), st.integers(2**80, 2**112), st.sampled_from([1, 2, Q96, U160])
)
liquidities = st.one_of(st.integers(1, 2**128 - 1), st.integers(1, 2**70), st.just(1))
amounts = st.one_of(st.integers(0, 2**256 - 1), st.integers(0, 2**100), st.sampled_from([0, 1]))


def ceil(x: Fraction) -> int:
    return math.ceil(x)


def floor(x: Fraction) -> int:
    return math.floor(x)


def outcome(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except PricingError as exc:
        return type(exc)


def amount0(pa: int, pb: int, liquidity: int) -> Fraction:
    lo, hi = min(pa, pb), max(pa, pb)
    return Fraction(liquidity * Q96 * (hi - lo), hi * lo)


def amount1(pa: int, pb: int, liquidity: int) -> Fraction:
    return Fraction(liquidity * abs(pb - pa), Q96)


@pytest.mark.parametrize("m", IMPLS)
@given(pa=prices, pb=prices, liquidity=liquidities)
def test_amount_deltas_are_the_exact_amounts_rounded(
    m: Any, pa: int, pb: int, liquidity: int
) -> None:
    exact0, exact1 = amount0(pa, pb, liquidity), amount1(pa, pb, liquidity)
    assert m.get_amount0_delta(pa, pb, liquidity, True) == ceil(exact0)
    assert m.get_amount0_delta(pa, pb, liquidity, False) == floor(exact0)
    assert m.get_amount1_delta(pa, pb, liquidity, True) == ceil(exact1)
    assert m.get_amount1_delta(pa, pb, liquidity, False) == floor(exact1)
    signed = liquidity >> 1  # an int128
    assert m.get_amount0_delta_signed(pa, pb, signed) == ceil(amount0(pa, pb, signed))
    assert m.get_amount0_delta_signed(pa, pb, -signed) == -floor(amount0(pa, pb, signed))
    assert m.get_amount1_delta_signed(pa, pb, signed) == ceil(amount1(pa, pb, signed))
    assert m.get_amount1_delta_signed(pa, pb, -signed) == -floor(amount1(pa, pb, signed))


@pytest.mark.parametrize("m", IMPLS)
def test_amount0_delta_needs_a_nonzero_price(m: Any) -> None:
    for call in (
        lambda: m.get_amount0_delta(0, Q96, 1, True),
        lambda: m.get_amount0_delta(Q96, 0, 1, False),
        lambda: m.get_amount0_delta_signed(0, Q96, 1),
        lambda: m.get_amount0_delta_signed(Q96, 0, -1),
    ):
        with pytest.raises(SqrtPriceZero):
            call()
    assert m.get_amount1_delta(0, Q96, 5, True) == 5  # only amount0 divides by the price
    assert m.get_amount0_delta(Q96, Q96, 5, True) == 0


def next_from_token1(price: int, liquidity: int, amount: int, add: bool) -> Any:
    """Token1 in (add) / out: the price moves by amount / L, rounded to move less / more.

    The step is a FullMath.mulDiv(RoundingUp) when the amount is past uint160 (reverting when
    the step does not fit uint256); the sum is LowGasSafeMath.add, then SafeCast.toUint160.
    """
    step = (
        floor(Fraction(amount * Q96, liquidity)) if add else ceil(Fraction(amount * Q96, liquidity))
    )
    if step > U256:
        return FullMathOverflow
    if add:
        nxt = price + step
        return SafeMathOverflow if nxt > U256 else nxt if nxt <= U160 else SafeCastOverflow
    nxt = price - step
    return nxt if nxt > 0 else InsufficientReserves


def next_from_token0(price: int, liquidity: int, amount: int, add: bool) -> Any:
    """Token0 in (add) / out: L * Q96 * P / (L * Q96 +- amount * P), rounded up."""
    lq = liquidity * Q96
    denominator = lq + amount * price if add else lq - amount * price
    if denominator <= 0:
        return InsufficientReserves
    nxt = ceil(Fraction(lq * price, denominator))
    return nxt if nxt <= U160 else SafeCastOverflow


@pytest.mark.parametrize("m", IMPLS)
@given(price=prices, liquidity=liquidities, amount=amounts, zero_for_one=st.booleans())
def test_next_price_from_input_is_the_exact_price_rounded(
    m: Any, price: int, liquidity: int, amount: int, zero_for_one: bool
) -> None:
    if zero_for_one:
        # the contract's exact branch: amount * price and L * 2**96 + amount * price fit uint256
        assume(liquidity * Q96 + amount * price < 2**256)
        want = next_from_token0(price, liquidity, amount, True)
    else:
        want = next_from_token1(price, liquidity, amount, True)
    assert outcome(m.get_next_sqrt_price_from_input, price, liquidity, amount, zero_for_one) == want
    helper = (
        m.get_next_sqrt_price_from_amount0_rounding_up
        if zero_for_one
        else m.get_next_sqrt_price_from_amount1_rounding_down
    )
    assert outcome(helper, price, liquidity, amount, True) == want


@pytest.mark.parametrize("m", IMPLS)
@given(price=prices, liquidity=liquidities, amount=amounts, zero_for_one=st.booleans())
def test_next_price_from_output_is_the_exact_price_rounded(
    m: Any, price: int, liquidity: int, amount: int, zero_for_one: bool
) -> None:
    if zero_for_one:
        want = next_from_token1(price, liquidity, amount, False)
    else:
        assume(amount * price < 2**256)
        want = next_from_token0(price, liquidity, amount, False)
    got = outcome(m.get_next_sqrt_price_from_output, price, liquidity, amount, zero_for_one)
    assert got == want


@pytest.mark.parametrize("m", IMPLS)
def test_the_edges_of_the_exact_formulas(m: Any) -> None:
    # token1 in at exactly uint160.max, and one more
    assert m.get_next_sqrt_price_from_input(U160 - 1, Q96, 1, False) == U160
    with pytest.raises(SafeCastOverflow):
        m.get_next_sqrt_price_from_input(U160, Q96, 1, False)
    # token1 out of exactly the price (in price units): the reserves; one less is fine
    with pytest.raises(InsufficientReserves):
        m.get_next_sqrt_price_from_output(Q96, Q96, Q96, True)
    assert m.get_next_sqrt_price_from_output(Q96 + 1, Q96, Q96, True) == 1
    # token0 out of exactly the virtual reserves L / P
    with pytest.raises(InsufficientReserves):
        m.get_next_sqrt_price_from_output(Q96, 10**18, 10**18, False)
    assert m.get_next_sqrt_price_from_output(Q96, 10**18, 10**18 - 1, False) == 10**18 * Q96
    # nothing in or out leaves the price
    for zero_for_one in (True, False):
        assert m.get_next_sqrt_price_from_input(Q96, 7, 0, zero_for_one) == Q96
        assert m.get_next_sqrt_price_from_output(Q96, 7, 0, zero_for_one) == Q96
    # token1 amounts past uint160 (the mulDiv branch) are the same exact step
    big = 2**170
    assert m.get_next_sqrt_price_from_input(1, 2**127, big, False) == 1 + big * Q96 // 2**127
    with pytest.raises(InsufficientReserves):
        m.get_next_sqrt_price_from_output(U160, 2**127, 2**192, True)
    assert m.get_next_sqrt_price_from_output(U160, 2**127, 2**161, True) == U160 - (
        -(-(2**161) * Q96 // 2**127)
    )


@pytest.mark.parametrize("m", IMPLS)
@pytest.mark.parametrize("zero_for_one", [True, False])
def test_zero_price_and_zero_liquidity_are_bare_requires(m: Any, zero_for_one: bool) -> None:
    for fn in (m.get_next_sqrt_price_from_input, m.get_next_sqrt_price_from_output):
        with pytest.raises(SqrtPriceZero):
            fn(0, 1, 1, zero_for_one)
        with pytest.raises(LiquidityZero):
            fn(Q96, 0, 1, zero_for_one)
        with pytest.raises(SqrtPriceZero):  # the price is checked first
            fn(0, 0, 1, zero_for_one)


@pytest.mark.parametrize("m", IMPLS)
def test_token0_input_past_uint256_takes_the_contracts_fallback(m: Any) -> None:
    """amount * price overflows uint256: the contract divides first (L*2**96 / P + amount),
    rounding up, which stays between the exact price and the exact price with the division
    rounded down; the result is never above the starting price."""
    price, liquidity = 2**150, 2**100
    for amount in (2**120, 2**200, 2**255):
        got = m.get_next_sqrt_price_from_input(price, liquidity, amount, True)
        lq = liquidity * Q96
        exact = Fraction(lq * price, lq + amount * price)
        assert ceil(exact) <= got <= ceil(Fraction(lq, lq // price + amount))
        assert got <= price


@pytest.mark.parametrize("m", IMPLS)
def test_token1_helper_at_the_uint160_branch_edge(m: Any) -> None:
    """The token1 step switches from ``(amount << 96) / L`` to FullMath past uint160: with no
    liquidity the first is Solidity's division by zero (add) or UnsafeMath's x / 0 == 0
    (remove), the second FullMath's require (``denominator > 0``)."""
    fn = m.get_next_sqrt_price_from_amount1_rounding_down
    with pytest.raises(DivisionByZero):
        fn(Q96, 0, U160, True)
    with pytest.raises(FullMathDivByZero):
        fn(Q96, 0, U160 + 1, True)
    assert fn(Q96, 0, U160, False) == Q96
    assert fn(Q96, 0, 5, False) == Q96
    with pytest.raises(FullMathDivByZero):
        fn(Q96, 0, U160 + 1, False)
    # price + step == uint256.max exactly: LowGasSafeMath passes, SafeCast.toUint160 reverts
    with pytest.raises(SafeCastOverflow):
        fn(U160, 1, 2**160 - 2**64, True)


@pytest.mark.parametrize("m", IMPLS)
def test_token0_helper_at_the_uint256_branch_edges(m: Any) -> None:
    """``L * 2**96 + amount * P`` exactly uint256.max does not wrap: the contract takes the
    exact step (mulDivRoundingUp), where the fallback's early division would round
    differently. At price 1 with the sum past uint256, the fallback's LowGasSafeMath.add
    reverts (the price is not 0: no division by zero)."""
    fn = m.get_next_sqrt_price_from_amount0_rounding_up
    price = 83907210077366307781535322000513634241262755
    liquidity = 72595533331034873910979219030754781375
    amount = 1380001660462777293019479831765237
    lq = liquidity * Q96
    assert lq + amount * price == U256
    exact = ceil(Fraction(lq * price, lq + amount * price))
    assert exact != ceil(Fraction(lq, lq // price + amount))  # the fallback's would differ
    assert fn(price, liquidity, amount, True) == exact == 4167828834601876216634289756800962
    with pytest.raises(SafeMathOverflow):
        fn(1, 1, U256, True)
