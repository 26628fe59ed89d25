"""Reverts of the Uniswap V3 math (``arbstream.cyext.v3``).

Every revert is a :class:`~arbstream.cyext.errors.PricingError` whose ``reason`` is the exact
revert string of Uniswap/v3-core (``''`` for the contracts' bare ``require``), so a quote that
fails here fails on-chain the same way. Arguments no ABI encoder would accept (negative where
the parameter is a uint, too wide for its int/uint type, a fee of 100 % or more) are not
reverts: they raise :class:`~arbstream.cyext.errors.UintRangeError` / :class:`IntRangeError` /
:class:`FeePipsError`, all :class:`~arbstream.cyext.errors.PricingInputError`.

PricingError(ArithmeticError)                                      .reason
├── TickOutOfRange(ValueError)          TickMath.getSqrtRatioAtTick   "T"
├── SqrtPriceOutOfRange(ValueError)     TickMath.getTickAtSqrtRatio   "R"
├── LiquiditySub(ValueError)            LiquidityMath.addDelta        "LS"
├── LiquidityAdd(OverflowError)         LiquidityMath.addDelta        "LA"
├── LiquidityOverflow(OverflowError)    Tick.update (maxLiquidityPerTick)  "LO"
├── TickOrder(ValueError)               UniswapV3Pool.checkTicks      "TLU" / "TLM" / "TUM"
├── PriceLimit(ValueError)              UniswapV3Pool.swap            "SPL"
├── AmountSpecifiedZero(ValueError)     UniswapV3Pool.swap            "AS"
├── FullMathOverflow(OverflowError)     FullMath.mulDiv(RoundingUp)   ""  result >= 2**256
├── FullMathDivByZero(ZeroDivisionError) FullMath.mulDiv              ""  denominator == 0
├── SafeCastOverflow(OverflowError)     SafeCast.toUint160/toInt128/toInt256  ""
├── SafeMathOverflow(OverflowError)     LowGasSafeMath.add/sub        ""
├── DivisionByZero(ZeroDivisionError)   Solidity 0.7 ``x / 0`` (invalid opcode, no data)  ""
├── SqrtPriceZero(ValueError)           SqrtPriceMath: require(sqrtPX96 > 0) / (sqrtRatioAX96 > 0)  ""
├── LiquidityZero(ValueError)           SqrtPriceMath: require(liquidity > 0)  ""
├── InsufficientReserves(ValueError)    SqrtPriceMath: output >= the virtual reserves  ""
│                                         (require(... && numerator1 > product), require(sqrtPX96 > quotient))
└── QuoteUnexpectedError(ValueError)    QuoterV1.parseRevertReason    "Unexpected error"
                                          (the callback's require: nothing was swapped)
PricingInputError(ValueError)
├── UintRangeError                      (arbstream.cyext.errors) negative / too wide for uint<bits>
├── IntRangeError                       too wide for int<bits>
├── FeePipsError                        fee_pips outside [0, 1_000_000)
└── TickDataError                       tick arrays that no pool could hold (unsorted, unspaced...)
"""

from __future__ import annotations

from arbstream.cyext.errors import PricingError, PricingInputError, UintRangeError

__all__ = [
    "AmountSpecifiedZero",
    "DivisionByZero",
    "FeePipsError",
    "FullMathDivByZero",
    "FullMathOverflow",
    "InsufficientReserves",
    "IntRangeError",
    "LiquidityAdd",
    "LiquidityOverflow",
    "LiquiditySub",
    "LiquidityZero",
    "PriceLimit",
    "PricingError",
    "PricingInputError",
    "QuoteUnexpectedError",
    "SafeCastOverflow",
    "SafeMathOverflow",
    "SqrtPriceOutOfRange",
    "SqrtPriceZero",
    "TickDataError",
    "TickOrder",
    "TickOutOfRange",
    "UintRangeError",
]


