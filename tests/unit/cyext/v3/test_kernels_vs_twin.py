"""The V3 Cython kernels (``arbstream.cyext.v3._*``) against their pure-Python twins: the same
result, or the same exception class and revert reason, on 10,000 hypothesis cases per kernel
(extremes included: MIN/MAX tick and sqrt ratio, zero and tiny liquidity, amounts of 1 and near
2**255, fees 0 and 999,999), and the swap loop on random pools and swaps."""

from __future__ import annotations

import array
import importlib
import os
import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arbstream.cyext.errors import PricingInputError
from arbstream.cyext.v3 import (
    full_math_py,
    liquidity_math_py,
    sqrt_price_math_py,
    swap_math_py,
    swap_py,
    tick_math_py,
)
from arbstream.cyext.v3.errors import TickDataError
from arbstream.cyext.v3.tick_math_py import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)

from ..parity import outcome

K_FULL = importlib.import_module("arbstream.cyext.v3._full_math")
K_TICK = importlib.import_module("arbstream.cyext.v3._tick_math")
K_SPM = importlib.import_module("arbstream.cyext.v3._sqrt_price_math")
K_SWAP_MATH = importlib.import_module("arbstream.cyext.v3._swap_math")
K_LIQ = importlib.import_module("arbstream.cyext.v3._liquidity_math")
K_SWAP = importlib.import_module("arbstream.cyext.v3._swap")

U256 = 2**256 - 1
U160 = 2**160 - 1
U128 = 2**128 - 1
I128_MIN, I128_MAX = -(2**127), 2**127 - 1
I256_MIN, I256_MAX = -(2**255), 2**255 - 1

MANY = settings(
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def same(kernel: Any, twin: Any, name: str, *args: Any) -> tuple[Any, Any]:
    got = outcome(getattr(kernel, name), *args)
    want = outcome(getattr(twin, name), *args)
    assert got == want, (name, args)
    return want


#: explicit kernel-vs-twin comparisons: independent of ARBSTREAM_NO_CYTHON, run once
pytestmark = pytest.mark.parity

# ---------------------------------------------------------------- strategies


def bits_int(max_bits: int) -> st.SearchStrategy[int]:
    """Integers of a random bit length up to ``max_bits`` (every magnitude equally likely)."""
    return st.builds(
        lambda b, x: x >> (max_bits - b),
        st.integers(0, max_bits),
        st.integers(0, (1 << max_bits) - 1),
    )


def signed(strategy: st.SearchStrategy[int]) -> st.SearchStrategy[int]:
    return st.builds(lambda v, neg: -v if neg else v, strategy, st.booleans())


def edges(*values: int) -> list[int]:
    return sorted({v + d for v in values for d in (-1, 0, 1)})


uint256 = st.one_of(
    st.sampled_from(
        [v for v in edges(0, 2**64, 2**96, 2**128, 2**160, 2**192, 2**255, U256) if 0 <= v <= U256]
    ),
    bits_int(256),
    st.integers(0, U256),
)
uint160 = st.one_of(
    st.sampled_from(
        [v for v in edges(0, MIN_SQRT_RATIO, MAX_SQRT_RATIO, 2**96, 2**160) if 0 <= v <= U160]
    ),
    bits_int(160),
    st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO),
)
uint128 = st.one_of(
    st.sampled_from([0, 1, 2, 3, 1000, 2**64, 2**96, 2**127, U128 - 1, U128]),
    bits_int(128),
)
int128 = st.one_of(
    st.sampled_from([0, 1, -1, 2, -2, I128_MIN, I128_MIN + 1, I128_MAX, I128_MAX - 1]),
    signed(bits_int(127)),
)
int256 = st.one_of(
    st.sampled_from([1, -1, 2, -2, I256_MIN, I256_MIN + 1, I256_MAX, I256_MAX - 1, 0]),
    signed(bits_int(255)),
)
fee_pips = st.one_of(
    st.sampled_from([0, 1, 100, 500, 3000, 10_000, 100_000, 999_999]), st.integers(0, 999_999)
)
ticks_any = st.one_of(
    st.sampled_from([MIN_TICK, MIN_TICK + 1, -1, 0, 1, MAX_TICK - 1, MAX_TICK]),
    st.integers(MIN_TICK, MAX_TICK),
)
bad_values = st.sampled_from([-1, -(2**256), 2**256, 2**300, True, 1.5, None, "1"])


