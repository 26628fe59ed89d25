"""The V3 swap loop's edges that mutation testing found unchecked.

Oracles: Uniswap/v3-core's own TickBitmap.spec.ts vectors for
``nextInitializedTickWithinOneWord`` (ticks -200, -55, -4, 70, 78, 84, 139, 240, 535 at spacing
1), the Solidity ``require``s of ``UniswapV3Pool.swap`` (``'AS'``, ``'SPL'``: the limit strictly
between the price and the ratio bound), and the tick data a pool can hold (sorted, spaced,
in range, int128 nets).
"""

from __future__ import annotations

from typing import Any

import pytest

from arbstream.cyext.errors import PricingInputError, UintRangeError
from arbstream.cyext.v3 import swap_py
from arbstream.cyext.v3.errors import (
    AmountSpecifiedZero,
    FeePipsError,
    IntRangeError,
    PriceLimit,
    TickDataError,
)
from arbstream.cyext.v3.tick_math_py import MAX_SQRT_RATIO, MIN_SQRT_RATIO

from .impls import impls

Q96 = 2**96
TICKS = [-200, -55, -4, 70, 78, 84, 139, 240, 535]
BITMAP = [
    # (extra initialized ticks, tick, lte, (next, initialized))
    ((), 78, False, (84, True)),
    ((), -55, False, (-4, True)),
    ((), 77, False, (78, True)),
    ((), -56, False, (-55, True)),
    ((), 255, False, (511, False)),
    ((), -257, False, (-200, True)),
    ((340,), 328, False, (340, True)),
    ((), 508, False, (511, False)),
    ((), 383, False, (511, False)),
    ((), 78, True, (78, True)),
    ((), 79, True, (78, True)),
    ((), 258, True, (256, False)),
    ((), 256, True, (256, False)),
    ((), 72, True, (70, True)),
    ((), -257, True, (-512, False)),
    ((), 1023, True, (768, False)),
    ((), 900, True, (768, False)),
    ((329,), 456, True, (329, True)),
]


@pytest.mark.parametrize(("extra", "tick", "lte", "want"), BITMAP)
def test_next_initialized_tick_is_uniswaps_tickbitmap(
    extra: tuple[int, ...], tick: int, lte: bool, want: tuple[int, bool]
) -> None:
    ticks = sorted([*TICKS, *extra])
    assert swap_py.next_initialized_tick_within_one_word(ticks, tick, 1, lte) == want
    # the same words at spacing 60: compressed ticks are tick // 60 (floor, also below zero)
    spaced = [t * 60 for t in ticks]
    nxt, initialized = swap_py.next_initialized_tick_within_one_word(spaced, tick * 60, 60, lte)
    assert (nxt, initialized) == (want[0] * 60, want[1])
    inside = tick * 60 + 59  # same compressed tick, not on it: lte looks from its floor
    if lte:
        assert swap_py.next_initialized_tick_within_one_word(spaced, inside, 60, lte) == (
            want[0] * 60,
            want[1],
        )


def test_compressed_ticks_floor_below_zero() -> None:
    # tick -1 at spacing 60 is compressed -1 (the contract's round towards -infinity)
    assert swap_py.next_initialized_tick_within_one_word([-60], -1, 60, True) == (-60, True)
    assert swap_py.next_initialized_tick_within_one_word([0], -1, 60, False) == (0, True)
    assert swap_py.next_initialized_tick_within_one_word([], -1, 60, True) == (-256 * 60, False)


# ------------------------------------------------------------------------ swap requires
def pool_args(**over: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "sqrt_price_x96": Q96,
        "tick": 0,
        "liquidity": 10**18,
        "fee_pips": 3000,
        "tick_spacing": 60,
        "ticks": (),
        "liquidity_nets": (),
        "zero_for_one": True,
        "amount_specified": 10**6,
        "sqrt_price_limit_x96": MIN_SQRT_RATIO + 1,
    }
    return args | over


