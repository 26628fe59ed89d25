"""The Uniswap V3 swap loop in pure Python: the oracle for :mod:`arbstream.cyext.v3._swap`.

Ports ``UniswapV3Pool.swap`` (Uniswap/v3-core contracts/UniswapV3Pool.sol) over plain data,
with ``TickBitmap.nextInitializedTickWithinOneWord`` (contracts/libraries/TickBitmap.sol)
evaluated on the sorted list of initialized ticks instead of the bitmap. The step boundaries
are exactly the contract's: a step ends at the next initialized tick *or at the edge of the
current 256-bit bitmap word* of compressed ticks (``tick // tick_spacing``), clamped to
``[MIN_TICK, MAX_TICK]`` and to the price limit; stepping through an uninitialized word edge
changes the rounding of the amounts, so these boundaries matter to the unit.

Reproduced: ``require(amountSpecified != 0, 'AS')``; the ``'SPL'`` price-limit check; the loop
``while (remaining != 0 && sqrtPrice != limit)``; ``computeSwapStep`` per step; SafeCast
``toInt256`` of ``amountIn + feeAmount`` / ``amountOut`` and LowGasSafeMath on
``amountCalculated``; the ``feeGrowthGlobalX128`` ``FullMath.mulDiv(feeAmount, Q128,
liquidity)`` (it reverts when ``feeAmount >= liquidity * 2**128``; the protocol fee, which only
shrinks ``feeAmount`` there, is taken as 0); crossing an initialized tick with
``LiquidityMath.addDelta`` (``'LS'``/``'LA'``, ``liquidityNet`` negated - wrapping in int128 -
when moving left); ``tick = tickNext - 1`` (zeroForOne) / ``tickNext`` on a boundary, else
``getTickAtSqrtRatio`` when the price moved. Not modelled: ``'LOK'`` (the pool is unlocked),
oracle writes, fee growth outside the ticks (none of them affect amounts or the post-state).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from arbstream.cyext.v3.errors import (
    AmountSpecifiedZero,
    FullMathOverflow,
    PriceLimit,
    SafeCastOverflow,
    SafeMathOverflow,
    TickDataError,
)
from arbstream.cyext.v3.full_math_py import check_int, check_uint
from arbstream.cyext.v3.liquidity_math_py import _add_delta
from arbstream.cyext.v3.swap_math_py import _compute_swap_step, check_fee_pips
from arbstream.cyext.v3.tick_math_py import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    _sqrt_ratio_at_tick,
    _tick_at_sqrt_ratio,
)

__all__ = ["PreparedPool", "next_initialized_tick_within_one_word", "swap"]

INT256_MAX = (1 << 255) - 1
INT256_MIN = -(1 << 255)
INT128_MIN = -(1 << 127)


def _next_in_word(ticks: Sequence[int], tick: int, tick_spacing: int, lte: bool) -> tuple[int, int]:
    """nextInitializedTickWithinOneWord -> (next tick, index in ``ticks`` or -1 if uninitialized).

    ``ticks`` are sorted multiples of ``tick_spacing``, so "bit set at compressed ``c``" is
    "``c * tick_spacing`` in ``ticks``".
    """
    compressed = tick // tick_spacing  # floor: the contract's round towards negative infinity
    if lte:
        word_start = (compressed >> 8) << 8  # compressed - bitPos
        i = bisect_right(ticks, compressed * tick_spacing) - 1
        if i >= 0 and ticks[i] >= word_start * tick_spacing:
            return ticks[i], i
        return word_start * tick_spacing, -1
    start = compressed + 1
    word_end = ((start >> 8) << 8) + 255  # compressed + 1 + (255 - bitPos)
    i = bisect_left(ticks, start * tick_spacing)
    if i < len(ticks) and ticks[i] <= word_end * tick_spacing:
        return ticks[i], i
    return word_end * tick_spacing, -1


def next_initialized_tick_within_one_word(
    ticks: Sequence[int], tick: int, tick_spacing: int, lte: bool
) -> tuple[int, bool]:
    """``TickBitmap.nextInitializedTickWithinOneWord`` over sorted initialized ``ticks``:
    ``(next, initialized)``; ``lte`` searches at or left of ``tick``, else strictly right, never
    beyond the current 256-bit word of compressed ticks."""
    nxt, index = _next_in_word(ticks, tick, tick_spacing, bool(lte))
    return nxt, index >= 0


# tuples already validated (immutable: keeping a reference makes the id check exact)
_VALIDATED: dict[tuple[int, int, int], tuple[Sequence[int], Sequence[int]]] = {}
_VALIDATED_MAX = 256


def _check_ticks(ticks: Sequence[int], liquidity_nets: Sequence[int], tick_spacing: int) -> None:
    cacheable = type(ticks) is tuple and type(liquidity_nets) is tuple
    if cacheable:
        key = (id(ticks), id(liquidity_nets), tick_spacing)
        seen = _VALIDATED.get(key)
        if seen is not None and seen[0] is ticks and seen[1] is liquidity_nets:
            return
    _validate_ticks(ticks, liquidity_nets, tick_spacing)
    if cacheable:
        if len(_VALIDATED) >= _VALIDATED_MAX:
            _VALIDATED.clear()
        _VALIDATED[key] = (ticks, liquidity_nets)


def _validate_ticks(ticks: Sequence[int], liquidity_nets: Sequence[int], tick_spacing: int) -> None:
    if len(ticks) != len(liquidity_nets):
        raise TickDataError(f"{len(ticks)} ticks but {len(liquidity_nets)} liquidity_nets")
    previous = MIN_TICK - 1
    for t in ticks:
        if type(t) is not int or t <= previous or t > MAX_TICK or t % tick_spacing:
            raise TickDataError(
                f"initialized ticks must be increasing multiples of {tick_spacing} in "
                f"[{MIN_TICK}, {MAX_TICK}], got {t!r} after {previous}"
            )
        previous = t
    for net in liquidity_nets:
        check_int(net, 128)


def swap(
    sqrt_price_x96: int,
    tick: int,
    liquidity: int,
    fee_pips: int,
    tick_spacing: int,
    ticks: Sequence[int],
    liquidity_nets: Sequence[int],
    zero_for_one: bool,
    amount_specified: int,
    sqrt_price_limit_x96: int,
) -> tuple[int, int, int, int, int, int]:
    """``UniswapV3Pool.swap`` as a pure function of the pool's state.

    ``ticks`` are the pool's initialized ticks, sorted, with their ``liquidity_nets`` in the
    same order; ``amount_specified > 0`` is an exact input, ``< 0`` an exact output.

    Returns ``(amount0, amount1, sqrt_price_x96_after, tick_after, liquidity_after,
    ticks_crossed)``: the pool's signed deltas (positive: paid into the pool), the post-swap
    slot0 price/tick and in-range liquidity, and how many initialized ticks were crossed.

    Raises AmountSpecifiedZero ('AS'), PriceLimit ('SPL'), LiquiditySub / LiquidityAdd
    ('LS' / 'LA'), and the math's bare-require reverts; PricingInputError (UintRangeError,
    IntRangeError, FeePipsError, TickDataError) for arguments no pool could have.
    """
    sqrt_price = check_uint(sqrt_price_x96, 160)
    state_tick = check_int(tick, 24)
    state_liquidity = check_uint(liquidity, 128)
    fee = check_fee_pips(fee_pips)
    spacing = check_int(tick_spacing, 24)
    if spacing <= 0:
        raise TickDataError(f"tick_spacing must be positive, got {tick_spacing}")
    amount_specified = check_int(amount_specified, 256)
    limit = check_uint(sqrt_price_limit_x96, 160)
    _check_ticks(ticks, liquidity_nets, spacing)
    return _swap(
        sqrt_price,
        state_tick,
        state_liquidity,
        fee,
        spacing,
        ticks,
        liquidity_nets,
        bool(zero_for_one),
        amount_specified,
        limit,
    )


class PreparedPool:
    """The twin of the kernel's ``PreparedPool``: a pool's fee, spacing and tick data
    validated once, so ``pool.swap(...)`` pays only for the swap itself."""

    __slots__ = ("_nets", "_ticks", "fee_pips", "tick_spacing")

    def __init__(
        self, fee_pips: int, tick_spacing: int, ticks: Sequence[int], liquidity_nets: Sequence[int]
    ) -> None:
        self.fee_pips = check_fee_pips(fee_pips)
        self.tick_spacing = check_int(tick_spacing, 24)
        if self.tick_spacing <= 0:
            raise TickDataError(f"tick_spacing must be positive, got {tick_spacing}")
        _check_ticks(ticks, liquidity_nets, self.tick_spacing)
        self._ticks = tuple(ticks)
        self._nets = tuple(liquidity_nets)

    def __len__(self) -> int:
        return len(self._ticks)

    @property
    def ticks(self) -> list[int]:
        return list(self._ticks)

    @property
    def liquidity_nets(self) -> list[int]:
        return list(self._nets)

    def swap(
        self,
        sqrt_price_x96: int,
        tick: int,
        liquidity: int,
        zero_for_one: bool,
        amount_specified: int,
        sqrt_price_limit_x96: int,
    ) -> tuple[int, int, int, int, int, int]:
        """:func:`swap` on this pool's fee, spacing and ticks."""
        return _swap(
            check_uint(sqrt_price_x96, 160),
            check_int(tick, 24),
            check_uint(liquidity, 128),
            self.fee_pips,
            self.tick_spacing,
            self._ticks,
            self._nets,
            bool(zero_for_one),
            check_int(amount_specified, 256),
            check_uint(sqrt_price_limit_x96, 160),
        )


