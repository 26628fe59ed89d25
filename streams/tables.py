"""State tables of the detection app.

- ``pair_state`` (partitioned by token pair, as ``dex.events`` is: see ``arbstream.framing``): every pool of
  one pair on one chain with its recent reserve history, so a retraction can restore the
  state before the retracted Sync.
- ``chain_gas`` (global): latest base fee per chain, from ``chain.blocks``.
- ``native_price`` (global): per chain and token, the reserves of the deepest pool
  against the wrapped native token, to convert gas cost into a start token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust
from faust.types.tables import GlobalTableT, TableT


@dataclass(frozen=True)
class Tables:
    pair_state: TableT[str, Any]
    chain_gas: GlobalTableT
    native_price: GlobalTableT

    @classmethod
    def declare(cls, app: faust.App) -> Tables:
        return cls(
            pair_state=app.Table("pair_state", default=dict, key_type=str),
            chain_gas=app.GlobalTable("chain_gas", default=dict, key_type=str),
            native_price=app.GlobalTable("native_price", default=dict, key_type=str),
        )
