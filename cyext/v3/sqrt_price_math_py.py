"""SqrtPriceMath in pure Python: the oracle for :mod:`arbstream.cyext.v3._sqrt_price_math`.

Ports Uniswap/v3-core contracts/libraries/SqrtPriceMath.sol function by function, keeping the
contract's uint256 wrap-around checks (``product / amount == sqrtPX96``,
``denominator >= numerator1``), its choice of formula (and so its rounding), the unchecked
``uint160(...)`` truncation of the add branch, and every revert:

- ``require(sqrtPX96 > 0)`` / ``require(sqrtRatioAX96 > 0)`` -> SqrtPriceZero (``""``)
- ``require(liquidity > 0)`` -> LiquidityZero (``""``)
- the output at or past the virtual reserves -> InsufficientReserves (``""``)
- ``LowGasSafeMath.add`` -> SafeMathOverflow, ``SafeCast`` -> SafeCastOverflow,
  FullMath -> FullMathOverflow / FullMathDivByZero, ``x / 0`` -> DivisionByZero (all ``""``).
"""

from __future__ import annotations

from arbstream.cyext.v3.errors import (
    DivisionByZero,
    InsufficientReserves,
    LiquidityZero,
    SafeCastOverflow,
    SafeMathOverflow,
    SqrtPriceZero,
)
from arbstream.cyext.v3.full_math_py import (
    _mul_div,
    _mul_div_rounding_up,
    check_int,
    check_uint,
)

__all__ = [
    "get_amount0_delta",
    "get_amount0_delta_signed",
    "get_amount1_delta",
    "get_amount1_delta_signed",
    "get_next_sqrt_price_from_amount0_rounding_up",
    "get_next_sqrt_price_from_amount1_rounding_down",
    "get_next_sqrt_price_from_input",
    "get_next_sqrt_price_from_output",
]

RESOLUTION = 96
Q96 = 1 << 96
UINT256_MAX = (1 << 256) - 1
UINT160_MAX = (1 << 160) - 1
INT256_MAX = (1 << 255) - 1


def _div_rounding_up(x: int, y: int) -> int:
    """UnsafeMath.divRoundingUp (``y > 0`` at every call site)."""
    q, r = divmod(x, y)
    return q + 1 if r else q


def _next_from_amount0_rounding_up(sqrt_px96: int, liquidity: int, amount: int, add: bool) -> int:
    if amount == 0:
        return sqrt_px96
    numerator1 = liquidity << RESOLUTION
    if add:
        product = amount * sqrt_px96
        if product <= UINT256_MAX:  # (product = amount * sqrtPX96) / amount == sqrtPX96
            denominator = numerator1 + product
            if denominator <= UINT256_MAX:  # denominator >= numerator1 (no wrap)
                # always <= sqrtPX96 < 2**160: the uint160() truncation is a no-op
                return _mul_div_rounding_up(numerator1, sqrt_px96, denominator)
        if sqrt_px96 == 0:
            raise DivisionByZero()
        denom = numerator1 // sqrt_px96 + amount
        if denom > UINT256_MAX:  # LowGasSafeMath.add
            raise SafeMathOverflow()
        return _div_rounding_up(numerator1, denom) & UINT160_MAX  # unchecked uint160()
    product = amount * sqrt_px96
    if product > UINT256_MAX or numerator1 <= product:
        raise InsufficientReserves()
    result = _mul_div_rounding_up(numerator1, sqrt_px96, numerator1 - product)
    if result > UINT160_MAX:  # SafeCast.toUint160
        raise SafeCastOverflow()
    return result


