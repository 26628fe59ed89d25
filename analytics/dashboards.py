"""Grafana dashboards generated from the analytics query library.

``dashboards/*.json`` is written by ``arbstream dashboards`` from :data:`LAYOUT` and
:data:`~arbstream.analytics.queries.QUERIES`; nothing in it is edited by hand. Each panel
names a query: its title and description come from the :class:`Query`, its one target
carries the query's SQL rendered for :data:`DASHBOARD_DATABASE` (``refId`` = query name,
table or time-series format from ``Query.time_series``). The layout list here holds only
what is about display: panel kind, size, units, thresholds and per-column formats.

Panels flow left to right in rows of 24 grid units: a panel that does not fit on the
current line starts the next one, below the tallest panel of the line; a :class:`Row`
header starts a new line. Every query is either placed exactly once or named in
:data:`NOT_ON_DASHBOARD` with the reason, so that a new query cannot be forgotten.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from arbstream.analytics.queries import QUERIES, get_query

__all__ = [
    "DASHBOARDS",
    "DASHBOARD_DATABASE",
    "DATASOURCE",
    "LAYOUT",
    "NOT_ON_DASHBOARD",
    "Column",
    "Panel",
    "Row",
    "build_overview",
    "check_layout",
    "render_dashboards",
    "write_dashboards",
]

#: the provisioned ClickHouse datasource (dashboards/provisioning/datasources/clickhouse.yml)
DATASOURCE: dict[str, str] = {
    "type": "grafana-clickhouse-datasource",
    "uid": "arbstream-clickhouse",
}
#: database the panel SQL reads (the datasource's defaultDatabase, the sink's default)
DASHBOARD_DATABASE = "arbstream"
GRID_WIDTH = 24

PanelKind = Literal["stat", "timeseries", "table", "bargauge"]
Thresholds = tuple[tuple[str, float | None], ...]

GREEN: Thresholds = (("green", None),)
#: revert rates: orange from 10 %, red from 30 %
RATE_STEPS: Thresholds = (("green", None), ("orange", 0.1), ("red", 0.3))
#: seconds since the last block: orange from 30 s, red from 2 min
STALE_STEPS: Thresholds = (("green", None), ("orange", 30), ("red", 120))


@dataclass(frozen=True, slots=True)
class Column:
    """Display of one table column: unit, and decimals when not Grafana's automatic."""

    name: str
    unit: str
    decimals: int | None = None


@dataclass(frozen=True, slots=True)
class Panel:
    """One panel showing query ``query``; the fields are display only."""

    query: str
    kind: PanelKind
    w: int
    h: int
    unit: str = "short"
    decimals: int | None = None
    #: stat / bargauge: threshold colour steps (the first step has no lower bound)
    steps: Thresholds = GREEN
    #: stat / bargauge: the fields shown (a Grafana regex; "" = every numeric field)
    fields: str = ""
    #: stat / bargauge: one value per row (True) or the reduction of each field (False)
    all_values: bool = False
    #: stat: colour the value ("value") or the whole tile ("background")
    color_mode: Literal["value", "background"] = "value"
    #: bargauge: fixed axis bounds
    bounds: tuple[float, float] | None = None
    #: timeseries: stacked bars (True) or lines
    bars: bool = False
    #: timeseries: series name template (labels of long frames)
    display_name: str | None = None
    #: table: per-column units
    columns: tuple[Column, ...] = ()


@dataclass(frozen=True, slots=True)
class Row:
    """A row header starting a new section of the dashboard."""

    title: str


def _ms(*names: str) -> tuple[Column, ...]:
    return tuple(Column(n, "ms", 1) for n in names)


