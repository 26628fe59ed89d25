"""V2 pricing checks that mutation testing found missing: the packed-column API, its column
validation, and the bench's dependent-quote hook, against the contract run as the EVM runs it.

Oracle: ``UniswapV2Library.getAmountOut`` (Uniswap/v2-periphery) with DSMath's SafeMath
(``require(y == 0 || (z = x * y) / y == x, 'ds-math-mul-overflow')``, ``require((z = x + y) >=
x, 'ds-math-add-overflow')``) evaluated in the uint256 ring, with each DEX's own fee constants
(Uniswap's 997/1000, PancakeSwap's 9975/10000) - not the twin's generalised fee scale.
"""

from __future__ import annotations

import array
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arbstream.cyext import _v2_math as kernel
from arbstream.cyext import v2_math_py as twin
from arbstream.cyext.errors import (
    ADD_OVERFLOW,
    STATUS_ADD_OVERFLOW,
    STATUS_INSUFFICIENT_INPUT_AMOUNT,
    STATUS_INSUFFICIENT_LIQUIDITY,
    STATUS_MUL_OVERFLOW,
    STATUS_OK,
    FeeError,
    MathOverflow,
    UintRangeError,
)

IMPLS = [pytest.param(twin, id="python"), pytest.param(kernel, id="cython")]
U256 = (1 << 256) - 1
WORD = 1 << 256
# fee_bps -> (numerator, denominator) as written in that DEX's library
CONTRACT_FEES = {30: (997, 1000), 25: (9975, 10000)}