def _swap(
    sqrt_price: int,
    state_tick: int,
    state_liquidity: int,
    fee: int,
    spacing: int,
    ticks: Sequence[int],
    liquidity_nets: Sequence[int],
    zero_for_one: bool,
    amount_specified: int,
    limit: int,
) -> tuple[int, int, int, int, int, int]:
    """The loop of :func:`swap` on validated arguments."""
    if amount_specified == 0:
        raise AmountSpecifiedZero()
    if zero_for_one:
        if not (limit < sqrt_price and limit > MIN_SQRT_RATIO):
            raise PriceLimit()
    elif not (limit > sqrt_price and limit < MAX_SQRT_RATIO):
        raise PriceLimit()

    exact_input = amount_specified > 0
    remaining = amount_specified
    calculated = 0
    crossed = 0

    while remaining != 0 and sqrt_price != limit:
        sqrt_price_start = sqrt_price
        tick_next, index = _next_in_word(ticks, state_tick, spacing, zero_for_one)
        if tick_next < MIN_TICK:
            tick_next = MIN_TICK
        elif tick_next > MAX_TICK:
            tick_next = MAX_TICK
        sqrt_price_next = _sqrt_ratio_at_tick(tick_next)

        if zero_for_one:
            target = limit if sqrt_price_next < limit else sqrt_price_next
        else:
            target = limit if sqrt_price_next > limit else sqrt_price_next
        sqrt_price, amount_in, amount_out, fee_amount = _compute_swap_step(
            sqrt_price, target, state_liquidity, remaining, fee
        )

        paid = (amount_in + fee_amount) & ((1 << 256) - 1)  # unchecked uint256 add
        if paid > INT256_MAX or amount_out > INT256_MAX:  # SafeCast.toInt256
            raise SafeCastOverflow()
        if exact_input:
            remaining -= paid  # unchecked int256: never below 0 here
            calculated -= amount_out  # LowGasSafeMath.sub
        else:
            remaining += amount_out  # unchecked int256: never above 0 here
            calculated += paid  # LowGasSafeMath.add
        if not INT256_MIN <= calculated <= INT256_MAX:
            raise SafeMathOverflow()

        # feeGrowthGlobalX128 += FullMath.mulDiv(feeAmount, Q128, liquidity)
        if state_liquidity > 0 and fee_amount >= state_liquidity << 128:
            raise FullMathOverflow()

        if sqrt_price == sqrt_price_next:
            if index >= 0:
                net = liquidity_nets[index]
                if zero_for_one:
                    net = INT128_MIN if net == INT128_MIN else -net  # int128 negation wraps
                state_liquidity = _add_delta(state_liquidity, net)
                crossed += 1
            state_tick = tick_next - 1 if zero_for_one else tick_next
        elif sqrt_price != sqrt_price_start:
            # recompute unless we're on a lower tick boundary (i.e. already transitioned
            # ticks), and haven't moved
            state_tick = _tick_at_sqrt_ratio(sqrt_price)

    if zero_for_one == exact_input:
        amount0, amount1 = amount_specified - remaining, calculated
    else:
        amount0, amount1 = calculated, amount_specified - remaining
    return amount0, amount1, sqrt_price, state_tick, state_liquidity, crossed
