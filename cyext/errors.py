"""Errors of the pricing kernels (``arbstream.cyext``).

Reverts mirror Solidity: every :class:`PricingError` carries ``reason``, the exact revert string
UniswapV2Library / DSMath would produce, so a quote that fails here fails on-chain the same way.

ArbstreamError
├── PricingError(ArithmeticError)                     .reason = Solidity revert string
│   ├── InsufficientInputAmount(ValueError)           "UniswapV2Library: INSUFFICIENT_INPUT_AMOUNT"
│   ├── InsufficientOutputAmount(ValueError)          "UniswapV2Library: INSUFFICIENT_OUTPUT_AMOUNT"
│   ├── InsufficientLiquidity(ValueError)             "UniswapV2Library: INSUFFICIENT_LIQUIDITY"
│   ├── InvalidPath(ValueError)                       "UniswapV2Library: INVALID_PATH"
│   ├── MathOverflow(OverflowError)                   "ds-math-mul-overflow" / "-add-" / "-sub-underflow"
│   └── DivisionByZero(ZeroDivisionError)             "division by zero"
└── PricingInputError(ValueError)                     not a revert: the call could not be encoded
    ├── FeeError                                      fee_bps outside [0, 10000)
    └── UintRangeError                                negative, or too wide for uint256 / uint112

The packed V2 API (``get_amount_out_packed``) reports reverts as data: one status byte per
quote, ``STATUS_OK`` or the ``STATUS_*`` code of the revert; :func:`status_error` gives the
exception the per-quote call raises for a code, :func:`status_of` the code of an exception.
"""

from __future__ import annotations

from arbstream.errors import ArbstreamError

MUL_OVERFLOW = "ds-math-mul-overflow"
ADD_OVERFLOW = "ds-math-add-overflow"
SUB_UNDERFLOW = "ds-math-sub-underflow"

# Status codes of the packed V2 API (the V2_* result codes of cyext/u256.h).
STATUS_OK = 0
STATUS_INSUFFICIENT_INPUT_AMOUNT = 1
STATUS_INSUFFICIENT_OUTPUT_AMOUNT = 2
STATUS_INSUFFICIENT_LIQUIDITY = 3
STATUS_MUL_OVERFLOW = 4
STATUS_ADD_OVERFLOW = 5
STATUS_SUB_UNDERFLOW = 6
STATUS_DIVISION_BY_ZERO = 7


class PricingError(ArbstreamError, ArithmeticError):
    """A quote reverted; ``reason`` is the Solidity revert string."""

    REASON = ""

    def __init__(self, reason: str | None = None) -> None:
        self.reason: str = reason if reason is not None else self.REASON
        super().__init__(self.reason)

    def __reduce__(self) -> tuple[type[PricingError], tuple[str]]:
        return (type(self), (self.reason,))


class InsufficientInputAmount(PricingError, ValueError):
    """``amount_in`` is zero."""

    REASON = "UniswapV2Library: INSUFFICIENT_INPUT_AMOUNT"


class InsufficientOutputAmount(PricingError, ValueError):
    """``amount_out`` is zero."""

    REASON = "UniswapV2Library: INSUFFICIENT_OUTPUT_AMOUNT"


class InsufficientLiquidity(PricingError, ValueError):
    """A reserve is zero."""

    REASON = "UniswapV2Library: INSUFFICIENT_LIQUIDITY"


class InvalidPath(PricingError, ValueError):
    """A multi-hop quote with no hop."""

    REASON = "UniswapV2Library: INVALID_PATH"


class MathOverflow(PricingError, OverflowError):
    """A uint256 intermediate overflowed (DSMath/SafeMath semantics)."""

    REASON = MUL_OVERFLOW


class DivisionByZero(PricingError, ZeroDivisionError):
    """Solidity division by zero (``get_amount_in`` with a zero denominator)."""

    REASON = "division by zero"


class PricingInputError(ArbstreamError, ValueError):
    """An argument that no ABI encoder would accept (not a revert)."""


class FeeError(PricingInputError):
    """``fee_bps`` is outside ``[0, 10000)``."""

    def __init__(self, fee_bps: int) -> None:
        super().__init__(f"fee_bps must be in [0, 10000), got {fee_bps}")
        self.fee_bps = fee_bps


class UintRangeError(PricingInputError):
    """A value is negative or does not fit in ``uint<bits>``."""

    def __init__(self, value: int, bits: int = 256) -> None:
        super().__init__(f"value does not fit in uint{bits}: {value}")
        self.value = value
        self.bits = bits


_STATUS_REVERTS: dict[int, tuple[type[PricingError], str]] = {
    STATUS_INSUFFICIENT_INPUT_AMOUNT: (InsufficientInputAmount, InsufficientInputAmount.REASON),
    STATUS_INSUFFICIENT_OUTPUT_AMOUNT: (InsufficientOutputAmount, InsufficientOutputAmount.REASON),
    STATUS_INSUFFICIENT_LIQUIDITY: (InsufficientLiquidity, InsufficientLiquidity.REASON),
    STATUS_MUL_OVERFLOW: (MathOverflow, MUL_OVERFLOW),
    STATUS_ADD_OVERFLOW: (MathOverflow, ADD_OVERFLOW),
    STATUS_SUB_UNDERFLOW: (MathOverflow, SUB_UNDERFLOW),
    STATUS_DIVISION_BY_ZERO: (DivisionByZero, DivisionByZero.REASON),
}
_STATUS_OF = {key: code for code, key in _STATUS_REVERTS.items()}


def status_error(code: int) -> PricingError:
    """The revert a ``STATUS_*`` code stands for (``STATUS_OK`` is not one: ValueError)."""
    try:
        cls, reason = _STATUS_REVERTS[code]
    except KeyError:
        raise ValueError(f"not a revert status code: {code}") from None
    return cls(reason)


def status_of(exc: PricingError) -> int:
    """The ``STATUS_*`` code of a V2 revert (ValueError for other errors, e.g. InvalidPath)."""
    try:
        return _STATUS_OF[type(exc), exc.reason]
    except KeyError:
        raise ValueError(f"no status code for {exc!r}") from None