def _next_from_amount1_rounding_down(sqrt_px96: int, liquidity: int, amount: int, add: bool) -> int:
    if add:
        if amount <= UINT160_MAX:
            if liquidity == 0:
                raise DivisionByZero()  # (amount << 96) / liquidity: Solidity 0.7 division
            quotient = (amount << RESOLUTION) // liquidity
        else:
            quotient = _mul_div(amount, Q96, liquidity)
        result = sqrt_px96 + quotient
        if result > UINT256_MAX:  # LowGasSafeMath.add
            raise SafeMathOverflow()
        if result > UINT160_MAX:  # SafeCast.toUint160
            raise SafeCastOverflow()
        return result
    if amount <= UINT160_MAX:
        # UnsafeMath.divRoundingUp is EVM div/mod: x / 0 == x % 0 == 0, no revert
        quotient = _div_rounding_up(amount << RESOLUTION, liquidity) if liquidity else 0
    else:
        quotient = _mul_div_rounding_up(amount, Q96, liquidity)
    if sqrt_px96 <= quotient:
        raise InsufficientReserves()
    return sqrt_px96 - quotient


def get_next_sqrt_price_from_amount0_rounding_up(
    sqrt_px96: int, liquidity: int, amount: int, add: bool
) -> int:
    """``SqrtPriceMath.getNextSqrtPriceFromAmount0RoundingUp``: the price after adding
    (``add``) or removing ``amount`` of token0, rounded up.

    Raises InsufficientReserves when removing at least the virtual reserves, SafeMathOverflow /
    SafeCastOverflow / FullMath errors as the contract does; UintRangeError for arguments
    outside uint160 / uint128 / uint256.
    """
    return _next_from_amount0_rounding_up(
        check_uint(sqrt_px96, 160), check_uint(liquidity, 128), check_uint(amount), bool(add)
    )


def get_next_sqrt_price_from_amount1_rounding_down(
    sqrt_px96: int, liquidity: int, amount: int, add: bool
) -> int:
    """``SqrtPriceMath.getNextSqrtPriceFromAmount1RoundingDown``: the price after adding
    (``add``) or removing ``amount`` of token1, rounded down.

    Raises InsufficientReserves when removing at least the virtual reserves, DivisionByZero for
    zero liquidity, SafeMathOverflow / SafeCastOverflow / FullMath errors as the contract does.
    """
    return _next_from_amount1_rounding_down(
        check_uint(sqrt_px96, 160), check_uint(liquidity, 128), check_uint(amount), bool(add)
    )


def _next_from_input(sqrt_px96: int, liquidity: int, amount_in: int, zero_for_one: bool) -> int:
    if sqrt_px96 == 0:
        raise SqrtPriceZero()
    if liquidity == 0:
        raise LiquidityZero()
    if zero_for_one:
        return _next_from_amount0_rounding_up(sqrt_px96, liquidity, amount_in, True)
    return _next_from_amount1_rounding_down(sqrt_px96, liquidity, amount_in, True)


def _next_from_output(sqrt_px96: int, liquidity: int, amount_out: int, zero_for_one: bool) -> int:
    if sqrt_px96 == 0:
        raise SqrtPriceZero()
    if liquidity == 0:
        raise LiquidityZero()
    if zero_for_one:
        return _next_from_amount1_rounding_down(sqrt_px96, liquidity, amount_out, False)
    return _next_from_amount0_rounding_up(sqrt_px96, liquidity, amount_out, False)


def get_next_sqrt_price_from_input(
    sqrt_px96: int, liquidity: int, amount_in: int, zero_for_one: bool
) -> int:
    """``SqrtPriceMath.getNextSqrtPriceFromInput``: the price after ``amount_in`` of token0
    (``zero_for_one``) or token1 goes in; rounds so the price does not pass the target.

    Raises SqrtPriceZero / LiquidityZero (bare requires), then as the amount helpers.
    """
    return _next_from_input(
        check_uint(sqrt_px96, 160),
        check_uint(liquidity, 128),
        check_uint(amount_in),
        bool(zero_for_one),
    )