def maybe_bad(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``strategy``, sometimes an argument the ABI would refuse."""
    return st.one_of(strategy, strategy, strategy, strategy, strategy, strategy, bad_values)


# ---------------------------------------------------------------- the compiled modules


@pytest.mark.parametrize("kernel", [K_FULL, K_TICK, K_SPM, K_SWAP_MATH, K_LIQ, K_SWAP])
def test_kernels_are_compiled(kernel: Any) -> None:
    assert kernel.__file__ is not None and not kernel.__file__.endswith((".py", ".pyx"))


def test_pickers_select_the_kernels() -> None:
    """The kernels unless ARBSTREAM_NO_CYTHON=1 forces the twins (CI runs both ways)."""
    expected = "python" if os.environ.get("ARBSTREAM_NO_CYTHON") == "1" else "cython"
    for lib in ("full_math", "tick_math", "sqrt_price_math", "swap_math", "liquidity_math", "swap"):
        picker = importlib.import_module(f"arbstream.cyext.v3.{lib}")
        assert picker.IMPLEMENTATION == expected, lib


def test_tick_math_constants() -> None:
    for name in ("MIN_TICK", "MAX_TICK", "MIN_SQRT_RATIO", "MAX_SQRT_RATIO"):
        assert getattr(K_TICK, name) == getattr(tick_math_py, name)


# ---------------------------------------------------------------- FullMath


def _split_product(q: int, d: int, r: int) -> tuple[int, int, int]:
    """(a, b, d) with a * b == q * d + r % d: quotients near 2**256 and remainders of every
    size, where a 512-by-256 division most easily goes wrong."""
    prod = q * d + r % d
    a = 1 << max(0, prod.bit_length() - 256)
    b, rem = divmod(prod, a)
    if b > U256 or rem:
        return (1, min(prod, U256), d)
    return (a, b, d)


full_math_args = st.one_of(
    st.tuples(maybe_bad(uint256), maybe_bad(uint256), maybe_bad(uint256)),
    st.builds(_split_product, bits_int(256), st.integers(1, U256), st.integers(0, U256)),
)


@MANY
@given(args=full_math_args)
def test_full_math(args: tuple[Any, Any, Any]) -> None:
    same(K_FULL, full_math_py, "mul_div", *args)
    same(K_FULL, full_math_py, "mul_div_rounding_up", *args)


# ---------------------------------------------------------------- TickMath


@MANY
@given(
    tick=maybe_bad(
        st.one_of(ticks_any, st.sampled_from(edges(MIN_TICK, MAX_TICK, -(2**23), 2**23)))
    ),
    price=maybe_bad(
        st.one_of(
            uint160,
            st.builds(
                lambda t, d: max(0, get_sqrt_ratio_at_tick(t) + d), ticks_any, st.integers(-2, 2)
            ),
        )
    ),
)
def test_tick_math(tick: Any, price: Any) -> None:
    same(K_TICK, tick_math_py, "get_sqrt_ratio_at_tick", tick)
    same(K_TICK, tick_math_py, "get_tick_at_sqrt_ratio", price)


def test_tick_at_sqrt_ratio_at_tick_boundaries() -> None:
    """The kernel's getTickAtSqrtRatio (a double-precision estimate, checked exactly only near a
    tick boundary) against the twin's port of the contract's log2, on both sides of the
    boundary of every 149th tick across the whole range and of the extreme ticks. (Every tick's
    boundary, +-1 and 3 random prices per tick span, was compared in C once: no difference.)"""
    ticks = [*range(MIN_TICK, MAX_TICK + 1, 149), *range(MIN_TICK, MIN_TICK + 50)]
    ticks += range(MAX_TICK - 50, MAX_TICK + 1)
    for t in ticks:
        price = get_sqrt_ratio_at_tick(t)
        for p in (price - 1, price, price + 1):
            same(K_TICK, tick_math_py, "get_tick_at_sqrt_ratio", p)


# ---------------------------------------------------------------- SqrtPriceMath

NEXT_PRICE = (
    "get_next_sqrt_price_from_amount0_rounding_up",
    "get_next_sqrt_price_from_amount1_rounding_down",
    "get_next_sqrt_price_from_input",
    "get_next_sqrt_price_from_output",
)


@MANY
@given(
    price=maybe_bad(uint160),
    other=maybe_bad(uint160),
    liquidity=maybe_bad(uint128),
    signed_liquidity=maybe_bad(int128),
    amount=maybe_bad(uint256),
    flag=st.booleans(),
)
def test_sqrt_price_math(
    price: Any, other: Any, liquidity: Any, signed_liquidity: Any, amount: Any, flag: bool
) -> None:
    for name in NEXT_PRICE:
        same(K_SPM, sqrt_price_math_py, name, price, liquidity, amount, flag)
    same(K_SPM, sqrt_price_math_py, "get_amount0_delta", price, other, liquidity, flag)
    same(K_SPM, sqrt_price_math_py, "get_amount1_delta", price, other, liquidity, flag)
    same(K_SPM, sqrt_price_math_py, "get_amount0_delta_signed", price, other, signed_liquidity)
    same(K_SPM, sqrt_price_math_py, "get_amount1_delta_signed", price, other, signed_liquidity)


# ---------------------------------------------------------------- SwapMath


def _nearby_step(tick: int, offset: int, step: int) -> tuple[int, int]:
    """(current, target): a price inside ``tick`` and one a few thousand ticks away, as the
    swap loop asks (mostly non-reverting steps)."""
    current = min(get_sqrt_ratio_at_tick(tick) + offset, MAX_SQRT_RATIO - 1)
    return current, get_sqrt_ratio_at_tick(min(max(tick + step, MIN_TICK), MAX_TICK))


prices_in_range = st.one_of(
    st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1),
    ticks_any.map(get_sqrt_ratio_at_tick),
    st.sampled_from([MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1, 2**96]),
)


@MANY
@given(
    prices=st.one_of(
        st.tuples(
            maybe_bad(st.one_of(prices_in_range, uint160)),
            maybe_bad(st.one_of(prices_in_range, uint160)),
        ),
        st.builds(_nearby_step, ticks_any, bits_int(40), st.integers(-5000, 5000)),
    ),
    liquidity=maybe_bad(st.one_of(uint128, st.integers(0, 10), bits_int(100))),
    remaining=maybe_bad(st.one_of(int256, signed(bits_int(100)))),
    fee=maybe_bad(st.one_of(fee_pips, st.sampled_from([10**6, 2**24 - 1, 2**24]))),
)
def test_swap_math(prices: tuple[Any, Any], liquidity: Any, remaining: Any, fee: Any) -> None:
    same(K_SWAP_MATH, swap_math_py, "compute_swap_step", *prices, liquidity, remaining, fee)


# ---------------------------------------------------------------- LiquidityMath


@MANY
@given(x=maybe_bad(uint128), y=maybe_bad(int128))
def test_liquidity_math(x: Any, y: Any) -> None:
    same(K_LIQ, liquidity_math_py, "add_delta", x, y)


# ---------------------------------------------------------------- the swap loop

SPACINGS = (1, 10, 60, 200)

# fixed strategies: building strategies with per-example bounds inside a composite costs more
# than the swaps themselves, so ranges are drawn as `lo + r % (hi - lo + 1)`
_R = st.integers(0, 2**64 - 1)
_R160 = st.integers(0, U160)
_SPACING = st.sampled_from(SPACINGS)
_BOOL = st.booleans()
_CENTER = st.sampled_from(["zero", "zero", "zero", "low", "high", "min", "max"])
_POSITIONS = st.integers(0, 6)
_POSITION_LIQUIDITY = st.one_of(st.sampled_from([1, 2, 10**3]), bits_int(110))
_POOL_FEE = st.one_of(st.sampled_from([0, 100, 500, 3000, 10_000, 999_999]), fee_pips)
_AMOUNT = st.one_of(
    st.sampled_from([1, -1, 2, -2, I256_MAX, -I256_MAX, I256_MIN, 0]),
    signed(bits_int(255).map(lambda v: max(v, 1))),
    signed(st.integers(1, 10**25)),
)
_LIMIT_KIND = st.sampled_from(["range"] * 8 + ["bound"] * 2 + ["bad"])
_BAD_LIMIT = st.sampled_from(["price", "min", "max", "above", "below"])


def _between(draw: st.DrawFn, lo: int, hi: int) -> int:
    return lo + draw(_R if hi - lo < 2**64 else _R160) % (hi - lo + 1) if hi > lo else lo


@st.composite
def pools(draw: st.DrawFn) -> dict[str, Any]:
    """A pool: positions (their ticks' liquidity nets sum to zero), a price and its tick, the
    in-range liquidity; sometimes inconsistent nets or liquidity (to reach 'LS' / 'LA')."""
    spacing = draw(_SPACING)
    lo_c, hi_c = -(MAX_TICK // spacing), MAX_TICK // spacing
    near = draw(_BOOL)
    center = {"zero": 0, "low": lo_c + 300, "high": hi_c - 300, "min": lo_c, "max": hi_c}[
        draw(_CENTER)
    ]
    nets: dict[int, int] = {}
    for _ in range(draw(_POSITIONS)):
        if near:
            lo, hi = max(lo_c, center - 600), min(hi_c, center + 600)
        else:
            lo, hi = lo_c, hi_c
        a, b = _between(draw, lo, hi), _between(draw, lo, hi)
        if a == b:
            continue
        a, b = min(a, b) * spacing, max(a, b) * spacing
        amount = draw(_POSITION_LIQUIDITY)
        nets[a] = nets.get(a, 0) + amount
        nets[b] = nets.get(b, 0) - amount
    ticks = sorted(nets)
    liquidity_nets = [nets[t] for t in ticks]
    if ticks and draw(_R) % 10 == 0:  # nets no sequence of mints could produce
        liquidity_nets[_between(draw, 0, len(ticks) - 1)] = draw(int128)
    tick_c = min(max(center + _between(draw, -700, 700), lo_c), hi_c)
    tick = min(max(tick_c * spacing + _between(draw, -spacing, spacing), MIN_TICK), MAX_TICK)
    price = get_sqrt_ratio_at_tick(tick)
    if draw(_BOOL):  # inside the tick rather than on its boundary
        nxt = get_sqrt_ratio_at_tick(min(tick + 1, MAX_TICK))
        price = _between(draw, price, max(price, nxt - 1))
    price = min(max(price, MIN_SQRT_RATIO), MAX_SQRT_RATIO - 1)
    tick = get_tick_at_sqrt_ratio(price)
    if draw(_R) % 10 == 0 and price == get_sqrt_ratio_at_tick(tick) and tick > MIN_TICK:
        tick -= 1  # the state just after crossing `tick` leftwards
    liquidity = sum(n for t, n in zip(ticks, liquidity_nets, strict=True) if t <= tick)
    if not 0 <= liquidity <= U128 or draw(_R) % 20 == 0:
        liquidity = draw(uint128)
    return {
        "spacing": spacing,
        "ticks": ticks,
        "nets": liquidity_nets,
        "price": price,
        "tick": tick,
        "liquidity": liquidity,
        "fee": draw(_POOL_FEE),
    }


@st.composite
def swaps(draw: st.DrawFn) -> tuple[Any, ...]:
    pool = draw(pools())
    zero_for_one = draw(_BOOL)
    amount = draw(_AMOUNT)
    price, spacing = pool["price"], pool["spacing"]
    # a step ends at least at every word edge (256 * spacing ticks): a far limit with no
    # liquidity left takes up to 887272 / (128 * spacing) twin steps, so only spacing 200
    # reaches MIN/MAX_SQRT_RATIO and the others stay within 6 words (keeps the test fast)
    far = spacing == 200
    if zero_for_one:
        bound = MIN_SQRT_RATIO + 1
        if not far:
            bound = max(bound, get_sqrt_ratio_at_tick(max(MIN_TICK, pool["tick"] - 1536 * spacing)))
        in_range = _between(draw, bound, max(bound, price - 1))
    else:
        bound = MAX_SQRT_RATIO - 1
        if not far:
            bound = min(bound, get_sqrt_ratio_at_tick(min(MAX_TICK, pool["tick"] + 1536 * spacing)))
        in_range = _between(draw, min(bound, price + 1), bound)
    kind = draw(_LIMIT_KIND)
    if kind == "range":
        limit = in_range
    elif kind == "bound":
        limit = bound
    else:  # 'SPL': the wrong side, or at the bounds
        limit = {
            "price": price,
            "min": MIN_SQRT_RATIO,
            "max": MAX_SQRT_RATIO,
            "above": price + 1,
            "below": max(0, price - 1),
        }[draw(_BAD_LIMIT)]
    return (
        price,
        pool["tick"],
        pool["liquidity"],
        pool["fee"],
        spacing,
        pool["ticks"],
        pool["nets"],
        zero_for_one,
        amount,
        limit,
    )


@MANY
@given(args=swaps())
def test_swap(args: tuple[Any, ...]) -> None:
    want = same(K_SWAP, swap_py, "swap", *args)
    price, tick, liquidity, fee, spacing, ticks, nets, zfo, amount, limit = args
    # the prebuilt inputs give the same outcome
    prepared = outcome(K_SWAP.PreparedPool, fee, spacing, ticks, nets)
    if prepared[0] == "ok":
        pool = prepared[1]
        assert outcome(pool.swap, price, tick, liquidity, zfo, amount, limit) == want
        assert (
            outcome(
                K_SWAP.swap, price, tick, liquidity, fee, spacing, pool, None, zfo, amount, limit
            )
            == want
        )
        packed = (array.array("i", ticks), K_SWAP.pack_liquidity_nets(nets))
        assert (
            outcome(K_SWAP.swap, price, tick, liquidity, fee, spacing, *packed, zfo, amount, limit)
            == want
        )


@settings(max_examples=2_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ticks=st.lists(st.integers(-3000, 3000), max_size=12),
    tick=st.integers(-4000, 4000),
    spacing=st.sampled_from(SPACINGS),
    lte=st.booleans(),
)
def test_next_initialized_tick_within_one_word(
    ticks: list[int], tick: int, spacing: int, lte: bool
) -> None:
    ticks = sorted({t * spacing for t in ticks})
    want = swap_py.next_initialized_tick_within_one_word(ticks, tick, spacing, lte)
    assert K_SWAP.next_initialized_tick_within_one_word(ticks, tick, spacing, lte) == want


BAD_TICK_DATA: list[tuple[Any, Any, int]] = [
    ([0, 0], [1, -1], 1),  # duplicate
    ([10, 0], [1, -1], 1),  # unsorted
    ([0, 15], [1, -1], 10),  # unspaced
    ([MIN_TICK - 1], [0], 1),  # below MIN_TICK
    ([MAX_TICK + 1], [0], 1),  # above MAX_TICK
    ([0, 60], [1], 60),  # lengths differ
    ([0], [2**127], 1),  # net outside int128
    ([0], [1.0], 1),  # net not an int
    ([1.0], [1], 1),  # tick not an int
    ([True], [1], 1),  # a bool tick
    ([0], [1], 0),  # spacing 0
    ([0], [1], -60),  # negative spacing
]


@pytest.mark.parametrize(("ticks", "nets", "spacing"), BAD_TICK_DATA)
def test_swap_rejects_bad_tick_data_like_the_twin(ticks: Any, nets: Any, spacing: int) -> None:
    args = (2**96, 0, 10**18, 3000, spacing, ticks, nets, True, 10**18, MIN_SQRT_RATIO + 1)
    want = same(K_SWAP, swap_py, "swap", *args)
    assert want[0] in (TickDataError, TypeError) or issubclass(want[0], PricingInputError)


def test_prepared_pool_and_buffers() -> None:
    ticks = [t for t in range(-6000, 6001, 600) if t]  # ten positions [-600k, 600k]
    nets = [10**18 if t < 0 else -(10**18) for t in ticks]
    liquidity = sum(n for t, n in zip(ticks, nets, strict=True) if t <= 0)
    pool = K_SWAP.PreparedPool(3000, 60, ticks, nets)
    assert len(pool) == len(ticks) and pool.ticks == ticks and pool.liquidity_nets == nets
    assert (pool.fee_pips, pool.tick_spacing) == (3000, 60)
    packed = K_SWAP.pack_liquidity_nets(nets)
    assert len(packed) == 16 * len(nets)
    for zfo, limit in ((True, MIN_SQRT_RATIO + 1), (False, MAX_SQRT_RATIO - 1)):
        for amount in (10**15, -(10**15), 10**19, -(10**19), 10**30):
            args = (2**96, 0, liquidity, 3000, 60, ticks, nets, zfo, amount, limit)
            want = swap_py.swap(*args)
            assert K_SWAP.swap(*args) == want
            assert pool.swap(2**96, 0, liquidity, zfo, amount, limit) == want
            assert pool.swap_nogil(2**96, 0, liquidity, zfo, amount, limit) == want
            assert (
                K_SWAP.swap(2**96, 0, liquidity, 3000, 60, pool, None, zfo, amount, limit) == want
            )
            assert (
                K_SWAP.swap(
                    2**96,
                    0,
                    liquidity,
                    3000,
                    60,
                    array.array("i", ticks),
                    packed,
                    zfo,
                    amount,
                    limit,
                )
                == want
            )
    with pytest.raises(TickDataError):
        K_SWAP.swap(2**96, 0, liquidity, 500, 60, pool, None, True, 10**18, MIN_SQRT_RATIO + 1)
    with pytest.raises(TickDataError):
        K_SWAP.PreparedPool(3000, 60, [0, 0], [1, -1])
    with pytest.raises(TickDataError):
        K_SWAP.swap(2**96, 0, 1, 3000, 60, [0], b"\x00" * 15, True, 1, MIN_SQRT_RATIO + 1)


def test_more_ticks_than_the_stack_buffer() -> None:
    ticks = [t for t in range(-60_000, 60_001, 60) if t]  # 2000 ticks: heap arrays
    nets = [10**12 if t < 0 else -(10**12) for t in ticks]
    liquidity = sum(n for t, n in zip(ticks, nets, strict=True) if t <= 0)
    for zfo, limit in ((True, MIN_SQRT_RATIO + 1), (False, MAX_SQRT_RATIO - 1)):
        args = (2**96, 0, liquidity, 500, 60, ticks, nets, zfo, 10**40, limit)
        assert K_SWAP.swap(*args) == swap_py.swap(*args)


def test_swap_nogil_in_threads() -> None:
    ticks = list(range(-12_000, 12_001, 200))
    nets = [10**20 if t < 0 else -(10**20) for t in ticks]
    liquidity = sum(n for t, n in zip(ticks, nets, strict=True) if t <= 0)
    pool = K_SWAP.PreparedPool(10_000, 200, ticks, nets)
    amounts = [10**e for e in range(10, 26)]
    want = [
        swap_py.swap(2**96, 0, liquidity, 10_000, 200, ticks, nets, True, a, MIN_SQRT_RATIO + 1)
        for a in amounts
    ]
    results: list[list[Any]] = [[] for _ in range(4)]

    def work(i: int) -> None:
        for _ in range(50):
            results[i].append(
                [pool.swap_nogil(2**96, 0, liquidity, True, a, MIN_SQRT_RATIO + 1) for a in amounts]
            )

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == want for rs in results for r in rs)
