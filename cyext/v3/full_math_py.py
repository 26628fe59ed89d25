"""FullMath in pure Python: the oracle for :mod:`arbstream.cyext.v3._full_math`.

Ports Uniswap/v3-core contracts/libraries/FullMath.sol: ``mulDiv`` and ``mulDivRoundingUp``
(512-bit intermediate, so only the *result* must fit in ``uint256``). Python integers are
exact, so the 512-bit dance reduces to ``a * b // d``; the reverts are the contract's:

- ``denominator == 0``: ``require(denominator > 0)`` / ``require(denominator > prod1)`` ->
  :class:`FullMathDivByZero` (reason ``""``);
- ``floor(a * b / d) >= 2**256``: ``require(denominator > prod1)`` -> :class:`FullMathOverflow`;
- rounding up a result of ``2**256 - 1``: ``require(result < type(uint256).max)`` ->
  :class:`FullMathOverflow`.

Also home of the ABI range checks shared by the V3 twins (``uint``/``int`` of a bit width).
"""

from __future__ import annotations

from arbstream.cyext.errors import UintRangeError
from arbstream.cyext.v3.errors import FullMathDivByZero, FullMathOverflow, IntRangeError

__all__ = ["mul_div", "mul_div_rounding_up"]

UINT256_MAX = (1 << 256) - 1


def check_uint(value: int, bits: int = 256) -> int:
    """``value`` if it is an int in ``[0, 2**bits)``, else TypeError / UintRangeError."""
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected int, got {type(value).__name__}")
        value = int(value)
    if value < 0 or value >> bits:
        raise UintRangeError(value, bits)
    return value


def check_int(value: int, bits: int = 256) -> int:
    """``value`` if it is an int in ``[-2**(bits-1), 2**(bits-1))``, else TypeError / IntRangeError."""
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected int, got {type(value).__name__}")
        value = int(value)
    half = 1 << (bits - 1)
    if not -half <= value < half:
        raise IntRangeError(value, bits)
    return value


def _mul_div(a: int, b: int, denominator: int) -> int:
    """mulDiv on already-checked uint256 operands."""
    if denominator == 0:
        raise FullMathDivByZero()
    result = a * b // denominator
    if result > UINT256_MAX:
        raise FullMathOverflow()
    return result


def _mul_div_rounding_up(a: int, b: int, denominator: int) -> int:
    """mulDivRoundingUp on already-checked uint256 operands."""
    if denominator == 0:
        raise FullMathDivByZero()
    result, rem = divmod(a * b, denominator)
    if result > UINT256_MAX:
        raise FullMathOverflow()
    if rem:
        if result == UINT256_MAX:
            raise FullMathOverflow()
        result += 1
    return result


def mul_div(a: int, b: int, denominator: int) -> int:
    """``FullMath.mulDiv(a, b, denominator)``: ``floor(a * b / denominator)``.

    Raises FullMathDivByZero (denominator 0), FullMathOverflow (result >= 2**256),
    UintRangeError (an argument outside uint256).
    """
    return _mul_div(check_uint(a), check_uint(b), check_uint(denominator))


def mul_div_rounding_up(a: int, b: int, denominator: int) -> int:
    """``FullMath.mulDivRoundingUp(a, b, denominator)``: ``ceil(a * b / denominator)``.

    Raises like :func:`mul_div`, and FullMathOverflow when the rounded-up result is 2**256.
    """
    return _mul_div_rounding_up(check_uint(a), check_uint(b), check_uint(denominator))