def get_next_sqrt_price_from_output(
    sqrt_px96: int, liquidity: int, amount_out: int, zero_for_one: bool
) -> int:
    """``SqrtPriceMath.getNextSqrtPriceFromOutput``: the price after ``amount_out`` of token1
    (``zero_for_one``) or token0 comes out.

    Raises SqrtPriceZero / LiquidityZero (bare requires), InsufficientReserves when the output
    reaches the virtual reserves, then as the amount helpers.
    """
    return _next_from_output(
        check_uint(sqrt_px96, 160),
        check_uint(liquidity, 128),
        check_uint(amount_out),
        bool(zero_for_one),
    )


def _amount0_delta(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    if sqrt_a > sqrt_b:
        sqrt_a, sqrt_b = sqrt_b, sqrt_a
    numerator1 = liquidity << RESOLUTION
    numerator2 = sqrt_b - sqrt_a
    if sqrt_a == 0:
        raise SqrtPriceZero()
    if round_up:
        return _div_rounding_up(_mul_div_rounding_up(numerator1, numerator2, sqrt_b), sqrt_a)
    return _mul_div(numerator1, numerator2, sqrt_b) // sqrt_a


def _amount1_delta(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    diff = sqrt_b - sqrt_a if sqrt_b > sqrt_a else sqrt_a - sqrt_b
    if round_up:
        return _mul_div_rounding_up(liquidity, diff, Q96)
    return (liquidity * diff) >> RESOLUTION  # < 2**192: FullMath.mulDiv cannot revert


def get_amount0_delta(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    """``SqrtPriceMath.getAmount0Delta(uint160, uint160, uint128, bool)``: token0 between the
    two prices for ``liquidity``: ``L * 2**96 * (b - a) / b / a`` (the prices in either order).

    Raises SqrtPriceZero when the smaller price is 0.
    """
    return _amount0_delta(
        check_uint(sqrt_a, 160), check_uint(sqrt_b, 160), check_uint(liquidity, 128), bool(round_up)
    )


def get_amount1_delta(sqrt_a: int, sqrt_b: int, liquidity: int, round_up: bool) -> int:
    """``SqrtPriceMath.getAmount1Delta(uint160, uint160, uint128, bool)``: token1 between the
    two prices for ``liquidity``: ``L * (b - a) / 2**96`` (the prices in either order)."""
    return _amount1_delta(
        check_uint(sqrt_a, 160), check_uint(sqrt_b, 160), check_uint(liquidity, 128), bool(round_up)
    )


def _to_int256(value: int) -> int:
    if value > INT256_MAX:  # SafeCast.toInt256
        raise SafeCastOverflow()
    return value


def get_amount0_delta_signed(sqrt_a: int, sqrt_b: int, liquidity: int) -> int:
    """``SqrtPriceMath.getAmount0Delta(uint160, uint160, int128)``: rounded up (owed to the
    pool) for ``liquidity >= 0``, negated and rounded down for ``liquidity < 0``.

    Raises SqrtPriceZero, SafeCastOverflow (toInt256); IntRangeError outside int128.
    """
    sqrt_a = check_uint(sqrt_a, 160)
    sqrt_b = check_uint(sqrt_b, 160)
    liquidity = check_int(liquidity, 128)
    if liquidity < 0:
        # uint128(-liquidity): int128 negation wraps for -2**127, whose uint128 is 2**127 anyway
        return -_to_int256(_amount0_delta(sqrt_a, sqrt_b, -liquidity, False))
    return _to_int256(_amount0_delta(sqrt_a, sqrt_b, liquidity, True))


def get_amount1_delta_signed(sqrt_a: int, sqrt_b: int, liquidity: int) -> int:
    """``SqrtPriceMath.getAmount1Delta(uint160, uint160, int128)``: rounded up for
    ``liquidity >= 0``, negated and rounded down for ``liquidity < 0``."""
    sqrt_a = check_uint(sqrt_a, 160)
    sqrt_b = check_uint(sqrt_b, 160)
    liquidity = check_int(liquidity, 128)
    if liquidity < 0:
        return -_to_int256(_amount1_delta(sqrt_a, sqrt_b, -liquidity, False))
    return _to_int256(_amount1_delta(sqrt_a, sqrt_b, liquidity, True))