class Revert(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


def sol_mul(x: int, y: int) -> int:
    z = x * y % WORD
    if not (y == 0 or z // y == x):
        raise Revert(STATUS_MUL_OVERFLOW)
    return z


def sol_add(x: int, y: int) -> int:
    z = (x + y) % WORD
    if not z >= x:
        raise Revert(STATUS_ADD_OVERFLOW)
    return z


def sol_get_amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee: int) -> int:
    if not amount_in > 0:
        raise Revert(STATUS_INSUFFICIENT_INPUT_AMOUNT)
    if not (reserve_in > 0 and reserve_out > 0):
        raise Revert(STATUS_INSUFFICIENT_LIQUIDITY)
    num, den = CONTRACT_FEES[fee]
    with_fee = sol_mul(amount_in, num)
    numerator = sol_mul(with_fee, reserve_out)
    denominator = sol_add(sol_mul(reserve_in, den), with_fee)
    return numerator // denominator


def expected_packed(rows: list[tuple[int, int, int]], fee: int) -> tuple[bytes, bytes]:
    outputs, status = b"", b""
    for a, r_in, r_out in rows:
        try:
            out, code = sol_get_amount_out(a, r_in, r_out, fee), STATUS_OK
        except Revert as revert:
            out, code = 0, revert.status
        outputs += out.to_bytes(32, "little")
        status += bytes([code])
    return outputs, status


def columns(rows: list[tuple[int, int, int]]) -> list[bytes]:
    return [b"".join(v.to_bytes(32, "little") for v in col) for col in zip(*rows, strict=True)]


EDGE_ROWS = [
    (10**18, 10**21, 10**22),
    (1, 1, 1),
    (0, 1, 1),
    (1, 0, 1),
    (1, 1, 0),
    (U256, 1, 1),
    (2**200, 1, 2**60),
    (2**200, U256 // 1000, 1),
    (U256 // 997, 1, 1),
    (U256 // 9975, 1, 1),
    (1, (U256 - 9970) // 10_000, U256 // 9970),
    (2**111, 2**112 - 1, 2**112 - 1),
]

u256 = st.one_of(st.integers(0, U256), st.integers(0, 2**120), st.sampled_from([0, 1, U256]))


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("fee", sorted(CONTRACT_FEES))
def test_packed_edge_rows_are_the_contracts(impl: ModuleType, fee: int) -> None:
    want = expected_packed(EDGE_ROWS, fee)
    assert impl.get_amount_out_packed(*columns(EDGE_ROWS), fee) == want
    assert len(set(want[1])) >= 4  # OK and several distinct reverts


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("fee", sorted(CONTRACT_FEES))
@given(rows=st.lists(st.tuples(u256, u256, u256), min_size=1, max_size=12))
def test_packed_rows_are_the_contracts(
    impl: ModuleType, fee: int, rows: list[tuple[int, int, int]]
) -> None:
    assert impl.get_amount_out_packed(*columns(rows), fee) == expected_packed(rows, fee)


@pytest.mark.parametrize("impl", IMPLS)
def test_packed_default_fee_is_uniswaps(impl: ModuleType) -> None:
    rows = [(10**18, 10**21, 10**22), (U256 // 997, 1, 1)]
    assert impl.get_amount_out_packed(*columns(rows)) == expected_packed(rows, 30)


@pytest.mark.parametrize("impl", IMPLS)
def test_default_fee_of_single_quotes_is_uniswaps(impl: ModuleType) -> None:
    r_in, r_out, amount = 10**21, 3 * 10**21, 10**19
    assert impl.get_amount_out(amount, r_in, r_out) == sol_get_amount_out(amount, r_in, r_out, 30)
    # getAmountIn: numerator = reserveIn * amountOut * 1000, denominator = (reserveOut -
    # amountOut) * 997, plus one
    want = r_in * amount * 1000 // ((r_out - amount) * 997) + 1
    assert impl.get_amount_in(amount, r_in, r_out) == want


@pytest.mark.parametrize("impl", IMPLS)
def test_packed_accepts_any_contiguous_buffer(impl: ModuleType) -> None:
    rows = [(10**18, 10**21, 10**22), (5, 7, 11), (0, 1, 1)]
    want = expected_packed(rows, 30)
    a, r_in, r_out = columns(rows)
    for form in (bytearray, memoryview, lambda b: array.array("Q", b)):
        assert impl.get_amount_out_packed(form(a), form(r_in), form(r_out), 30) == want
        assert impl.unpack_u256(form(a)) == [r[0] for r in rows]
    assert impl.get_amount_out_packed(b"", b"", b"") == (b"", b"")
    assert impl.unpack_u256(b"") == []


@pytest.mark.parametrize("impl", IMPLS)
def test_packed_column_errors_name_the_column(impl: ModuleType) -> None:
    good = columns([(1, 2, 3), (4, 5, 6)])
    strided = memoryview(bytearray(64 * 4)).cast("Q")[::2]
    for i, name in enumerate(("amounts", "reserves_in", "reserves_out")):
        for bad, error, words in (
            (good[i][:-1], ValueError, "not a whole number"),  # 63 bytes
            (good[i][:32], ValueError, "values"),  # one value, the others two
            (strided, ValueError, "contiguous"),
            (5, TypeError, "buffer"),
        ):
            if i == 0 and words == "values":
                continue  # amounts sets the length the others are held to
            if words == "values":
                words = "1 values, but amounts has 2"
            if words == "buffer":
                words = "expected a buffer of little-endian uint256, got int"
            cols = list(good)
            cols[i] = bad
            with pytest.raises(error) as info:
                impl.get_amount_out_packed(*cols)
            message = str(info.value)
            assert message.startswith(name + ":") and words in message, message
            if words.endswith("amounts has 2"):  # the counts are whole numbers
                assert message == f"{name}: {words}", message
    for bad, error in ((b"\0" * 33, ValueError), (strided, ValueError), (None, TypeError)):
        with pytest.raises(error, match=r"^column: "):
            impl.unpack_u256(bad)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize(("fee", "error"), [(10_000, FeeError), (-1, FeeError), (30.0, TypeError)])
def test_packed_fee_outside_the_range(impl: ModuleType, fee: object, error: type) -> None:
    with pytest.raises(error):
        impl.get_amount_out_packed(*columns([(1, 2, 3)]), fee)


@pytest.mark.parametrize("impl", IMPLS)
def test_pack_rejects_what_no_uint256_column_can_hold(impl: ModuleType) -> None:
    assert impl.pack_u256([0, U256]) == bytes(32) + b"\xff" * 32
    for bad, error in (([-1], UintRangeError), ([U256 + 1], UintRangeError), ([1.0], TypeError)):
        with pytest.raises(error):
            impl.pack_u256(bad)


# ----------------------------------------------------------- the bench's dependent quotes
MAX_ARG = 2**111 - 1


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("fee", sorted(CONTRACT_FEES))
@given(
    amount=st.integers(1, MAX_ARG),
    reserve_in=st.integers(1, MAX_ARG),
    reserve_out=st.integers(1, MAX_ARG),
    n=st.integers(0, 12),
)
def test_dependent_quotes_chain_the_contracts_quotes(
    impl: ModuleType, fee: int, amount: int, reserve_in: int, reserve_out: int, n: int
) -> None:
    x = 0
    for _ in range(n):
        x = sol_get_amount_out(x + amount, reserve_in, reserve_out, fee)
    assert impl._dependent_quotes(amount, reserve_in, reserve_out, fee, n) == x


@pytest.mark.parametrize("impl", IMPLS)
def test_dependent_quotes_accept_the_largest_arguments(impl: ModuleType) -> None:
    want = sol_get_amount_out(MAX_ARG, MAX_ARG, MAX_ARG, 30)
    assert impl._dependent_quotes(MAX_ARG, MAX_ARG, MAX_ARG, 30, 1) == want
    assert impl._dependent_quotes(1, 1, 1, 30, 0) == 0


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("position", range(4))
@pytest.mark.parametrize(
    ("value", "error", "words"),
    [
        (True, TypeError, "expected int, got bool"),
        (1.0, TypeError, "expected int, got float"),
        (-1, ValueError, "must be in"),
        (2**111, ValueError, "must be in"),
        (2**62, ValueError, "must be in"),
    ],
)
def test_dependent_quotes_reject_each_bad_argument(
    impl: ModuleType, position: int, value: object, error: type, words: str
) -> None:
    names = ("amount_in", "reserve_in", "reserve_out", "n")
    args: list[object] = [1, 10, 10, 30, 1]
    args[position if position < 3 else 4] = value
    if names[position] == "n" and value == 2**111:
        value = 2**62  # n's own bound
    if names[position] != "n" and value == 2**62:
        value = 0  # the reserves' own bound is tested with 2**111; 0 is below theirs
    args[position if position < 3 else 4] = value
    with pytest.raises(error) as info:
        impl._dependent_quotes(*args)
    message = str(info.value)
    assert words in message, message
    if error is TypeError:
        assert message.startswith(names[position] + ":"), message
    else:
        assert (names[position] == "n") == message.startswith("n must"), message


# ------------------------------------------------------------ SafeMath at exactly uint256.max
@pytest.mark.parametrize("impl", IMPLS)
def test_intermediates_of_exactly_uint256_max_do_not_overflow(impl: ModuleType) -> None:
    # reserveIn * 1000 + amountIn * 997 == uint256.max: the add holds (z >= x), output 0
    amount = 355
    reserve_in = (U256 - amount * 997) // 1000
    assert reserve_in * 1000 + amount * 997 == U256
    assert (
        impl.get_amount_out(amount, reserve_in, 1)
        == sol_get_amount_out(amount, reserve_in, 1, 30)
        == 0
    )
    # amountIn * 85 == uint256.max (a 99.15 % fee: 85/10000 of the input counts): the mul
    # holds, and the revert is the add after it
    with pytest.raises(MathOverflow) as info:
        impl.get_amount_out(U256 // 85, 1, 1, 9915)
    assert (U256 // 85) * 85 == U256 and info.value.reason == ADD_OVERFLOW


@pytest.mark.parametrize("impl", IMPLS)
def test_argument_errors_say_what_and_where(impl: ModuleType) -> None:
    with pytest.raises(TypeError, match=r"^expected int, got float$"):
        impl.get_amount_out(1.0, 1, 1)
    with pytest.raises(TypeError, match=r"^fee_bps: expected int, got float$"):
        impl.get_amount_out(1, 1, 1, 30.0)
    with pytest.raises(UintRangeError) as info:
        impl.get_amount_out(-1, 1, 1)
    assert (info.value.value, info.value.bits) == (-1, 256)
    with pytest.raises(UintRangeError) as info:
        impl.optimal_two_pool(2**112, 1, 30, 1, 1, 30)
    assert (info.value.value, info.value.bits) == (2**112, 112)
    with pytest.raises(FeeError) as fee:
        impl.get_amount_out(1, 1, 1, 10_000)
    assert fee.value.fee_bps == 10_000


@pytest.mark.parametrize("impl", IMPLS)
def test_dependent_quotes_bounds_are_exact(impl: ModuleType) -> None:
    x = 0
    for _ in range(200):  # n far below 2**62 is fine
        x = sol_get_amount_out(x + 10**3, 10**6, 10**6, 30)
    assert impl._dependent_quotes(10**3, 10**6, 10**6, 30, 200) == x > 0
    message = r"^amount_in and the reserves must be in \[1, 2\*\*111\)$"
    with pytest.raises(ValueError, match=message):
        impl._dependent_quotes(0, 10, 10, 30, 1)


@pytest.mark.parametrize("impl", IMPLS)
def test_quote_batch_rows_are_the_contracts_quotes(impl: ModuleType) -> None:
    """get_amount_out_batch: each row is getAmountOut's result, a row that reverts is None,
    and an argument out of range raises as the single call does."""
    rows = [
        (10**18, 10**21, 2 * 10**21, 30),
        (1, 1, 1, 30),  # rounds to 0: a result, not a revert
        (0, 10, 10, 30),  # INSUFFICIENT_INPUT_AMOUNT
        (5, 0, 10, 25),  # INSUFFICIENT_LIQUIDITY
        (U256, 1, 1, 30),  # ds-math-mul-overflow
        (997, 1000, 1000, 25),
    ]
    want = [
        10**18 * 997 * 2 * 10**21 // (10**21 * 1000 + 10**18 * 997),
        0,
        None,
        None,
        None,
        997 * 9975 * 1000 // (1000 * 10_000 + 997 * 9975),
    ]
    assert impl.get_amount_out_batch(rows) == want
    assert impl.get_amount_out_batch(iter(rows[:2])) == want[:2]
    assert impl.get_amount_out_batch([]) == []
    with pytest.raises(UintRangeError):
        impl.get_amount_out_batch([(1, 2**256, 1, 30)])
    with pytest.raises(FeeError):
        impl.get_amount_out_batch([(1, 1, 1, 10_000)])
