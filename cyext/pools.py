"""The one pool model per pool kind, and their compact serialized form.

``PoolModel`` is :class:`~arbstream.cyext.v2_pool.V2PoolState` (Uniswap-V2-style pairs with
their fee) or :class:`~arbstream.cyext.v3.pool.V3PoolState` (V3 pools with their ticks). The
detector's tables, the executor's re-check, the summary and the tests all use these two.
:func:`pool_to_row` / :func:`pool_from_row` convert to and from a JSON-ready list with exact
integers, tagged with the protocol (``"v2"`` / ``"v3"``), for Faust tables and changelogs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

from arbstream.cyext.errors import PricingInputError
from arbstream.cyext.v2_pool import V2PoolState
from arbstream.cyext.v3.pool import V3PoolState

__all__ = ["PROTOCOLS", "PoolModel", "pool_from_row", "pool_to_row"]

PoolModel: TypeAlias = V2PoolState | V3PoolState

PROTOCOLS: dict[str, type[V2PoolState] | type[V3PoolState]] = {
    V2PoolState.PROTOCOL: V2PoolState,
    V3PoolState.PROTOCOL: V3PoolState,
}


def pool_to_row(pool: PoolModel) -> list[Any]:
    """The compact form of ``pool``."""
    return pool.to_row()


def pool_from_row(row: Sequence[Any]) -> PoolModel:
    """The pool model of a compact row; PricingInputError when the row is not one."""
    if not isinstance(row, Sequence) or isinstance(row, str | bytes) or not row:
        raise PricingInputError(f"not a pool row: {row!r}")
    model = PROTOCOLS.get(row[0]) if isinstance(row[0], str) else None
    if model is None:
        raise PricingInputError(f"unknown pool protocol {row[0]!r} (known: {sorted(PROTOCOLS)})")
    try:
        return model.from_row(row)
    except (TypeError, ValueError) as exc:
        raise PricingInputError(f"malformed {row[0]} pool row: {exc}") from exc
