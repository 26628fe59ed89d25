"""State tables of the detection app.

- ``pair_state`` (partitioned by token pair, as ``dex.events`` is: see
  ``arbstream.framing``): every pool of one pair on one chain with its recent Syncs
  (:class:`~arbstream.streams.pair_state.PairState`, kept decoded in memory and written in
  its compact wire form once per commit: :class:`DeferredTable`), so a retraction can
  restore the state before the retracted Sync.
- ``chain_gas`` (global): latest base fee per chain, from ``chain.blocks``.
- ``native_price`` (global): per chain and token, the reserves of the deepest pool
  against the wrapped native token, to convert gas cost into a start token. Staged like
  ``pair_state`` (:func:`deferred_exact_table`) and written every quarter second by the
  detector and at each commit: written per record, it was a changelog message for about
  one Sync in five, each its own produce request at a paced rate (a fifth of a paced
  worker's samples were socket writes).

Values are stored as msgspec JSON bytes (the tables' and changelogs' serializer is
``raw``): token amounts exceed 64 bits, and Faust's own ``json`` codec switches to orjson
when that is installed, which rejects such integers (measured: the detector crashed on
every record with ``Integer exceeds 64-bit range`` once orjson was in the environment).
:class:`ExactTable` reads and writes plain JSON-ready values; a missing key reads as ``{}``.
Both keep the decoded value of the bytes they last saw (:class:`CachedTable`), so a worker
decodes an entry only after it changed underneath (changelog recovery, a rebalance).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import faust
import msgspec

from arbstream.streams.pair_state import PairState

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode

V = TypeVar("V")


class CachedTable(Generic[V]):
    """A Faust table (or global table) of bytes, read and written as decoded values.

    A read decodes only when the table holds other bytes than this worker last read or
    wrote (e.g. recovered from the changelog); otherwise it returns the same object. A caller
    that changes that object in place must write it back (``table[key] = value``) or, when
    it gives up half-way, :meth:`forget` the key so the next read decodes the table's bytes."""

    def __init__(
        self,
        table: MutableMapping[str, bytes],
        encode: Callable[[V], bytes],
        decode: Callable[[bytes], V],
        missing: Callable[[], V],
    ) -> None:
        self.table = table
        self._encode = encode
        self._decode = decode
        self._missing = missing
        #: key -> (the bytes object last seen in the table, its decoded value)
        self._decoded: dict[str, tuple[bytes, V]] = {}

    def __getitem__(self, key: str) -> V:
        """The value at ``key`` (``missing()`` when absent)."""
        raw = self.table.get(key)
        if not raw:
            self._decoded.pop(key, None)
            return self._missing()
        seen = self._decoded.get(key)
        if seen is not None and seen[0] is raw:
            return seen[1]
        value = self._decode(raw)
        self._decoded[key] = (raw, value)
        return value

    def __setitem__(self, key: str, value: V) -> None:
        raw = self._encode(value)
        self.table[key] = raw
        self._decoded[key] = (raw, value)

    def forget(self, key: str) -> None:
        """Drop the decoded value of ``key``: the next read decodes the table's bytes."""
        self._decoded.pop(key, None)


class ExactTable(CachedTable[Any]):
    """A table of JSON-ready values with exact integers; a missing key reads as ``{}``.
    Treat a value read as read-only: write a new value with ``table[key] = value``."""

    def __init__(self, table: MutableMapping[str, bytes]) -> None:
        super().__init__(table, _encode, _decode, dict)


#: writes one encoded value to a table and its changelog: (key, bytes, partition)
Writer = Callable[[str, bytes, "int | None"], None]


