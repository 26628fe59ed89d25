"""SwapMath in pure Python: the oracle for :mod:`arbstream.cyext.v3._swap_math`.

Ports Uniswap/v3-core contracts/libraries/SwapMath.sol ``computeSwapStep``: one step of a swap
within a single liquidity range, towards ``sqrt_ratio_target``; the direction is
``current >= target`` (zeroForOne), exact input when ``amount_remaining >= 0``. The fee is
taken on input: the whole remainder when the step stops short of the target on an exact
input, else ``ceil(amountIn * feePips / (1e6 - feePips))``.
"""

from __future__ import annotations

from arbstream.cyext.v3.errors import FeePipsError
from arbstream.cyext.v3.full_math_py import _mul_div, _mul_div_rounding_up, check_int, check_uint
from arbstream.cyext.v3.sqrt_price_math_py import (
    _amount0_delta,
    _amount1_delta,
    _next_from_input,
    _next_from_output,
)

__all__ = ["compute_swap_step"]

PIPS = 1_000_000


def check_fee_pips(fee_pips: int) -> int:
    """``fee_pips`` if it is an int in ``[0, 1e6)`` (UniswapV3Factory's bound), else FeePipsError."""
    fee_pips = check_uint(fee_pips, 24)
    if fee_pips >= PIPS:
        raise FeePipsError(fee_pips)
    return fee_pips


def _compute_swap_step(
    sqrt_ratio_current: int,
    sqrt_ratio_target: int,
    liquidity: int,
    amount_remaining: int,
    fee_pips: int,
) -> tuple[int, int, int, int]:
    """computeSwapStep on already-checked arguments."""
    zero_for_one = sqrt_ratio_current >= sqrt_ratio_target
    exact_in = amount_remaining >= 0
    amount_in = 0
    amount_out = 0
    if exact_in:
        amount_remaining_less_fee = _mul_div(amount_remaining, PIPS - fee_pips, PIPS)
        amount_in = (
            _amount0_delta(sqrt_ratio_target, sqrt_ratio_current, liquidity, True)
            if zero_for_one
            else _amount1_delta(sqrt_ratio_current, sqrt_ratio_target, liquidity, True)
        )
        if amount_remaining_less_fee >= amount_in:
            sqrt_ratio_next = sqrt_ratio_target
        else:
            sqrt_ratio_next = _next_from_input(
                sqrt_ratio_current, liquidity, amount_remaining_less_fee, zero_for_one
            )
    else:
        amount_out = (
            _amount1_delta(sqrt_ratio_target, sqrt_ratio_current, liquidity, False)
            if zero_for_one
            else _amount0_delta(sqrt_ratio_current, sqrt_ratio_target, liquidity, False)
        )
        if -amount_remaining >= amount_out:
            sqrt_ratio_next = sqrt_ratio_target
        else:
            sqrt_ratio_next = _next_from_output(
                sqrt_ratio_current, liquidity, -amount_remaining, zero_for_one
            )

    at_target = sqrt_ratio_target == sqrt_ratio_next
    if zero_for_one:
        if not (at_target and exact_in):
            amount_in = _amount0_delta(sqrt_ratio_next, sqrt_ratio_current, liquidity, True)
        if not (at_target and not exact_in):
            amount_out = _amount1_delta(sqrt_ratio_next, sqrt_ratio_current, liquidity, False)
    else:
        if not (at_target and exact_in):
            amount_in = _amount1_delta(sqrt_ratio_current, sqrt_ratio_next, liquidity, True)
        if not (at_target and not exact_in):
            amount_out = _amount0_delta(sqrt_ratio_current, sqrt_ratio_next, liquidity, False)

    # cap the output amount to not exceed the remaining output amount
    if not exact_in and amount_out > -amount_remaining:
        amount_out = -amount_remaining

    if exact_in and sqrt_ratio_next != sqrt_ratio_target:
        # we didn't reach the target, so take the remainder of the maximum input as fee
        fee_amount = amount_remaining - amount_in
    else:
        fee_amount = _mul_div_rounding_up(amount_in, fee_pips, PIPS - fee_pips)
    return sqrt_ratio_next, amount_in, amount_out, fee_amount


def compute_swap_step(
    sqrt_ratio_current: int,
    sqrt_ratio_target: int,
    liquidity: int,
    amount_remaining: int,
    fee_pips: int,
) -> tuple[int, int, int, int]:
    """``SwapMath.computeSwapStep``: ``(sqrt_ratio_next, amount_in, amount_out, fee_amount)``.

    ``amount_remaining`` is an int256: ``>= 0`` exact input, ``< 0`` exact output. Reverts as
    the SqrtPriceMath / FullMath calls it makes; UintRangeError / IntRangeError for arguments
    outside uint160 / uint128 / int256 / uint24, FeePipsError for ``fee_pips >= 1e6``.
    """
    return _compute_swap_step(
        check_uint(sqrt_ratio_current, 160),
        check_uint(sqrt_ratio_target, 160),
        check_uint(liquidity, 128),
        check_int(amount_remaining, 256),
        check_fee_pips(fee_pips),
    )
