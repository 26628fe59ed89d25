"""LiquidityMath.addDelta at its edges (checks that mutation testing found missing).

Oracle: the Solidity itself (Uniswap/v3-core contracts/libraries/LiquidityMath.sol), run in
the uint128 ring: ``if (y < 0) require((z = x - uint128(-y)) < x, 'LS'); else require((z = x +
uint128(y)) >= x, 'LA');`` - wrap-around arithmetic and the contract's own ``require``s, not the
twin's range comparisons - and the ABI ranges of its parameters (``uint128 x``, ``int128 y``).
"""

from __future__ import annotations

from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arbstream.cyext.errors import PricingError, UintRangeError
from arbstream.cyext.v3.errors import IntRangeError, LiquidityAdd, LiquiditySub

from .impls import impls

U128 = 1 << 128
I128_MIN, I128_MAX = -(1 << 127), (1 << 127) - 1


def solidity_add_delta(x: int, y: int) -> int | str:
    """addDelta as the EVM runs it: uint128 wrap-around, then the require; the revert reason."""
    if y < 0:
        z = (x - (-y % U128)) % U128
        return z if z < x else "LS"
    z = (x + y) % U128
    return z if z >= x else "LA"


def outcome(mod: ModuleType, x: int, y: int) -> int | str:
    try:
        result: int = mod.add_delta(x, y)
    except PricingError as exc:
        return str(exc.reason)
    return result


EDGES = [
    (0, 0),
    (U128 - 1, 0),
    (U128 - 2, 1),  # sums to uint128.max exactly: no revert
    (U128 - 1, 1),
    (U128 - 1, I128_MAX),
    (1 << 127, I128_MAX),
    (1 << 127, (1 << 127) - 1),
    (1, -1),
    (0, -1),
    (0, I128_MIN),
    (1 << 127, I128_MIN),  # -y wraps in int128; uint128 of it is 2**127
    ((1 << 127) - 1, I128_MIN),
    (U128 - 1, I128_MIN),
]


@pytest.mark.parametrize("mod", impls("liquidity_math"))
@pytest.mark.parametrize(("x", "y"), EDGES)
def test_add_delta_edges_are_the_contracts(mod: ModuleType, x: int, y: int) -> None:
    assert outcome(mod, x, y) == solidity_add_delta(x, y)


def test_the_edges_cover_both_reverts_and_uint128_max() -> None:
    results = [solidity_add_delta(x, y) for x, y in EDGES]
    assert {"LS", "LA", U128 - 1, 0} <= set(results)


@pytest.mark.parametrize("mod", impls("liquidity_math"))
@given(x=st.integers(0, U128 - 1), y=st.integers(I128_MIN, I128_MAX))
def test_add_delta_is_the_contract_everywhere(mod: ModuleType, x: int, y: int) -> None:
    assert outcome(mod, x, y) == solidity_add_delta(x, y)


@pytest.mark.parametrize("mod", impls("liquidity_math"))
@pytest.mark.parametrize(
    ("x", "y", "error"),
    [
        (U128, 0, UintRangeError),  # x is a uint128
        (U128, -1, UintRangeError),
        (-1, 1, UintRangeError),
        (0, I128_MAX + 1, IntRangeError),  # y is an int128
        (U128 - 1, I128_MIN - 1, IntRangeError),
    ],
)
def test_arguments_outside_the_abi_types(
    mod: ModuleType, x: int, y: int, error: type[Exception]
) -> None:
    with pytest.raises(error):
        mod.add_delta(x, y)


def test_reverts_carry_the_contracts_reasons() -> None:
    assert (LiquiditySub.REASON, LiquidityAdd.REASON) == ("LS", "LA")
