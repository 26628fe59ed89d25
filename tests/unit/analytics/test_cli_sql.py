"""``arbstream sql NAME``: a named query against the configured ClickHouse (chDB here)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from arbstream.analytics.queries import QUERIES
from arbstream.cli import main
from tests.unit.analytics.dataset import DAY, Dataset, chdb_client, load_dataset


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Dataset]:
    """The synthetic dataset in a chDB path that no client holds open afterwards."""
    path = tmp_path_factory.mktemp("cli_chdb")
    with chdb_client(path) as client:
        return path, load_dataset(client)


@pytest.fixture
def configured(stored: tuple[Path, Dataset], monkeypatch: pytest.MonkeyPatch) -> Iterator[Dataset]:
    path, data = stored
    monkeypatch.setenv("ARBSTREAM_CLICKHOUSE_DSN", f"chdb://{path}")
    monkeypatch.setenv("ARBSTREAM_CLICKHOUSE_DATABASE", data.database)
    yield data


def sql(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["sql", *argv])
    return code, capsys.readouterr().out


def test_csv_is_the_query_result(configured: Dataset, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = sql(capsys, "execution_status_breakdown", "--format", "csv")
    assert code == 0
    header, *rows = list(csv.reader(io.StringIO(out)))
    assert header == ["chain", "status", "executions"]
    want = Counter((str(e.chain_id), e.status) for e in configured.execs)
    assert {(c, s): int(n) for c, s, n in rows} == want


def test_params_set_the_time_range(configured: Dataset, capsys: pytest.CaptureFixture[str]) -> None:
    def executions(*params: str) -> int:
        code, out = sql(capsys, "execution_totals", "--format", "csv", *params)
        assert code == 0
        return int(list(csv.reader(io.StringIO(out)))[1][0])

    # the default range, the last 24 hours, leaves out the three-day-old execution
    assert executions() == len(configured.execs) == 12
    wide = configured.from_ms - 4 * DAY
    assert executions("--param", f"from_ms={wide}") == len(configured.executions) == 13
    assert executions("--param", "from_ms=0", "--param", "to_ms=1000") == 0


def test_table_format_is_aligned(configured: Dataset, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = sql(capsys, "realized_profit_by_token")
    assert code == 0
    header, rule, *rows, count = out.splitlines()
    assert header.split() == ["chain_id", "profit_token", "realized"]
    assert set(rule.replace("  ", "")) == {"-"}
    assert count == "(3 rows)" and len(rows) == 3
    # integers stay exact (beyond 2**64) and right-aligned under their header
    want: Counter[tuple[int, str]] = Counter()
    for e in configured.executions:  # the whole database: the old execution too
        if e.status == "succeeded":
            want[(e.chain_id, e.profit_token)] += e.realized_profit
    assert {(int(c), t): int(v) for c, t, v in (r.split() for r in rows)} == want
    assert max(want.values()) > 2**64
    assert len({len(r) for r in [header, *rows]}) == 1


def test_errors_and_listing(configured: Dataset, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = sql(capsys)
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == list(QUERIES)
    assert sql(capsys, "no_such_query") == (2, "")
    assert sql(capsys, "revert_rate", "--param", "limit=3") == (2, "")
    assert sql(capsys, "revert_rate", "--param", "from_ms=yesterday") == (2, "")
