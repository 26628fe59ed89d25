"""Exact Uniswap-V2 pricing: the Cython kernel, or its pure-Python twin.

``ARBSTREAM_NO_CYTHON=1`` forces the twin (:mod:`arbstream.cyext.v2_math_py`); otherwise the
compiled :mod:`arbstream.cyext._v2_math` is used, falling back to the twin with a warning when
it was not built. Both give the same results and raise the same errors
(:mod:`arbstream.cyext.errors`). ``IMPLEMENTATION`` says which one is live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arbstream.cyext.select import choose

__all__ = [
    "IMPLEMENTATION",
    "get_amount_in",
    "get_amount_out",
    "get_amount_out_batch",
    "get_amount_out_packed",
    "get_amounts_out",
    "optimal_two_pool",
    "optimal_two_pool_batch",
    "pack_u256",
    "unpack_u256",
]

if TYPE_CHECKING:
    from arbstream.cyext.v2_math_py import (
        get_amount_in,
        get_amount_out,
        get_amount_out_batch,
        get_amount_out_packed,
        get_amounts_out,
        optimal_two_pool,
        optimal_two_pool_batch,
        pack_u256,
        unpack_u256,
    )

    IMPLEMENTATION: str
else:
    _impl, IMPLEMENTATION = choose(
        "arbstream.cyext._v2_math", "arbstream.cyext.v2_math_py", __name__
    )

    get_amount_in = _impl.get_amount_in
    get_amount_out = _impl.get_amount_out
    get_amount_out_batch = _impl.get_amount_out_batch
    get_amount_out_packed = _impl.get_amount_out_packed
    get_amounts_out = _impl.get_amounts_out
    optimal_two_pool = _impl.optimal_two_pool
    optimal_two_pool_batch = _impl.optimal_two_pool_batch
    pack_u256 = _impl.pack_u256
    unpack_u256 = _impl.unpack_u256
