"""Pools where buying back what an exact-input swap returned costs more than that input (exact
output rounds its input and fee up, per step). Hypothesis found them on the twin; the expected
numbers below are the real UniswapV3Pool's, checked on Anvil by
``tests/integration/test_v3_rounding_on_evm.py`` and on the twin by ``test_properties.py``.

Each pool is given as its Initialize and Mint events, so the same pool is built in a
``V3PoolState`` and on the chain.
"""

from __future__ import annotations

from dataclasses import dataclass

from arbstream.cyext.v3.pool import V3PoolState
from arbstream.cyext.v3.tick_math_py import get_tick_at_sqrt_ratio


@dataclass(frozen=True, slots=True)
class RoundingSwap:
    """A swap from the pool's initial state (no price limit) and the pool's answer."""

    zero_for_one: bool
    amount: int  # > 0 exact input, < 0 exact output
    amount0: int
    amount1: int
    ticks_crossed: int


@dataclass(frozen=True, slots=True)
class RoundingCase:
    name: str
    fee: int
    tick_spacing: int
    sqrt_price_x96: int
    positions: tuple[tuple[int, int, int], ...]  # (tick lower, tick upper, liquidity)
    exact_input: RoundingSwap
    exact_output: RoundingSwap  # buys back exact_input's output

    def state(self, address: str = "pool", token0: str = "t0", token1: str = "t1") -> V3PoolState:
        """The pool after Initialize(sqrt_price_x96) and the Mints of ``positions``."""
        state = V3PoolState(address, token0, token1, self.fee, self.tick_spacing, 0, 0, 0)
        state = state.apply_initialize(
            self.sqrt_price_x96, get_tick_at_sqrt_ratio(self.sqrt_price_x96)
        )
        for lower, upper, liquidity in self.positions:
            state = state.apply_mint(lower, upper, liquidity)
        return state


ROUNDING_CASES: tuple[RoundingCase, ...] = (
    # 5 in gives 1 out (crossing two ticks), but 1 out costs 6 (three ticks)
    RoundingCase(
        name="five-in-one-out-costs-six",
        fee=100,
        tick_spacing=60,
        sqrt_price_x96=78_990_846_045_029_531_151_608_375_686,
        positions=((-2880, 0, 15), (-120, 60, 1), (-60, 2880, 1)),
        exact_input=RoundingSwap(True, 5, 5, -1, 2),
        exact_output=RoundingSwap(True, -1, 6, -1, 3),
    ),
    # within one range, 32 in gives 23 out, and 23 out costs 33
    RoundingCase(
        name="thirty-two-in-costs-thirty-three",
        fee=100,
        tick_spacing=10,
        sqrt_price_x96=79_267_784_519_130_042_428_790_663_799,
        positions=((0, 10, 2), (0, 4820, 110)),
        exact_input=RoundingSwap(False, 32, -23, 32, 0),
        exact_output=RoundingSwap(False, -23, -23, 33, 1),
    ),
)
