"""Framing of ``dex.events``: one topic record carries a batch of events, in order.

Broker messages and Faust stream steps cost about a millisecond of CPU each in Python, so
events travel in batches: the ingestor (and replay) publish one record per (chain,
partition) holding the events that arrived together (a block's logs, a backfill range),
in chain order. Contracts kept:

- partition: every event goes to the partition of its token pair's key
  ``chain:token0:token1`` (Kafka's murmur2 partitioner, :func:`partition_for`), which is how
  the detector partitions its pair state: no repartition hop, and all pools of a pair, so
  every pool's events, stay in one partition, in order;
- identity: each event keeps every field of ``arbstream.pool_event.v1`` (chain, block hash,
  tx, log index, ``removed``, ingest time), and the sink stores one row per event;
- versions: the batch is ``arbstream.pool_event_batch.v1``; a record of a single
  ``arbstream.pool_event.v1`` event (the former framing) still decodes, as a batch of one.

The codec is msgspec JSON with each event as an array in the field order of
:class:`~arbstream.schemas.PoolEvent` (no keys repeated per event; integers exact at any
size, which orjson cannot do). The row type is generated from ``PoolEvent``'s fields, so the
schema is still defined once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any, get_type_hints

import msgspec
from aiokafka.partitioner import murmur2

from arbstream.errors import SchemaError
from arbstream.schemas import PoolEvent

__all__ = [
    "EVENT_BATCH_SCHEMA",
    "EventRow",
    "decode_batch",
    "encode_batch",
    "frame",
    "pair_key",
    "partition_for",
    "rows_to_events",
]

EVENT_BATCH_SCHEMA = "arbstream.pool_event_batch.v1"

_HINTS = get_type_hints(PoolEvent)
_FIELDS = [f.name for f in dataclasses.fields(PoolEvent)]

#: one event on the wire: PoolEvent's fields, in order, as a JSON array
EventRow: Any = msgspec.defstruct(
    "EventRow",
    [(name, _HINTS[name]) for name in _FIELDS],
    array_like=True,
    frozen=True,
    gc=False,
)


class EventBatch(msgspec.Struct, tag_field="schema", tag=EVENT_BATCH_SCHEMA, frozen=True):
    """One record of ``dex.events``: events of one chain for one partition, in order."""

    chain_id: int
    events: list[EventRow]  # type: ignore[valid-type]


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(EventBatch)


def pair_key(chain_id: int, token0: str, token1: str) -> str:
    """The partition key of a pool's events: its chain and token pair."""
    return f"{chain_id}:{token0}:{token1}"


def partition_for(key: str, partitions: int) -> int:
    """Kafka's default partition of ``key`` (murmur2, as the Java client and aiokafka do)."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def _row(event: PoolEvent) -> Any:
    return EventRow(*(getattr(event, name) for name in _FIELDS))


def encode_batch(events: Sequence[PoolEvent]) -> bytes:
    """One ``dex.events`` record holding ``events`` (all of one chain), in order."""
    if not events:
        raise ValueError("an event batch holds at least one event")
    chain_id = events[0].chain_id
    if any(e.chain_id != chain_id for e in events):
        raise ValueError("an event batch holds the events of one chain")
    return _encoder.encode(EventBatch(chain_id, [_row(e) for e in events]))


def decode_batch(raw: bytes, *, source: str = "") -> list[Any]:
    """The event rows of one ``dex.events`` record (attributes named as ``PoolEvent``'s).

    SchemaError (with ``source``) when the record is neither a valid batch nor a single
    ``arbstream.pool_event.v1`` event."""
    try:
        batch = _decoder.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        try:
            single = PoolEvent.from_json(raw, source=source)
        except SchemaError:
            raise SchemaError(
                f"not an event batch: {exc}", schema=EVENT_BATCH_SCHEMA, source=source
            ) from None
        return [_row(single)]
    if any(row.chain_id != batch.chain_id for row in batch.events):
        raise SchemaError(
            "an event of another chain in the batch", schema=EVENT_BATCH_SCHEMA, source=source
        )
    return list(batch.events)


def rows_to_events(rows: Iterable[Any]) -> list[PoolEvent]:
    """The ``PoolEvent`` records of decoded rows (the sink stores one row per event)."""
    return [PoolEvent(**{name: getattr(row, name) for name in _FIELDS}) for row in rows]


def frame(events: Iterable[PoolEvent], partitions: int) -> list[tuple[int, bytes, bytes]]:
    """``(partition, key, value)`` records for ``events``: one per (chain, partition), each
    holding its events in the order given; records in order of their first event."""
    groups: dict[tuple[int, int], list[PoolEvent]] = {}
    for event in events:
        part = partition_for(pair_key(event.chain_id, event.token0, event.token1), partitions)
        groups.setdefault((event.chain_id, part), []).append(event)
    return [
        (part, f"{chain_id}:p{part}".encode(), encode_batch(group))
        for (chain_id, part), group in groups.items()
    ]
