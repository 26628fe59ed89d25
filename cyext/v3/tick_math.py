"""Uniswap V3 TickMath: the Cython kernel, or its pure-Python twin.

TickMath (TickMath.sol): ticks <-> Q64.96 sqrt prices. ``ARBSTREAM_NO_CYTHON=1`` forces the twin
(:mod:`arbstream.cyext.v3.tick_math_py`); otherwise the compiled :mod:`arbstream.cyext.v3._tick_math`
is used, falling back to the twin with a warning when it was not built. Both give the same
results and raise the same errors (:mod:`arbstream.cyext.v3.errors`). ``IMPLEMENTATION`` says
which one is live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arbstream.cyext.select import choose
from arbstream.cyext.v3.tick_math_py import MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK

__all__ = [
    "IMPLEMENTATION",
    "MAX_SQRT_RATIO",
    "MAX_TICK",
    "MIN_SQRT_RATIO",
    "MIN_TICK",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
]

if TYPE_CHECKING:
    from arbstream.cyext.v3.tick_math_py import (
        get_sqrt_ratio_at_tick,
        get_tick_at_sqrt_ratio,
    )

    IMPLEMENTATION: str
else:
    _impl, IMPLEMENTATION = choose(
        "arbstream.cyext.v3._tick_math", "arbstream.cyext.v3.tick_math_py", __name__
    )

    get_sqrt_ratio_at_tick = _impl.get_sqrt_ratio_at_tick
    get_tick_at_sqrt_ratio = _impl.get_tick_at_sqrt_ratio
