"""State tables of the detection app.

- ``pair_state`` (partitioned by token pair, as ``dex.events`` is: see
  ``arbstream.framing``): every pool of one pair on one chain with its recent states
  (compact pool-model rows), so a retraction can restore the state before the retracted
  Sync.
- ``chain_gas`` (global): latest base fee per chain, from ``chain.blocks``.
- ``native_price`` (global): per chain and token, the reserves of the deepest pool
  against the wrapped native token, to convert gas cost into a start token.

Values are stored as msgspec JSON bytes (the tables' and changelogs' serializer is
``raw``): token amounts exceed 64 bits, and Faust's own ``json`` codec switches to orjson
when that is installed, which rejects such integers (measured: the detector crashed on
every record with ``Integer exceeds 64-bit range`` once orjson was in the environment).
:class:`ExactTable` reads and writes plain JSON-ready values; a missing key reads as ``{}``.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import faust
import msgspec

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


class ExactTable:
    """A Faust table (or global table) of JSON-ready values with exact integers."""

    def __init__(self, table: MutableMapping[str, bytes]) -> None:
        self.table = table
        #: key -> (the bytes object last seen in the table, its decoded value): a read
        #: decodes only when the table holds other bytes (e.g. recovered from the changelog)
        self._decoded: dict[str, tuple[bytes, Any]] = {}

    def __getitem__(self, key: str) -> Any:
        """The value at ``key`` (``{}`` when missing). Treat it as read-only: write a new
        value with ``table[key] = value``."""
        raw = self.table.get(key)
        if not raw:
            return {}
        seen = self._decoded.get(key)
        if seen is not None and seen[0] is raw:
            return seen[1]
        value = _decode(raw)
        self._decoded[key] = (raw, value)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        raw = _encode(value)
        self.table[key] = raw
        self._decoded[key] = (raw, value)


def _options() -> dict[str, Any]:
    schema: faust.Schema = faust.Schema(
        key_type=str, value_type=bytes, key_serializer="json", value_serializer="raw"
    )
    return {"schema": schema}


@dataclass(frozen=True)
class Tables:
    pair_state: ExactTable
    chain_gas: ExactTable
    native_price: ExactTable

    @classmethod
    def declare(cls, app: faust.App) -> Tables:
        return cls(
            pair_state=ExactTable(app.Table("pair_state", **_options())),
            chain_gas=ExactTable(app.GlobalTable("chain_gas", **_options())),
            native_price=ExactTable(app.GlobalTable("native_price", **_options())),
        )
