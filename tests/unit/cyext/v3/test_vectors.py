"""Uniswap/v3-core's own test vectors (TickMath, SqrtPriceMath, SwapMath; every number and every
revert), against the twin and, when built, the Cython kernel (tests/data/uniswap-v3-core/)."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest

from arbstream.cyext.errors import PricingError
from arbstream.cyext.v3.errors import (
    FullMathOverflow,
    InsufficientReserves,
    LiquidityZero,
    SafeCastOverflow,
    SqrtPriceOutOfRange,
    SqrtPriceZero,
    TickOutOfRange,
)

from .impls import DATA, impls

CASES: dict[str, list[dict[str, Any]]] = json.loads(
    (DATA / "uniswap-v3-core" / "v3_math_cases.json").read_text()
)


def cases(group: str) -> list[Any]:
    return [
        pytest.param(case, id=f"{i}-{case.get('name', case.get('tick', case.get('sqrtPriceX96')))}")
        for i, case in enumerate(CASES[group])
    ]


def test_every_vector_is_used() -> None:
    counts = {group: len(rows) for group, rows in CASES.items()}
    assert counts == {
        "TickMath_getSqrtRatioAtTick": 34,
        "TickMath_getTickAtSqrtRatio": 17,
        "SqrtPriceMath_getNextSqrtPriceFromInput": 12,
        "SqrtPriceMath_getNextSqrtPriceFromOutput": 13,
        "SqrtPriceMath_getAmount0Delta": 6,
        "SqrtPriceMath_getAmount1Delta": 3,
        "SwapMath_computeSwapStep": 9,
    }
    assert sum(counts.values()) == 94


# ---------------------------------------------------------------------------------- TickMath
@pytest.mark.parametrize("mod", impls("tick_math"))
@pytest.mark.parametrize("case", cases("TickMath_getSqrtRatioAtTick"))
def test_get_sqrt_ratio_at_tick(mod: ModuleType, case: dict[str, Any]) -> None:
    if case.get("reverts"):
        with pytest.raises(TickOutOfRange) as info:
            mod.get_sqrt_ratio_at_tick(case["tick"])
        assert info.value.reason == case["revertReason"] == "T"
    else:
        assert mod.get_sqrt_ratio_at_tick(case["tick"]) == int(case["expected"])


@pytest.mark.parametrize("mod", impls("tick_math"))
@pytest.mark.parametrize("case", cases("TickMath_getTickAtSqrtRatio"))
def test_get_tick_at_sqrt_ratio(mod: ModuleType, case: dict[str, Any]) -> None:
    if case.get("reverts"):
        with pytest.raises(SqrtPriceOutOfRange) as info:
            mod.get_tick_at_sqrt_ratio(int(case["sqrtPriceX96"]))
        assert info.value.reason == case["revertReason"] == "R"
    else:
        assert mod.get_tick_at_sqrt_ratio(int(case["sqrtPriceX96"])) == case["expected"]


@pytest.mark.parametrize("mod", impls("tick_math"))
def test_tick_math_constants(mod: ModuleType) -> None:
    assert (mod.MIN_TICK, mod.MAX_TICK) == (-887272, 887272)
    assert mod.get_sqrt_ratio_at_tick(mod.MIN_TICK) == mod.MIN_SQRT_RATIO == 4295128739
    assert mod.get_sqrt_ratio_at_tick(mod.MAX_TICK) == mod.MAX_SQRT_RATIO
    assert mod.MAX_SQRT_RATIO == 1461446703485210103287273052203988822378723970342
    assert mod.get_tick_at_sqrt_ratio(mod.MAX_SQRT_RATIO - 1) == mod.MAX_TICK - 1


# ----------------------------------------------------------------------------- SqrtPriceMath
# the contract's bare requires, by vector name: which one fires
NEXT_PRICE_REVERTS = {
    "fails if price is zero": SqrtPriceZero,
    "fails if liquidity is zero": LiquidityZero,
    "fails if input amount overflows the price": SafeCastOverflow,
    "fails if output amount is exactly the virtual reserves of token0": InsufficientReserves,
    "fails if output amount is greater than virtual reserves of token0": InsufficientReserves,
    "fails if output amount is greater than virtual reserves of token1": InsufficientReserves,
    "fails if output amount is exactly the virtual reserves of token1": InsufficientReserves,
    # amountOut > uint160.max: FullMath.mulDivRoundingUp(amount, Q96, liquidity) overflows first
    "reverts if amountOut is impossible in zero for one direction": FullMathOverflow,
    "reverts if amountOut is impossible in one for zero direction": InsufficientReserves,
}


def _next_price(mod: ModuleType, fn: str, case: dict[str, Any]) -> None:
    args = (
        int(case["sqrtPriceX96"]),
        int(case["liquidity"]),
        int(case["amount"]),
        case["zeroForOne"],
    )
    if case.get("reverts"):
        with pytest.raises(PricingError) as info:
            getattr(mod, fn)(*args)
        assert type(info.value) is NEXT_PRICE_REVERTS[case["name"]]
        assert info.value.reason == ""  # bare require / SafeCast
    else:
        assert getattr(mod, fn)(*args) == int(case["expected"])


@pytest.mark.parametrize("mod", impls("sqrt_price_math"))
@pytest.mark.parametrize("case", cases("SqrtPriceMath_getNextSqrtPriceFromInput"))
def test_get_next_sqrt_price_from_input(mod: ModuleType, case: dict[str, Any]) -> None:
    _next_price(mod, "get_next_sqrt_price_from_input", case)


@pytest.mark.parametrize("mod", impls("sqrt_price_math"))
@pytest.mark.parametrize("case", cases("SqrtPriceMath_getNextSqrtPriceFromOutput"))
def test_get_next_sqrt_price_from_output(mod: ModuleType, case: dict[str, Any]) -> None:
    _next_price(mod, "get_next_sqrt_price_from_output", case)


@pytest.mark.parametrize("mod", impls("sqrt_price_math"))
@pytest.mark.parametrize("case", cases("SqrtPriceMath_getAmount0Delta"))
def test_get_amount0_delta(mod: ModuleType, case: dict[str, Any]) -> None:
    a, b, liq = int(case["sqrtRatioAX96"]), int(case["sqrtRatioBX96"]), int(case["liquidity"])
    if "expected" in case:
        assert mod.get_amount0_delta(a, b, liq, case["roundUp"]) == int(case["expected"])
        assert mod.get_amount0_delta(b, a, liq, case["roundUp"]) == int(case["expected"])
    else:  # 'works for prices that overflow': roundUp == roundDown + 1
        assert case["name"] == "works for prices that overflow"
        down = mod.get_amount0_delta(a, b, liq, False)
        assert mod.get_amount0_delta(a, b, liq, True) == down + 1
        assert down > 0


@pytest.mark.parametrize("mod", impls("sqrt_price_math"))
@pytest.mark.parametrize("case", cases("SqrtPriceMath_getAmount1Delta"))
def test_get_amount1_delta(mod: ModuleType, case: dict[str, Any]) -> None:
    a, b, liq = int(case["sqrtRatioAX96"]), int(case["sqrtRatioBX96"]), int(case["liquidity"])
    assert mod.get_amount1_delta(a, b, liq, case["roundUp"]) == int(case["expected"])
    assert mod.get_amount1_delta(b, a, liq, case["roundUp"]) == int(case["expected"])


@pytest.mark.parametrize("mod", impls("sqrt_price_math"))
def test_signed_deltas(mod: ModuleType) -> None:
    """The int128 overloads: up for positive liquidity, negated down for negative."""
    a, b = 79228162514264337593543950336, 87150978765690771352898345369
    assert mod.get_amount0_delta_signed(a, b, 10**18) == 90909090909090910
    assert mod.get_amount0_delta_signed(a, b, -(10**18)) == -90909090909090909
    assert mod.get_amount1_delta_signed(a, b, 10**18) == 100000000000000000
    assert mod.get_amount1_delta_signed(a, b, -(10**18)) == -99999999999999999
    assert mod.get_amount0_delta_signed(a, b, 0) == mod.get_amount1_delta_signed(a, b, 0) == 0


@pytest.mark.parametrize("mod", impls("sqrt_price_math"))
def test_amount0_delta_zero_price_reverts(mod: ModuleType) -> None:
    with pytest.raises(SqrtPriceZero) as info:
        mod.get_amount0_delta(0, 2**96, 1, True)
    assert info.value.reason == ""


# -------------------------------------------------------------------------------- SwapMath
@pytest.mark.parametrize("sp", impls("sqrt_price_math"))
@pytest.mark.parametrize("mod", impls("swap_math"))
@pytest.mark.parametrize("case", cases("SwapMath_computeSwapStep"))
def test_compute_swap_step(mod: ModuleType, sp: ModuleType, case: dict[str, Any]) -> None:
    current, target = int(case["sqrtRatioCurrentX96"]), int(case["sqrtRatioTargetX96"])
    liquidity, remaining = int(case["liquidity"]), int(case["amountRemaining"])
    nxt, amount_in, amount_out, fee = mod.compute_swap_step(
        current, target, liquidity, remaining, case["feePips"]
    )
    expected = case["expected"]
    assert amount_in == int(expected["amountIn"])
    assert amount_out == int(expected["amountOut"])
    assert fee == int(expected["feeAmount"])
    if "sqrtRatioNextX96" in expected:
        assert nxt == int(expected["sqrtRatioNextX96"])
    else:  # the relation of Uniswap's test: the step stopped short of the target
        zero_for_one = current >= target
        assert nxt < target if not zero_for_one else nxt > target
        if "FromInput" in case["relation"]:
            assert amount_in + fee == remaining
            assert nxt == sp.get_next_sqrt_price_from_input(
                current, liquidity, remaining - fee, zero_for_one
            )
        else:
            assert amount_out == -remaining
            assert nxt == sp.get_next_sqrt_price_from_output(
                current, liquidity, -remaining, zero_for_one
            )
