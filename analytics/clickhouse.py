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

from arbstream.analytics.tables import TableSpec, ddl
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
    for statement in ddl(database):
        client.command(statement)


def insert_records(
    client: Client, database: str, spec: TableSpec, records: Sequence[Record]
) -> None:
    if not records:
        return
    names = [name for name, _ in spec.record.columns()]
    rows: list[list[Any]] = [[getattr(r, n) for n in names] for r in records]
    client.insert(f"`{database}`.`{spec.table}`", rows, column_names=names)