class TickOutOfRange(PricingError, ValueError):
    """``|tick| > MAX_TICK`` (TickMath.getSqrtRatioAtTick)."""

    REASON = "T"


class SqrtPriceOutOfRange(PricingError, ValueError):
    """``sqrtPriceX96`` outside ``[MIN_SQRT_RATIO, MAX_SQRT_RATIO)`` (TickMath.getTickAtSqrtRatio)."""

    REASON = "R"


class LiquiditySub(PricingError, ValueError):
    """Removing more liquidity than there is (LiquidityMath.addDelta)."""

    REASON = "LS"


class LiquidityAdd(PricingError, OverflowError):
    """Liquidity past ``uint128`` (LiquidityMath.addDelta)."""

    REASON = "LA"


class LiquidityOverflow(PricingError, OverflowError):
    """A tick's gross liquidity past ``maxLiquidityPerTick`` (Tick.update)."""

    REASON = "LO"


class TickOrder(PricingError, ValueError):
    """A position's ticks: ``"TLU"`` lower >= upper, ``"TLM"`` lower < MIN_TICK, ``"TUM"`` upper > MAX_TICK."""

    REASON = "TLU"


class PriceLimit(PricingError, ValueError):
    """The price limit is on the wrong side of the price, or outside the ratio bounds (swap)."""

    REASON = "SPL"


class AmountSpecifiedZero(PricingError, ValueError):
    """``amountSpecified == 0`` (swap)."""

    REASON = "AS"


class FullMathOverflow(PricingError, OverflowError):
    """FullMath result does not fit in ``uint256`` (bare ``require``)."""

    REASON = ""


class FullMathDivByZero(PricingError, ZeroDivisionError):
    """FullMath with a zero denominator (bare ``require``)."""

    REASON = ""


class SafeCastOverflow(PricingError, OverflowError):
    """SafeCast.toUint160 / toInt128 / toInt256 out of range (bare ``require``)."""

    REASON = ""


class SafeMathOverflow(PricingError, OverflowError):
    """LowGasSafeMath add / sub overflow (bare ``require``)."""

    REASON = ""


class DivisionByZero(PricingError, ZeroDivisionError):
    """A Solidity 0.7 integer division by zero: ``invalid`` opcode, empty revert data."""

    REASON = ""


class SqrtPriceZero(PricingError, ValueError):
    """SqrtPriceMath: ``require(sqrtPX96 > 0)`` / ``require(sqrtRatioAX96 > 0)``."""

    REASON = ""


class LiquidityZero(PricingError, ValueError):
    """SqrtPriceMath: ``require(liquidity > 0)``."""

    REASON = ""


class InsufficientReserves(PricingError, ValueError):
    """SqrtPriceMath: an output at or beyond the virtual reserves (bare ``require``)."""

    REASON = ""


class QuoteUnexpectedError(PricingError, ValueError):
    """QuoterV1 re-raises a revert without a reason as ``'Unexpected error'``; here: the swap
    callback's ``require(amount0Delta > 0 || amount1Delta > 0)`` (nothing was swapped)."""

    REASON = "Unexpected error"


class IntRangeError(PricingInputError):
    """A value does not fit in ``int<bits>``."""

    def __init__(self, value: int, bits: int = 256) -> None:
        super().__init__(f"value does not fit in int{bits}: {value}")
        self.value = value
        self.bits = bits


class FeePipsError(PricingInputError):
    """``fee_pips`` is outside ``[0, 1_000_000)``."""

    def __init__(self, fee_pips: int) -> None:
        super().__init__(f"fee_pips must be in [0, 1000000), got {fee_pips}")
        self.fee_pips = fee_pips


class TickDataError(PricingInputError):
    """Initialized-tick data no pool could hold: unsorted or duplicate ticks, ticks not
    multiples of ``tick_spacing`` or outside ``[MIN_TICK, MAX_TICK]``, mismatched lengths."""
