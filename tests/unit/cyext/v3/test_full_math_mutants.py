"""The ABI range checks every V3 library applies to its arguments (``full_math_py.check_uint`` /
``check_int``), checked through the public functions of each library, at the edges of each
Solidity parameter type (checks that mutation testing found missing).

Oracle: the Solidity parameter types themselves - ``uint<N>`` holds ``[0, 2**N)``, ``int<N>``
holds ``[-2**(N-1), 2**(N-1))`` - and the ABI encoder's notion of an integer (an ``int`` or a
subclass, never a ``bool``, ``float`` or ``str``). The errors say which value and which width.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from arbstream.cyext.errors import UintRangeError
from arbstream.cyext.v3.errors import IntRangeError, TickOutOfRange

from .impls import compiled, impls


class Int(int):
    """An int subclass (an IntEnum member or numpy-free wrapper would do the same)."""


def mod(name: str) -> list[Any]:
    return impls(name)


# (library, call taking the value under test, Solidity type of that parameter, a valid value)
PARAMS: list[tuple[str, Callable[[Any, Any], Any], str, int]] = [
    ("full_math", lambda m, v: m.mul_div(v, 1, 1), "uint256", 5),
    ("full_math", lambda m, v: m.mul_div(1, 1, v), "uint256", 5),
    ("full_math", lambda m, v: m.mul_div_rounding_up(v, 3, 2), "uint256", 5),
    ("tick_math", lambda m, v: m.get_sqrt_ratio_at_tick(v), "int24", 5),
    ("tick_math", lambda m, v: m.get_tick_at_sqrt_ratio(v), "uint160", 2**96),
    ("liquidity_math", lambda m, v: m.add_delta(v, 0), "uint128", 5),
    ("liquidity_math", lambda m, v: m.add_delta(2**127, v), "int128", 5),
    ("sqrt_price_math", lambda m, v: m.get_amount1_delta(2**96, 2**97, v, True), "uint128", 5),
    ("sqrt_price_math", lambda m, v: m.get_amount1_delta_signed(2**96, 2**97, v), "int128", 5),
    (
        "sqrt_price_math",
        lambda m, v: m.get_next_sqrt_price_from_input(2**96, 1, v, True),
        "uint256",
        5,
    ),
    ("swap_math", lambda m, v: m.compute_swap_step(2**96, 2**97, 10**18, v, 3000), "int256", 5),
    ("swap_math", lambda m, v: m.compute_swap_step(v, 2**97, 10**18, 5, 3000), "uint160", 2**96),
    ("swap_math", lambda m, v: m.compute_swap_step(2**96, v, 10**18, 5, 3000), "uint160", 2**96),
    ("swap_math", lambda m, v: m.compute_swap_step(2**96, 2**97, v, 5, 3000), "uint128", 5),
    ("swap_math", lambda m, v: m.compute_swap_step(2**96, 2**97, 10**18, 5, v), "uint24", 3000),
    ("sqrt_price_math", lambda m, v: m.get_amount0_delta_signed(2**96, 2**97, v), "int128", 5),
]
# every uint160 price / uint128 liquidity parameter of SqrtPriceMath
_Q = 2**96
_SPM: list[tuple[Callable[[Any, Any, Any], Any], bool]] = [
    (lambda m, p, liq: m.get_next_sqrt_price_from_amount0_rounding_up(p, liq, 5, True), True),
    (lambda m, p, liq: m.get_next_sqrt_price_from_amount1_rounding_down(p, liq, 5, True), True),
    (lambda m, p, liq: m.get_next_sqrt_price_from_input(p, liq, 5, False), True),
    (lambda m, p, liq: m.get_next_sqrt_price_from_output(p, liq, 5, True), True),
    (lambda m, p, liq: m.get_amount0_delta(p, 2 * _Q, liq, True), True),
    (lambda m, p, liq: m.get_amount0_delta(2 * _Q, p, liq, False), False),
    (lambda m, p, liq: m.get_amount1_delta(p, 2 * _Q, liq, True), True),
    (lambda m, p, liq: m.get_amount1_delta(2 * _Q, p, liq, False), False),
    (lambda m, p, liq: m.get_amount0_delta_signed(p, 2 * _Q, 1), False),
    (lambda m, p, liq: m.get_amount0_delta_signed(2 * _Q, p, 1), False),
    (lambda m, p, liq: m.get_amount1_delta_signed(p, 2 * _Q, 1), False),
    (lambda m, p, liq: m.get_amount1_delta_signed(2 * _Q, p, 1), False),
]
for _call, _has_liquidity in _SPM:
    PARAMS.append(("sqrt_price_math", lambda m, v, c=_call: c(m, v, 10**18), "uint160", _Q))
    if _has_liquidity:
        PARAMS.append(("sqrt_price_math", lambda m, v, c=_call: c(m, _Q, v), "uint128", 10**18))


def edges(solidity_type: str) -> tuple[list[int], list[int]]:
    """(values the type holds at its edges, values just outside it)."""
    bits = int(solidity_type.removeprefix("u").removeprefix("int"))
    if solidity_type.startswith("u"):
        return [0, 2**bits - 1], [-1, 2**bits]
    half = 2 ** (bits - 1)
    return [-half, half - 1], [-half - 1, half]


def cases() -> list[Any]:
    out = []
    for library, call, sol_type, valid in PARAMS:
        for impl in mod(library):
            out.append(
                pytest.param(impl.values[0], call, sol_type, valid, id=f"{sol_type}-{impl.id}")
            )
    return out


@pytest.mark.parametrize(("m", "call", "sol_type", "valid"), cases())
def test_values_outside_the_parameter_type_raise_with_value_and_width(
    m: Any, call: Callable[[Any, Any], Any], sol_type: str, valid: int
) -> None:
    inside, outside = edges(sol_type)
    bits = int(sol_type.removeprefix("u").removeprefix("int"))
    error = UintRangeError if sol_type.startswith("u") else IntRangeError
    for value in outside:
        with pytest.raises(error) as info:
            call(m, value)
        assert (info.value.value, info.value.bits) == (value, bits)
        assert f"int{bits}: {value}" in str(info.value)
    for value in inside:  # the type holds it: whatever happens next is not a range error
        try:
            call(m, value)
        except (UintRangeError, IntRangeError) as exc:
            pytest.fail(f"{sol_type} holds {value}, but got {exc!r}")
        except Exception:
            pass


@pytest.mark.parametrize(("m", "call", "sol_type", "valid"), cases())
def test_only_integers_are_accepted(
    m: Any, call: Callable[[Any, Any], Any], sol_type: str, valid: int
) -> None:
    assert call(m, Int(valid)) == call(m, valid)
    for bad, name in (
        (True, "bool"),
        (float(valid), "float"),
        (str(valid), "str"),
        (None, "NoneType"),
    ):
        with pytest.raises(TypeError, match=f"expected int, got {name}$"):
            call(m, bad)


@pytest.mark.parametrize("m", mod("tick_math"))
def test_int24_edge_separates_the_abi_check_from_the_contracts_revert(m: Any) -> None:
    """-2**23 is an int24 that getSqrtRatioAtTick rejects ('T'); -2**23 - 1 is no int24."""
    with pytest.raises(TickOutOfRange):
        m.get_sqrt_ratio_at_tick(-(2**23))
    with pytest.raises(TickOutOfRange):
        m.get_sqrt_ratio_at_tick(2**23 - 1)


def test_int_subclass_results_are_plain_ints() -> None:
    for impl in (p.values[0] for p in mod("full_math")):
        result = impl.mul_div(Int(6), Int(7), Int(4))
        assert result == 10 and type(result) is int
    assert compiled("full_math") is None or compiled("full_math").mul_div(6, 7, 4) == 10
