"""chDB with the synthetic dataset, once per test module (one chDB path at a time)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from clickhouse_connect.driver.client import Client

from tests.unit.analytics.dataset import Dataset, chdb_client, load_dataset


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """One chDB engine for the module, closed when the module is done."""
    with chdb_client(tmp_path_factory.mktemp("analytics_chdb")) as ch:
        yield ch


@pytest.fixture(scope="module")
def data(client: Client) -> Dataset:
    return load_dataset(client)
