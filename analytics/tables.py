"""ClickHouse tables, generated from the versioned schemas in ``arbstream.schemas``.

Each table is a ReplacingMergeTree ordered by the record's identity, so re-delivered
records (at-least-once consumption) collapse to one row: read with ``FINAL`` for exact
counts. Pool events use ``removed`` as the version column: a retraction replaces the
event it retracts.
"""

from __future__ import annotations

from dataclasses import dataclass

from arbstream.config import TopicsConfig
from arbstream.framing import decode_batch, rows_to_events
from arbstream.schemas import (
    BlockHeader,
    DeadLetter,
    Execution,
    Opportunity,
    PoolCreated,
    PoolEvent,
    Record,
)


@dataclass(frozen=True)
class TableSpec:
    table: str
    record: type[Record]
    topic_field: str  # the TopicsConfig field naming its topic

    def decode(self, raw: bytes, *, source: str = "") -> list[Record]:
        """The records of one topic record: ``dex.events`` records are batches of events
        (:mod:`arbstream.framing`), one row each; every other topic holds one record."""
        if self.record is PoolEvent:
            return list(rows_to_events(decode_batch(raw, source=source)))
        return [self.record.from_json(raw, source=source)]


TABLES: tuple[TableSpec, ...] = (
    TableSpec("blocks", BlockHeader, "blocks"),
    TableSpec("pools", PoolCreated, "pools"),
    TableSpec("pool_events", PoolEvent, "events"),
    TableSpec("opportunities", Opportunity, "opportunities"),
    TableSpec("executions", Execution, "executions"),
    TableSpec("dead_letters", DeadLetter, "dead_letter"),
)


def topic_map(topics: TopicsConfig) -> dict[str, TableSpec]:
    """Topic name -> table it lands in."""
    return {getattr(topics, spec.topic_field): spec for spec in TABLES}


def create_table_sql(spec: TableSpec, database: str) -> str:
    cols = ",\n  ".join(f"`{name}` {ch}" for name, ch in spec.record.columns())
    version = f"`{spec.record.VERSION}`" if spec.record.VERSION else ""
    order = ", ".join(f"`{c}`" for c in spec.record.IDENTITY)
    return (
        f"CREATE TABLE IF NOT EXISTS `{database}`.`{spec.table}` (\n  {cols}\n)\n"
        f"ENGINE = ReplacingMergeTree({version})\nORDER BY ({order})"
    )


def ddl(database: str) -> list[str]:
    """Every statement that creates the database and its tables (idempotent)."""
    return [f"CREATE DATABASE IF NOT EXISTS `{database}`"] + [
        create_table_sql(s, database) for s in TABLES
    ]
