"""Uniswap V3 LiquidityMath: the Cython kernel, or its pure-Python twin.

LiquidityMath (LiquidityMath.sol): addDelta. ``ARBSTREAM_NO_CYTHON=1`` forces the twin
(:mod:`arbstream.cyext.v3.liquidity_math_py`); otherwise the compiled :mod:`arbstream.cyext.v3._liquidity_math`
is used, falling back to the twin with a warning when it was not built. Both give the same
results and raise the same errors (:mod:`arbstream.cyext.v3.errors`). ``IMPLEMENTATION`` says
which one is live.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

__all__ = [
    "IMPLEMENTATION",
    "add_delta",
]

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from arbstream.cyext.v3.liquidity_math_py import (
        add_delta,
    )

    IMPLEMENTATION: str
else:
    if os.environ.get("ARBSTREAM_NO_CYTHON") == "1":
        from arbstream.cyext.v3 import liquidity_math_py as _impl

        IMPLEMENTATION = "python"
    else:
        try:
            from arbstream.cyext.v3 import _liquidity_math as _impl

            IMPLEMENTATION = "cython"
        except ImportError as exc:
            from arbstream.cyext.v3 import liquidity_math_py as _impl

            IMPLEMENTATION = "python"
            log.warning(
                "compiled arbstream.cyext.v3._liquidity_math unavailable (%s): using the twin", exc
            )

    add_delta = _impl.add_delta
