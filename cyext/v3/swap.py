"""Uniswap V3 The UniswapV3Pool.swap loop over plain pool data.: the Cython kernel, or its pure-Python twin.

The UniswapV3Pool.swap loop over plain pool data. ``ARBSTREAM_NO_CYTHON=1`` forces the twin
(:mod:`arbstream.cyext.v3.swap_py`); otherwise the compiled :mod:`arbstream.cyext.v3._swap`
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
    "PreparedPool",
    "swap",
]

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from arbstream.cyext.v3.swap_py import (
        PreparedPool,
        swap,
    )

    IMPLEMENTATION: str
else:
    if os.environ.get("ARBSTREAM_NO_CYTHON") == "1":
        from arbstream.cyext.v3 import swap_py as _impl

        IMPLEMENTATION = "python"
    else:
        try:
            from arbstream.cyext.v3 import _swap as _impl

            IMPLEMENTATION = "cython"
        except ImportError as exc:
            from arbstream.cyext.v3 import swap_py as _impl

            IMPLEMENTATION = "python"
            log.warning("compiled arbstream.cyext.v3._swap unavailable (%s): using the twin", exc)

    swap = _impl.swap
    PreparedPool = _impl.PreparedPool
