"""Exact Uniswap-V2 pricing in pure Python: the oracle the Cython kernel is tested against.

``get_amount_out`` / ``get_amount_in`` are ``UniswapV2Library.getAmountOut`` /
``getAmountIn`` of Uniswap/v2-periphery (contracts/libraries/UniswapV2Library.sol), with the
SafeMath (DSMath) checks of that code: every uint256 ``mul``/``add`` that would overflow and
every ``sub`` that would underflow reverts, here as :class:`MathOverflow` with the same reason.

The hard-coded 997/1000 is generalised to ``fee_bps``: ``amount_in * (10000 - fee_bps)`` over
``reserve_in * 10000``, computed on the contract's own scale: fees in whole tenths of a
percent as ``(1000 - fee_bps / 10) / 1000`` (30 bps is Uniswap's and Sushi's 997/1000), others
as ``/ 10000`` (PancakeSwap V2's 25 bps is its 9975/10000). Floors are the same on either
scale; the SafeMath overflow thresholds, and so the reverts, are the contract's.

``optimal_two_pool`` sizes a two-pool cycle A -> B -> A. The continuous composition is
``f(x) = P x / (Q + R x)`` with ``D = 10000``, ``g_i = D - fee_i``, ``P = g1 g2 b1 a2``,
``Q = D^2 a1 b2``, ``R = g1 (D b2 + g2 b1)``; ``f'(x) = 1`` gives
``x* = (sqrt(P Q) - Q) / R = D (sqrt(g1 g2 a1 b1 a2 b2) - D a1 b2) / (g1 (D b2 + g2 b1))``.
The floors make the integer profit ``F(x) - x`` differ from ``f(x) - x``, but never exceed it,
so once a candidate with profit ``t`` is known only the ``x`` with ``f(x) - x >= t`` (an
interval, roots of a quadratic) can do better. When that interval holds at most
``ENUM_CAP`` distinct inputs (or distinct mid amounts, taking the smallest input for each),
it is searched entirely: the result is then the exact integer argmax, the smallest ``x`` on
ties. Otherwise (very deep pools, where thousands of inputs lie within a unit of the optimum)
the best seed is hill-climbed (strict improvements only) to a local optimum:
``profit(x) >= profit(x - 1)`` and ``profit(x) >= profit(x + 1)``; ties are then not resolved
to the smallest input (plateaus of equal profit can span millions of inputs there).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from math import isqrt
from typing import TYPE_CHECKING

from arbstream.cyext.errors import (
    ADD_OVERFLOW,
    MUL_OVERFLOW,
    SUB_UNDERFLOW,
    DivisionByZero,
    FeeError,
    InsufficientInputAmount,
    InsufficientLiquidity,
    InsufficientOutputAmount,
    InvalidPath,
    MathOverflow,
    PricingError,
    UintRangeError,
    status_of,
)

if TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = [
    "get_amount_in",
    "get_amount_out",
    "get_amount_out_batch",
    "get_amount_out_packed",
    "get_amounts_out",
    "optimal_two_pool",
    "optimal_two_pool_batch",
    "pack_u256",
    "unpack_u256",
]

D = 10_000
UINT256_MAX = (1 << 256) - 1
UINT112_MAX = (1 << 112) - 1
ENUM_CAP = 2048
CLIMB_CAP = 256
NO_PROFIT = (0, 0, 0, 0)


def _uint(value: int, limit: int = UINT256_MAX) -> int:
    if not isinstance(value, int):
        raise TypeError(f"expected int, got {type(value).__name__}")
    if value < 0 or value > limit:
        raise UintRangeError(value, limit.bit_length())
    return value


def _gamma(fee_bps: int) -> int:
    if not isinstance(fee_bps, int):
        raise TypeError(f"fee_bps: expected int, got {type(fee_bps).__name__}")
    if not 0 <= fee_bps < D:
        raise FeeError(fee_bps)
    return D - fee_bps


def _reduce_scale(gamma: int) -> tuple[int, int]:
    """(gamma, scale) on the contract's own scale: 997/1000 for 30 bps, 9975/10000 for 25.

    The floors are identical on either scale; SafeMath's overflow thresholds are not, so
    fees in whole tenths of a percent use 1000 like Uniswap's and Sushi's contracts.
    """
    return (gamma // 10, D // 10) if gamma % 10 == 0 else (gamma, D)


def _mul(a: int, b: int) -> int:
    z = a * b
    if z > UINT256_MAX:
        raise MathOverflow(MUL_OVERFLOW)
    return z


def _add(a: int, b: int) -> int:
    z = a + b
    if z > UINT256_MAX:
        raise MathOverflow(ADD_OVERFLOW)
    return z


def _out(amount_in: int, reserve_in: int, reserve_out: int, gamma: int) -> int:
    if amount_in == 0:
        raise InsufficientInputAmount()
    if reserve_in == 0 or reserve_out == 0:
        raise InsufficientLiquidity()
    gamma, d = _reduce_scale(gamma)
    with_fee = _mul(amount_in, gamma)
    numerator = _mul(with_fee, reserve_out)
    denominator = _add(_mul(reserve_in, d), with_fee)
    return numerator // denominator


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int = 30) -> int:
    """Output of an exact-input swap: ``UniswapV2Library.getAmountOut`` with ``fee_bps``.

    Raises InsufficientInputAmount / InsufficientLiquidity / MathOverflow like the contract.
    """
    return _out(_uint(amount_in), _uint(reserve_in), _uint(reserve_out), _gamma(fee_bps))


def get_amount_in(amount_out: int, reserve_in: int, reserve_out: int, fee_bps: int = 30) -> int:
    """Input needed for an exact-output swap: ``UniswapV2Library.getAmountIn`` with ``fee_bps``.

    Raises InsufficientOutputAmount / InsufficientLiquidity / MathOverflow (including
    ``ds-math-sub-underflow`` when ``amount_out > reserve_out``) and DivisionByZero when
    ``amount_out == reserve_out``.
    """
    amount_out, reserve_in, reserve_out = _uint(amount_out), _uint(reserve_in), _uint(reserve_out)
    gamma = _gamma(fee_bps)
    if amount_out == 0:
        raise InsufficientOutputAmount()
    if reserve_in == 0 or reserve_out == 0:
        raise InsufficientLiquidity()
    gamma, d = _reduce_scale(gamma)
    numerator = _mul(_mul(reserve_in, amount_out), d)
    if amount_out > reserve_out:
        raise MathOverflow(SUB_UNDERFLOW)
    denominator = _mul(reserve_out - amount_out, gamma)
    if denominator == 0:
        raise DivisionByZero()
    return _add(numerator // denominator, 1)


def get_amounts_out(amount_in: int, reserves: Iterable[Sequence[int]]) -> list[int]:
    """Router ``getAmountsOut`` over hops ``(reserve_in, reserve_out, fee_bps)``.

    Returns ``[amount_in, out_hop1, ..., out_hopN]``; an intermediate zero reverts the next hop
    with INSUFFICIENT_INPUT_AMOUNT, as on-chain. No hop raises InvalidPath.
    """
    amounts = [_uint(amount_in)]
    for reserve_in, reserve_out, fee_bps in reserves:
        amounts.append(_out(amounts[-1], _uint(reserve_in), _uint(reserve_out), _gamma(fee_bps)))
    if len(amounts) < 2:
        raise InvalidPath()
    return amounts


def get_amount_out_batch(rows: Iterable[Sequence[int]]) -> list[int | None]:
    """``get_amount_out`` for many ``(amount_in, reserve_in, reserve_out, fee_bps)`` rows.

    Errors as data: a row that would revert on-chain yields ``None``; bad argument types or
    ranges raise as in the single call.
    """
    out: list[int | None] = []
    for amount_in, reserve_in, reserve_out, fee_bps in rows:
        args = _uint(amount_in), _uint(reserve_in), _uint(reserve_out), _gamma(fee_bps)
        try:
            out.append(_out(*args))
        except PricingError:
            out.append(None)
    return out


def _column(name: str, column: Buffer) -> bytes:
    """The bytes of a packed uint256 column: a C-contiguous buffer of 32-byte values."""
    try:
        view = memoryview(column)
    except TypeError:
        raise TypeError(
            f"{name}: expected a buffer of little-endian uint256, got {type(column).__name__}"
        ) from None
    with view:
        if not view.c_contiguous:
            raise ValueError(f"{name}: the buffer is not C-contiguous")
        if view.nbytes % 32:
            raise ValueError(
                f"{name}: {view.nbytes} bytes is not a whole number of uint256 (32 bytes each)"
            )
        return column if type(column) is bytes else view.tobytes()


def pack_u256(values: Iterable[int]) -> bytes:
    """Ints as one packed column: 32 little-endian bytes each (TypeError / UintRangeError)."""
    return b"".join(_uint(v).to_bytes(32, "little") for v in values)


def _ints(data: bytes) -> list[int]:
    from_bytes = int.from_bytes
    return [from_bytes(data[i : i + 32], "little") for i in range(0, len(data), 32)]


def unpack_u256(column: Buffer) -> list[int]:
    """The ints of a packed column (any C-contiguous buffer of little-endian uint256)."""
    return _ints(_column("column", column))


def get_amount_out_packed(
    amounts: Buffer, reserves_in: Buffer, reserves_out: Buffer, fee_bps: int = 30
) -> tuple[bytes, bytes]:
    """``get_amount_out`` over packed columns, one fee for every row: ``(outputs, status)``.

    Each column is a C-contiguous buffer (bytes, bytearray, memoryview, array.array('Q'),
    ...) of little-endian uint256, 32 bytes per value, the three of the same length.
    ``outputs`` holds 32 bytes per row (zero for a reverted row), ``status`` one byte per row:
    ``STATUS_OK`` or the revert's ``STATUS_*`` code (:mod:`arbstream.cyext.errors`).
    ValueError names a column that is misaligned, not contiguous or of another length;
    FeeError for ``fee_bps`` outside ``[0, 10000)``.
    """
    a_col = _column("amounts", amounts)
    i_col = _column("reserves_in", reserves_in)
    o_col = _column("reserves_out", reserves_out)
    for name, col in (("reserves_in", i_col), ("reserves_out", o_col)):
        if len(col) != len(a_col):
            raise ValueError(f"{name}: {len(col) // 32} values, but amounts has {len(a_col) // 32}")
    gamma = _gamma(fee_bps)
    status = bytearray(len(a_col) // 32)
    outputs = []
    zero = bytes(32)
    for k, (a, r_in, r_out) in enumerate(
        zip(_ints(a_col), _ints(i_col), _ints(o_col), strict=True)
    ):
        try:
            outputs.append(_out(a, r_in, r_out, gamma).to_bytes(32, "little"))
        except PricingError as exc:
            status[k] = status_of(exc)
            outputs.append(zero)
    return b"".join(outputs), bytes(status)


class _Cycle:
    """Integer profit of A -> B (pool 1) -> A (pool 2), with the best input seen so far."""

    __slots__ = ("a1", "a2", "b1", "b2", "best", "g1", "g2")

    def __init__(self, a1: int, b1: int, g1: int, b2: int, a2: int, g2: int) -> None:
        self.a1, self.b1, self.g1, self.b2, self.a2, self.g2 = a1, b1, g1, b2, a2, g2
        self.best: tuple[int, int, int, int] | None = None  # (x, mid, out, profit)

    def mid(self, x: int) -> int:
        return _out(x, self.a1, self.b1, self.g1)

    def profit(self, x: int) -> tuple[int, int, int, int]:
        m = self.mid(x)
        o = _out(m, self.b2, self.a2, self.g2) if m else 0
        return x, m, o, o - x

    def x_min(self, m: int) -> int:
        """Smallest x with mid(x) >= m (1 <= m < b1)."""
        num = m * D * self.a1
        den = self.g1 * (self.b1 - m)
        return -(-num // den)

    def consider(self, x: int) -> int:
        cand = self.profit(x)
        best = self.best
        if best is None or cand[3] > best[3] or (cand[3] == best[3] and x < best[0]):
            self.best = cand
        return cand[3]


def optimal_two_pool(
    reserve_a1: int,
    reserve_b1: int,
    fee1_bps: int,
    reserve_b2: int,
    reserve_a2: int,
    fee2_bps: int,
) -> tuple[int, int, int, int]:
    """Most profitable integer input of the cycle A -> B on pool 1, B -> A on pool 2.

    Reserves are uint112 (as stored by UniswapV2Pair). Returns ``(amount_in, amount_mid,
    amount_out, profit)`` or ``(0, 0, 0, 0)`` when no input is profitable. See the module
    docstring for the exactness guarantee and the tie rule (smallest input).
    """
    a1, b1, b2, a2 = (
        _uint(v, UINT112_MAX) for v in (reserve_a1, reserve_b1, reserve_b2, reserve_a2)
    )
    g1, g2 = _gamma(fee1_bps), _gamma(fee2_bps)
    if not (a1 and b1 and b2 and a2):
        raise InsufficientLiquidity()
    p = g1 * g2 * b1 * a2
    q = D * D * a1 * b2
    if p <= q:  # f'(0) <= 1: f(x) - x <= 0 everywhere
        return NO_PROFIT
    r = g1 * (D * b2 + g2 * b1)
    x0 = (isqrt(p * q) - q) // r
    x_cap = (p - q) // r + 1  # f(x) - x <= 0 beyond: keeps every evaluation inside uint256
    cyc = _Cycle(a1, b1, g1, b2, a2, g2)
    for x in (x0, x0 + 1):
        if x >= 1:
            cyc.consider(x)
    m0 = cyc.mid(max(x0, 1))
    for m in (m0, m0 + 1):
        if 1 <= m < b1:
            x = cyc.x_min(m)
            if x <= x_cap:
                cyc.consider(x)
    assert cyc.best is not None
    # Only x with f(x) - x >= t can beat (or tie) the best: R x^2 + (Q + R t - P) x + t Q <= 0.
    t = max(cyc.best[3], 1)
    bq = p - q - r * t
    disc = bq * bq - 4 * r * t * q
    if bq <= 0 or disc < 0:
        return NO_PROFIT
    sd = isqrt(disc)
    lo = max(1, (bq - sd - 1) // (2 * r))
    hi = -(-(bq + sd + 1) // (2 * r))
    if hi - lo < ENUM_CAP:
        for x in range(lo, hi + 1):
            cyc.consider(x)
    else:
        m_lo, m_hi = cyc.mid(lo), cyc.mid(hi)
        if m_hi - m_lo < ENUM_CAP:
            for m in range(max(m_lo, 1), m_hi + 1):
                x = max(cyc.x_min(m), lo)
                if x <= hi:
                    cyc.consider(x)
        else:
            for _ in range(CLIMB_CAP):  # strict improvements: a handful of steps
                x, best_profit = cyc.best[0], cyc.best[3]
                left = cyc.profit(x - 1) if x > 1 else None
                if left is not None and left[3] > best_profit:
                    cyc.best = left
                    continue
                right = cyc.profit(x + 1)
                if right[3] <= best_profit:
                    break
                cyc.best = right
    best = cyc.best
    return best if best[3] > 0 else NO_PROFIT


def optimal_two_pool_batch(
    rows: Iterable[Sequence[int]],
) -> list[tuple[int, int, int, int]]:
    """``optimal_two_pool`` over many 6-tuples ``(a1, b1, fee1, b2, a2, fee2)``."""
    return [optimal_two_pool(*row) for row in rows]


def _dependent_check(
    amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int, n: int
) -> int:
    """The arguments of ``_dependent_quotes`` checked; its gamma."""
    values = {"amount_in": amount_in, "reserve_in": reserve_in, "reserve_out": reserve_out}
    for name, value in (*values.items(), ("n", n)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name}: expected int, got {type(value).__name__}")
    if not all(0 < value < 2**111 for value in values.values()):
        raise ValueError("amount_in and the reserves must be in [1, 2**111)")
    if not 0 <= n < 2**62:
        raise ValueError("n must be in [0, 2**62)")
    return _gamma(fee_bps)


def _dependent_quotes(
    amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int, n: int
) -> int:
    """Bench hook: ``x = getAmountOut(x + amount_in)`` n times from ``x = 0``, each quote
    waiting for the one before (the latency of one exact quote). Amounts stay below 2**112:
    an output is below its reserve."""
    gamma = _dependent_check(amount_in, reserve_in, reserve_out, fee_bps, n)
    x = 0
    for _ in range(n):
        x = _out(x + amount_in, reserve_in, reserve_out, gamma)
    return x