class DeferredTable(CachedTable[V]):
    """A :class:`CachedTable` whose writes are staged in memory and written (table and
    changelog) by :meth:`flush`, once per key however often it changed in between.

    The worker flushes right before it commits its source offsets (:class:`FlushOnCommit`,
    through Faust's commit sensor, ahead of the producer flush that precedes every commit),
    so the changelog holds the state of every committed record: a restarted or rebalanced
    worker recovers it and replays the records after the commit, which apply idempotently
    (an event's identity is applied once). Reads see staged values."""

    def __init__(
        self,
        table: MutableMapping[str, bytes],
        encode: Callable[[V], bytes],
        decode: Callable[[bytes], V],
        missing: Callable[[], V],
        write: Writer | None = None,
    ) -> None:
        super().__init__(table, encode, decode, missing)
        self._write = write or self._write_mapping
        #: key -> (value, the changelog partition of the record that changed it)
        self._staged: dict[str, tuple[V, int | None]] = {}

    def __getitem__(self, key: str) -> V:
        staged = self._staged.get(key)
        return staged[0] if staged is not None else super().__getitem__(key)

    def stage(self, key: str, value: V, partition: int | None) -> None:
        """``value`` is the value of ``key`` from now on; the table gets it at :meth:`flush`."""
        self._staged[key] = (value, partition)

    def flush(self) -> set[int | None]:
        """Write every staged value to the table and its changelog; returns the changelog
        partitions written."""
        staged, self._staged = self._staged, {}
        for key, (value, partition) in staged.items():
            raw = self._encode(value)
            self._write(key, raw, partition)
            self._decoded[key] = (raw, value)
        return {partition for _, partition in staged.values()}

    def _write_mapping(self, key: str, raw: bytes, partition: int | None) -> None:
        self.table[key] = raw


def deferred_exact_table(
    table: MutableMapping[str, bytes], write: Writer | None = None
) -> DeferredTable[Any]:
    """An :class:`ExactTable`'s values (JSON-ready, a missing key reads as ``{}``) written
    once per commit (:class:`DeferredTable`)."""
    return DeferredTable(table, _encode, _decode, dict, write)


def faust_writer(table: Any) -> Writer:
    """Writes to a Faust table's store and its changelog at the given partition (the
    partition of the record that changed the key, as Faust's own ``table[key] = v`` uses)."""

    def write(key: str, raw: bytes, partition: int | None) -> None:
        table.data[key] = raw
        table.send_changelog(partition, key, raw)

    return write


def pair_state_table(
    table: MutableMapping[str, bytes], write: Writer | None = None
) -> DeferredTable[PairState]:
    """The ``pair_state`` table over ``table`` (a Faust table with :func:`faust_writer`, or
    a dict in tests)."""
    return DeferredTable(table, PairState.encode, PairState.decode, PairState, write)


class FlushOnCommit(faust.Sensor):
    """Flushes deferred tables when the consumer starts a commit.

    :meth:`on_commit_initiated` (Faust's commit sensor, synchronous) runs before the
    consumer picks the offsets to commit, and queues the changelog messages ahead of the
    producer flush that Faust awaits before it commits them: the changelog holds the state of
    every committed record (and perhaps of a few records after them, which a recovered worker
    replays idempotently). Table recovery reads each changelog to its true end, not to
    tansu's reported end, which stops short of the last batch (``streams.transport``)."""

    def __init__(self, tables: list[DeferredTable[Any]]) -> None:
        super().__init__()
        self.tables = tables

    def on_commit_initiated(self, consumer: Any) -> Any:
        for table in self.tables:
            table.flush()
        return None


def _options() -> dict[str, Any]:
    """Keys as JSON strings, values as the bytes given. The types are given to the table
    too, not only in its schema: Faust derives the changelog topic's serializers (which
    recovery reads with) from the table's own ``value_type`` (``bytes`` -> ``raw``, anything
    else ``json``); with only the schema, a worker that recovered a table from its changelog
    read every value as a decoded JSON object instead of bytes, and its detector crashed
    on the first record (found by tests/integration/test_stream_worker.py)."""
    schema: faust.Schema = faust.Schema(
        key_type=str, value_type=bytes, key_serializer="json", value_serializer="raw"
    )
    return {"schema": schema, "key_type": str, "value_type": bytes}


@dataclass(frozen=True)
class Tables:
    pair_state: DeferredTable[PairState]
    chain_gas: ExactTable
    native_price: DeferredTable[Any]

    @classmethod
    def declare(cls, app: faust.App) -> Tables:
        """The app's tables; registers the sensor that flushes ``pair_state`` on commit."""
        pair_state = app.Table("pair_state", **_options())
        native_price = app.GlobalTable("native_price", **_options())
        tables = cls(
            pair_state=pair_state_table(pair_state, faust_writer(pair_state)),
            chain_gas=ExactTable(app.GlobalTable("chain_gas", **_options())),
            native_price=deferred_exact_table(native_price, faust_writer(native_price)),
        )
        app.sensors.add(FlushOnCommit([tables.pair_state, tables.native_price]))
        return tables