#: the overview dashboard, top to bottom
LAYOUT: tuple[Row | Panel, ...] = (
    Row("Overview"),
    Panel("opportunities_total", "stat", 5, 4, fields="/^(opportunities|cycles)$/"),
    Panel("execution_totals", "stat", 8, 4),
    Panel("realized_profit_usd_total", "stat", 4, 4, unit="currencyUSD", decimals=2),
    Panel("revert_rate", "stat", 3, 4, unit="percentunit", decimals=1, steps=RATE_STEPS),
    Panel(
        "ingest_freshness",
        "stat",
        4,
        4,
        unit="s",
        decimals=0,
        steps=STALE_STEPS,
        fields="/^seconds_since_last_block$/",
        all_values=True,
        color_mode="background",
    ),
    Row("Detection"),
    Panel(
        "opportunities_per_minute",
        "timeseries",
        12,
        8,
        bars=True,
        display_name="chain ${__field.labels.chain} ${__field.labels.kind}",
    ),
    Panel("detection_latency_over_time", "timeseries", 12, 8, unit="ms"),
    Panel(
        "detection_latency_quantiles",
        "table",
        10,
        7,
        columns=_ms("p50_ms", "p95_ms", "p99_ms", "max_ms"),
    ),
    Panel(
        "price_dislocation",
        "table",
        14,
        7,
        columns=(
            Column("dislocation_bps", "none", 1),
            Column("edge_after_fees_bps", "none", 1),
            Column("min_price", "sci"),
            Column("max_price", "sci"),
        ),
    ),
    Row("Execution"),
    Panel(
        "execution_outcomes_over_time",
        "timeseries",
        12,
        8,
        bars=True,
        display_name="${__field.labels.status}",
    ),
    Panel(
        "cumulative_realized_profit_usd",
        "timeseries",
        12,
        8,
        unit="currencyUSD",
        display_name="chain ${__field.labels.chain}",
    ),
    Panel(
        "execution_status_breakdown",
        "bargauge",
        8,
        8,
        fields="/^executions$/",
        all_values=True,
    ),
    Panel(
        "revert_rate_per_chain",
        "bargauge",
        8,
        8,
        unit="percentunit",
        steps=RATE_STEPS,
        fields="/^revert_rate$/",
        all_values=True,
        bounds=(0, 1),
    ),
    Panel(
        "gas_spent_per_chain",
        "table",
        8,
        8,
        columns=(Column("gas_cost_native", "none", 6), Column("avg_gas_price_gwei", "none", 2)),
    ),
    Panel(
        "realized_vs_expected_profit",
        "table",
        24,
        7,
        columns=(
            Column("capture_ratio", "percentunit", 1),
            Column("expected_net_usd", "currencyUSD", 2),
            Column("realized_usd", "currencyUSD", 2),
            Column("expected", "none", 6),
            Column("realized", "none", 6),
        ),
    ),
    Panel(
        "top_cycles_by_realized_profit",
        "table",
        14,
        8,
        columns=(Column("realized_usd", "currencyUSD", 2), Column("realized", "none", 6)),
    ),
    Panel("rejection_reasons", "table", 10, 8),
    Row("Ingest"),
    Panel(
        "events_per_block",
        "bargauge",
        10,
        7,
        fields="/^events_per_block$/",
        all_values=True,
    ),
    Panel("dead_letters", "table", 14, 7, columns=(Column("last_seen", "dateTimeAsIso"),)),
)

#: queries deliberately without a panel, and why
NOT_ON_DASHBOARD: dict[str, str] = {
    "summary_counts_by_chain": "whole-run totals for the demo summary (no time range)",
    "realized_profit_by_token": "exact per-token sums the demo checks against the chain",
}


# --------------------------------------------------------------------------- panel JSON


def _steps(steps: Thresholds) -> dict[str, Any]:
    return {
        "mode": "absolute",
        "steps": [{"color": color, "value": value} for color, value in steps],
    }


def _reduce(p: Panel) -> dict[str, Any]:
    return {"values": p.all_values, "calcs": ["lastNotNull"], "fields": p.fields}


def _stat(p: Panel) -> tuple[dict[str, Any], dict[str, Any]]:
    defaults: dict[str, Any] = {
        "unit": p.unit,
        "color": {"mode": "thresholds"},
        "thresholds": _steps(p.steps),
        "mappings": [],
    }
    if p.decimals is not None:
        defaults["decimals"] = p.decimals
    options = {
        "reduceOptions": _reduce(p),
        "orientation": "auto",
        "textMode": "value_and_name",
        "colorMode": p.color_mode,
        "graphMode": "none",
        "justifyMode": "auto",
        "wideLayout": True,
        "showPercentChange": False,
    }
    return {"defaults": defaults, "overrides": []}, options


def _timeseries(p: Panel) -> tuple[dict[str, Any], dict[str, Any]]:
    defaults: dict[str, Any] = {
        "unit": p.unit,
        "color": {"mode": "palette-classic"},
        "custom": {
            "drawStyle": "bars" if p.bars else "line",
            "lineWidth": 1,
            "fillOpacity": 80 if p.bars else 10,
            "showPoints": "never",
            "spanNulls": False,
            "axisPlacement": "auto",
            "stacking": {"mode": "normal" if p.bars else "none", "group": "A"},
        },
    }
    if p.display_name is not None:
        defaults["displayName"] = p.display_name
    options = {
        "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True, "calcs": []},
        "tooltip": {"mode": "multi", "sort": "desc"},
    }
    return {"defaults": defaults, "overrides": []}, options


def _column(c: Column) -> dict[str, Any]:
    properties: list[dict[str, Any]] = [{"id": "unit", "value": c.unit}]
    if c.decimals is not None:
        properties.append({"id": "decimals", "value": c.decimals})
    return {"matcher": {"id": "byName", "options": c.name}, "properties": properties}


def _table(p: Panel) -> tuple[dict[str, Any], dict[str, Any]]:
    defaults = {"custom": {"align": "auto", "cellOptions": {"type": "auto"}, "inspect": False}}
    options = {
        "showHeader": True,
        "cellHeight": "sm",
        "footer": {"show": False, "reducer": ["sum"], "countRows": False, "fields": ""},
    }
    return {"defaults": defaults, "overrides": [_column(c) for c in p.columns]}, options


