"""Uniswap V3 SwapMath: the Cython kernel, or its pure-Python twin.

SwapMath (SwapMath.sol): computeSwapStep. ``ARBSTREAM_NO_CYTHON=1`` forces the twin
(:mod:`arbstream.cyext.v3.swap_math_py`); otherwise the compiled :mod:`arbstream.cyext.v3._swap_math`
is used, falling back to the twin with a warning when it was not built. Both give the same
results and raise the same errors (:mod:`arbstream.cyext.v3.errors`). ``IMPLEMENTATION`` says
which one is live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arbstream.cyext.select import choose

__all__ = [
    "IMPLEMENTATION",
    "compute_swap_step",
]

if TYPE_CHECKING:
    from arbstream.cyext.v3.swap_math_py import (
        compute_swap_step,
    )

    IMPLEMENTATION: str
else:
    _impl, IMPLEMENTATION = choose(
        "arbstream.cyext.v3._swap_math", "arbstream.cyext.v3.swap_math_py", __name__
    )

    compute_swap_step = _impl.compute_swap_step