@pytest.mark.parametrize("m", impls("swap"))
@pytest.mark.parametrize(
    ("zero_for_one", "limit", "ok"),
    [
        (True, Q96, False),  # at the price: no room to move
        (True, Q96 - 1, True),
        (True, MIN_SQRT_RATIO, False),
        (True, MIN_SQRT_RATIO + 1, True),
        (True, Q96 + 1, False),  # on the wrong side
        (False, Q96, False),
        (False, Q96 + 1, True),
        (False, MAX_SQRT_RATIO, False),
        (False, MAX_SQRT_RATIO - 1, True),
        (False, Q96 - 1, False),
    ],
)
def test_price_limit_must_lie_strictly_inside(
    m: Any, zero_for_one: bool, limit: int, ok: bool
) -> None:
    args = pool_args(zero_for_one=zero_for_one, sqrt_price_limit_x96=limit)
    if ok:
        amount0, amount1, price, *_ = m.swap(*args.values())
        assert (price < Q96) == zero_for_one and price != Q96
        assert (amount0 > 0) == zero_for_one and (amount1 > 0) != zero_for_one
    else:
        with pytest.raises(PriceLimit) as info:
            m.swap(*args.values())
        assert info.value.reason == "SPL"


@pytest.mark.parametrize("m", impls("swap"))
def test_zero_amount_is_as_before_the_limit(m: Any) -> None:
    with pytest.raises(AmountSpecifiedZero) as info:
        m.swap(*pool_args(amount_specified=0, sqrt_price_limit_x96=Q96).values())
    assert info.value.reason == "AS"