def _bargauge(p: Panel) -> tuple[dict[str, Any], dict[str, Any]]:
    defaults: dict[str, Any] = {
        "unit": p.unit,
        "color": {"mode": "thresholds"},
        "thresholds": _steps(p.steps),
    }
    if p.bounds is not None:
        defaults["min"], defaults["max"] = p.bounds
    options = {
        "reduceOptions": _reduce(p),
        "orientation": "horizontal",
        "displayMode": "gradient",
        "valueMode": "color",
        "namePlacement": "auto",
        "showUnfilled": True,
        "sizing": "auto",
        "minVizWidth": 8,
        "minVizHeight": 16,
        "maxVizHeight": 300,
    }
    return {"defaults": defaults, "overrides": []}, options


_BUILDERS: dict[str, Callable[[Panel], tuple[dict[str, Any], dict[str, Any]]]] = {
    "stat": _stat,
    "timeseries": _timeseries,
    "table": _table,
    "bargauge": _bargauge,
}


def _target(name: str, database: str) -> dict[str, Any]:
    query = get_query(name)
    return {
        "refId": query.name,
        "datasource": dict(DATASOURCE),
        "editorType": "sql",
        "format": 0 if query.time_series else 1,  # the plugin's time series / table
        "queryType": "timeseries" if query.time_series else "table",
        "rawSql": query.render(database),
    }


def _panel(p: Panel, panel_id: int, grid: dict[str, int], database: str) -> dict[str, Any]:
    if p.kind not in _BUILDERS:
        raise ValueError(f"panel {p.query!r}: unknown kind {p.kind!r}")
    query = get_query(p.query)
    field_config, options = _BUILDERS[p.kind](p)
    return {
        "id": panel_id,
        "type": p.kind,
        "title": query.title,
        "description": query.description,
        "datasource": dict(DATASOURCE),
        "gridPos": grid,
        "fieldConfig": field_config,
        "options": options,
        "targets": [_target(p.query, database)],
    }


def check_layout(layout: Iterable[Row | Panel]) -> None:
    """ValueError unless every query is placed exactly once or kept off on purpose."""
    placed = [item.query for item in layout if isinstance(item, Panel)]
    twice = sorted({name for name in placed if placed.count(name) > 1})
    unknown = sorted(set(placed) - set(QUERIES))
    unknown += sorted(set(NOT_ON_DASHBOARD) - set(QUERIES))
    missing = sorted(set(QUERIES) - set(placed) - set(NOT_ON_DASHBOARD))
    both = sorted(set(placed) & set(NOT_ON_DASHBOARD))
    problems = [
        f"{what}: {', '.join(names)}"
        for what, names in (
            ("placed twice", twice),
            ("unknown queries", unknown),
            ("queries neither placed nor in NOT_ON_DASHBOARD", missing),
            ("placed and in NOT_ON_DASHBOARD", both),
        )
        if names
    ]
    if problems:
        raise ValueError("dashboard layout: " + "; ".join(problems))


def _panels(layout: Iterable[Row | Panel], database: str) -> list[dict[str, Any]]:
    """Panel JSON with ids in order and grid positions flowed into rows of 24."""
    out: list[dict[str, Any]] = []
    x = y = line_h = 0
    for panel_id, item in enumerate(layout, start=1):
        if isinstance(item, Row):
            y += line_h
            x, line_h = 0, 0
            out.append(
                {
                    "id": panel_id,
                    "type": "row",
                    "title": item.title,
                    "collapsed": False,
                    "gridPos": {"h": 1, "w": GRID_WIDTH, "x": 0, "y": y},
                    "panels": [],
                }
            )
            y += 1
            continue
        if not 0 < item.w <= GRID_WIDTH:
            raise ValueError(f"panel {item.query!r}: width {item.w} not in 1..{GRID_WIDTH}")
        if x + item.w > GRID_WIDTH:
            y += line_h
            x, line_h = 0, 0
        out.append(_panel(item, panel_id, {"h": item.h, "w": item.w, "x": x, "y": y}, database))
        x += item.w
        line_h = max(line_h, item.h)
    return out


def build_overview(database: str = DASHBOARD_DATABASE) -> dict[str, Any]:
    """The arbstream overview dashboard (detection, execution, ingest) as Grafana JSON."""
    check_layout(LAYOUT)
    return {
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                }
            ]
        },
        "description": "arbstream: detection, execution and ingest, from ClickHouse. "
        "Generated by `arbstream dashboards` from analytics/queries.py and the layout in "
        "analytics/dashboards.py (target refId = query name); do not edit by hand.",
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": [],
        "panels": _panels(LAYOUT, database),
        "refresh": "30s",
        "schemaVersion": 39,
        "tags": ["arbstream", "clickhouse"],
        "templating": {"list": []},
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": "arbstream",
        "uid": "arbstream-overview",
        "version": 1,
        "weekStart": "",
    }


#: every generated dashboard: file name in dashboards/ -> builder
DASHBOARDS: dict[str, Callable[[], dict[str, Any]]] = {"arbstream.json": build_overview}


def render_dashboards() -> dict[str, str]:
    """File name -> the exact text ``arbstream dashboards`` writes (2-space JSON, newline)."""
    return {
        name: json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
        for name, build in DASHBOARDS.items()
    }


def write_dashboards(out_dir: Path) -> list[Path]:
    """Write every generated dashboard into ``out_dir``; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_dashboards().items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
