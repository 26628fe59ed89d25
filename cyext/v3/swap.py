"""Uniswap V3 The UniswapV3Pool.swap loop over plain pool data.: the Cython kernel, or its pure-Python twin.

The UniswapV3Pool.swap loop over plain pool data. ``ARBSTREAM_NO_CYTHON=1`` forces the twin
(:mod:`arbstream.cyext.v3.swap_py`); otherwise the compiled :mod:`arbstream.cyext.v3._swap`
is used, falling back to the twin with a warning when it was not built. Both give the same
results and raise the same errors (:mod:`arbstream.cyext.v3.errors`). ``IMPLEMENTATION`` says
which one is live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arbstream.cyext.select import choose

__all__ = [
    "IMPLEMENTATION",
    "PreparedPool",
    "swap",
]

if TYPE_CHECKING:
    from arbstream.cyext.v3.swap_py import (
        PreparedPool,
        swap,
    )

    IMPLEMENTATION: str
else:
    _impl, IMPLEMENTATION = choose(
        "arbstream.cyext.v3._swap", "arbstream.cyext.v3.swap_py", __name__
    )

    swap = _impl.swap
    PreparedPool = _impl.PreparedPool