@pytest.mark.parametrize("m", impls("swap"))
@pytest.mark.parametrize(
    ("over", "error", "words"),
    [
        ({"ticks": (-60, 60), "liquidity_nets": (1,)}, TickDataError, "2 ticks but 1"),
        ({"ticks": (60, -60), "liquidity_nets": (1, -1)}, TickDataError, "increasing"),
        ({"ticks": (60, 60), "liquidity_nets": (1, -1)}, TickDataError, "increasing"),
        ({"ticks": (-60, 30), "liquidity_nets": (1, -1)}, TickDataError, "multiples of 60"),
        ({"ticks": (-887280, 60), "liquidity_nets": (1, -1)}, TickDataError, "-887272"),
        ({"ticks": (-60, 887280), "liquidity_nets": (1, -1)}, TickDataError, "887272"),
        ({"ticks": (-60, 60.0), "liquidity_nets": (1, -1)}, TickDataError, "60.0"),
        ({"ticks": (-60, 60), "liquidity_nets": (2**127, -1)}, IntRangeError, "int128"),
        ({"tick_spacing": 0}, TickDataError, "tick_spacing must be positive"),
        ({"tick_spacing": -1}, TickDataError, "tick_spacing must be positive"),
        ({"tick_spacing": 2**23}, IntRangeError, "int24"),
        ({"fee_pips": 10**6}, FeePipsError, "fee_pips"),
        ({"tick": 2**23}, IntRangeError, "int24"),
        ({"liquidity": 2**128}, UintRangeError, "uint128"),
        ({"sqrt_price_x96": 2**160}, UintRangeError, "uint160"),
        ({"sqrt_price_limit_x96": 2**160}, UintRangeError, "uint160"),
        ({"amount_specified": 2**255}, IntRangeError, "int256"),
    ],
)
def test_arguments_no_pool_could_have(
    m: Any, over: dict[str, Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words.replace(".", r"\.")):
        m.swap(*pool_args(**over).values())
    assert issubclass(error, PricingInputError)


def test_edge_ticks_and_int128_nets_are_valid() -> None:
    args = pool_args(
        tick_spacing=1,
        ticks=(-887272, 887272),
        liquidity_nets=(-(2**127), 2**127 - 1),
        liquidity=2**127,
    )
    assert swap_py.swap(*args.values())[0] == 10**6


@pytest.mark.parametrize(
    ("over", "error"),
    [
        ({"fee_pips": 10**6}, FeePipsError),
        ({"tick_spacing": 0}, TickDataError),
        ({"tick_spacing": 2**23}, IntRangeError),
        ({"ticks": (-60, 30), "liquidity_nets": (1, -1)}, TickDataError),
    ],
)
def test_prepared_pool_checks_its_data_once(over: dict[str, Any], error: type) -> None:
    a = pool_args(**over)
    with pytest.raises(error):
        swap_py.PreparedPool(a["fee_pips"], a["tick_spacing"], a["ticks"], a["liquidity_nets"])


def test_prepared_pool_views_and_swap_arguments() -> None:
    pool = swap_py.PreparedPool(500, 10, [-20, 30], [7, -7])
    assert len(pool) == 2 and pool.ticks == [-20, 30] and pool.liquidity_nets == [7, -7]
    assert (pool.fee_pips, pool.tick_spacing) == (500, 10)
    a = pool_args(fee_pips=500, tick_spacing=10, ticks=(-20, 30), liquidity_nets=(7, -7))
    state = (a["sqrt_price_x96"], a["tick"], a["liquidity"])
    rest = (a["zero_for_one"], a["amount_specified"], a["sqrt_price_limit_x96"])
    assert pool.swap(*state, *rest) == swap_py.swap(*a.values())
    for i, bad, error in (
        (0, 2**160, UintRangeError),
        (1, 2**23, IntRangeError),
        (2, 2**128, UintRangeError),
        (4, 2**255, IntRangeError),
        (5, 2**160, UintRangeError),
    ):
        args = [*state, *rest]
        args[i] = bad
        with pytest.raises(error):
            pool.swap(*args)


def test_validated_tick_tuples_are_still_checked_after_the_cache_turns_over() -> None:
    good = (tuple(range(-600, 601, 60)), tuple([1] * 10 + [0] + [-1] * 10))
    for i in range(300):  # more distinct tuples than the cache holds
        ticks = (-60 * (i + 1), 60)
        swap_py.swap(*pool_args(ticks=ticks, liquidity_nets=(1, -1)).values())
    assert swap_py.swap(*pool_args(ticks=good[0], liquidity_nets=good[1]).values())
    with pytest.raises(TickDataError):
        swap_py.swap(*pool_args(ticks=(-60, 30), liquidity_nets=(1, -1)).values())
    bad_list = [-60, 30]  # lists are never cached: checked on every call
    for _ in range(2):
        with pytest.raises(TickDataError):
            swap_py.swap(*pool_args(ticks=bad_list, liquidity_nets=[1, -1]).values())


def test_tick_on_the_last_bit_of_a_word_and_below_min_tick() -> None:
    # compressed 255 is the word's last bit: initialized, and found from the word's start
    assert swap_py.next_initialized_tick_within_one_word([255], 0, 1, False) == (255, True)
    with pytest.raises(TickDataError):  # MIN_TICK - 1 is no tick, even at spacing 1
        swap_py.swap(
            *pool_args(tick_spacing=1, ticks=(-887273, 0), liquidity_nets=(1, -1)).values()
        )


@pytest.mark.parametrize("m", impls("swap"))
def test_a_swap_ending_on_a_crossed_tick_sits_just_below_it(m: Any) -> None:
    """UniswapV3Pool.swap: ``state.tick = zeroForOne ? step.tickNext - 1 : step.tickNext`` when
    the step ends on an initialized tick it crossed."""
    from arbstream.cyext.v3.tick_math_py import get_sqrt_ratio_at_tick

    args = pool_args(ticks=(-60, 60), liquidity_nets=(10**18, -(10**18)), amount_specified=10**30)
    args["sqrt_price_limit_x96"] = get_sqrt_ratio_at_tick(-60)
    *_, price, tick, liquidity, crossed = m.swap(*args.values())
    assert (price, tick, liquidity, crossed) == (get_sqrt_ratio_at_tick(-60), -61, 0, 1)
    args |= {"zero_for_one": False, "sqrt_price_limit_x96": get_sqrt_ratio_at_tick(60)}
    *_, price, tick, liquidity, crossed = m.swap(*args.values())
    assert (price, tick, liquidity, crossed) == (get_sqrt_ratio_at_tick(60), 60, 0, 1)
