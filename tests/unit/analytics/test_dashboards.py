"""The Grafana dashboards: generated from the query library, and every panel runs on chDB.

``arbstream dashboards`` writes ``dashboards/*.json`` from ``analytics/dashboards.py``'s
layout and ``analytics/queries.py``; the checked-in files must be exactly that output. The
SQL of every panel target of the checked-in JSON then runs on chDB over the synthetic
dataset (``dataset.py``) and must return rows, the same rows ``run_query`` returns.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from arbstream.analytics.dashboards import (
    DASHBOARD_DATABASE,
    DATASOURCE,
    GRID_WIDTH,
    LAYOUT,
    Panel,
    Row,
    build_overview,
    check_layout,
    render_dashboards,
)
from arbstream.analytics.queries import expand_macros
from arbstream.cli import main
from tests.unit.analytics.dataset import TABLE_NAMES, Dataset, run

ROOT = Path(__file__).resolve().parents[3]
DASHBOARDS = ROOT / "dashboards"
DATASOURCES = DASHBOARDS / "provisioning" / "datasources" / "clickhouse.yml"

#: queries whose last column depends on now()
NOW_DEPENDENT = {"ingest_freshness"}


def test_checked_in_dashboards_are_generated() -> None:
    generated = render_dashboards()
    assert generated, "no dashboard generated"
    for name, text in generated.items():
        path = DASHBOARDS / name
        checked_in = path.read_bytes() if path.exists() else b"<missing>"
        assert checked_in == text.encode(), (
            f"dashboards/{name} differs from what the query library generates: "
            "run `arbstream dashboards` and commit the result"
        )


def test_cli_writes_the_generated_dashboards(tmp_path: Path) -> None:
    assert main(["dashboards", "--out", str(tmp_path / "out")]) == 0
    written = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "out").iterdir()}
    assert written == render_dashboards()


def test_layout_must_place_every_query_once() -> None:
    check_layout(LAYOUT)
    first = next(item for item in LAYOUT if isinstance(item, Panel))
    with pytest.raises(ValueError, match=f"placed twice: {first.query}"):
        check_layout((*LAYOUT, first))
    with pytest.raises(ValueError, match=f"neither placed nor in NOT_ON_DASHBOARD: {first.query}"):
        check_layout(tuple(item for item in LAYOUT if item != first))
    with pytest.raises(ValueError, match="unknown queries: no_such_query"):
        check_layout((*LAYOUT, Panel("no_such_query", "table", 4, 4)))


def test_panels_tile_the_grid() -> None:
    """Generated positions: inside 24 columns, no two panels overlapping, rows in order."""
    panels = build_overview()["panels"]
    assert len(panels) == len(LAYOUT)
    taken: set[tuple[int, int]] = set()
    for panel, item in zip(panels, LAYOUT, strict=True):
        g = panel["gridPos"]
        assert g["x"] >= 0 and g["x"] + g["w"] <= GRID_WIDTH, panel["title"]
        cells = {(g["x"] + dx, g["y"] + dy) for dx in range(g["w"]) for dy in range(g["h"])}
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells
        assert panel["type"] == ("row" if isinstance(item, Row) else item.kind)
    rows = [p["gridPos"]["y"] for p in panels if p["type"] == "row"]
    assert rows == sorted(rows) and len(rows) == sum(isinstance(i, Row) for i in LAYOUT)


def test_datasource_matches_provisioning() -> None:
    text = DATASOURCES.read_text()
    uid = re.search(r"^\s*uid:\s*['\"]?([\w-]+)", text, re.M)
    kind = re.search(r"^\s*type:\s*['\"]?([\w-]+)", text, re.M)
    assert uid and kind, f"no uid/type in {DATASOURCES}"
    assert DATASOURCE == {"type": kind.group(1), "uid": uid.group(1)}
    default_db = re.search(r"^\s*defaultDatabase:\s*['\"]?([\w-]+)", text, re.M)
    assert default_db and default_db.group(1) == DASHBOARD_DATABASE


def checked_in_targets() -> list[tuple[str, dict[str, Any]]]:
    """Panel targets of the checked-in generated dashboards (not the Prometheus one)."""
    out = []
    for name in render_dashboards():
        for panel in json.loads((DASHBOARDS / name).read_text())["panels"]:
            out += [(f"{name}: {panel['title']}", t) for t in panel.get("targets", [])]
    return out


def test_every_panel_target_runs(client: Client, data: Dataset) -> None:
    targets = checked_in_targets()
    assert len(targets) == sum(isinstance(item, Panel) for item in LAYOUT)
    tables = "|".join(sorted(TABLE_NAMES))
    for title, t in targets:
        sql = expand_macros(t["rawSql"], from_ms=data.from_ms, to_ms=data.to_ms, interval_s=60)
        assert "$__" not in sql, title
        sql = re.sub(rf"\b{DASHBOARD_DATABASE}\.({tables})\b", rf"`{data.database}`.\1", sql)
        rows = [tuple(r) for r in client.query(sql).result_rows]
        assert rows, f"{title}: no rows on the synthetic data"
        # the dashboard's SQL gives exactly what run_query gives
        if t["refId"] in NOW_DEPENDENT:  # last column: seconds until now()
            rows = [(*r[:-1], pytest.approx(r[-1], abs=60)) for r in rows]
        assert rows == run(client, data, t["refId"]), title
