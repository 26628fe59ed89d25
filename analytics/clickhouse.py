"""ClickHouse access through clickhouse-connect: a server over HTTP, or chDB in-process.

``chdb:///path`` opens the embedded engine (chDB registers itself with clickhouse-connect);
only one process may hold a chDB path at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from arbstream.analytics.tables import TABLES, TableSpec, ddl
from arbstream.errors import RuntimeStackError
from arbstream.schemas import Record

log = logging.getLogger(__name__)


def connect(dsn: str) -> Client:
    """A clickhouse-connect client for ``dsn`` (chdb:///path or http(s)://...)."""
    if dsn.startswith("chdb://"):
        Path(dsn.removeprefix("chdb://")).mkdir(parents=True, exist_ok=True)
    try:
        return clickhouse_connect.get_client(dsn=dsn)
    except Exception as exc:
        safe = dsn.split("@")[-1]  # never log credentials
        raise RuntimeStackError(f"cannot open ClickHouse at {safe}: {exc}") from exc


def create_schema(client: Client, database: str) -> None:
    """Create the database and its tables, and migrate tables written by older schemas."""
    for statement in ddl(database):
        client.command(statement)
    for spec in TABLES:
        for statement in migration_sql(client, database, spec):
            log.info("migrating %s.%s: %s", database, spec.table, statement)
            client.command(statement)


def migration_sql(client: Client, database: str, spec: TableSpec) -> list[str]:
    """``ALTER TABLE ... ADD COLUMN`` for every column of the record the table lacks.

    Columns are only ever added, never dropped or changed, so rows of every earlier version
    stay readable; a new column's value for those rows is the record's ``MIGRATIONS``
    expression over the old columns (else the type's default)."""
    existing = {
        str(row[0])
        for row in client.query(f"DESCRIBE TABLE `{database}`.`{spec.table}`").result_rows
    }
    out = []
    for name, ch_type in spec.record.columns():
        if name in existing:
            continue
        default = spec.record.MIGRATIONS.get(name)
        clause = f" DEFAULT {default}" if default else ""
        out.append(f"ALTER TABLE `{database}`.`{spec.table}` ADD COLUMN `{name}` {ch_type}{clause}")
    return out


def insert_records(
    client: Client, database: str, spec: TableSpec, records: Sequence[Record]
) -> None:
    if not records:
        return
    names = [name for name, _ in spec.record.columns()]
    rows: list[list[Any]] = [r.ch_row(names) for r in records]
    client.insert(f"`{database}`.`{spec.table}`", rows, column_names=names)
