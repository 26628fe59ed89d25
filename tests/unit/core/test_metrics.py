"""Metrics: the settings, the exporter over real HTTP, and that the pipeline-health dashboard
and the docker-compose Prometheus read exactly what the code defines and serves."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from arbstream import metrics
from arbstream.config import METRICS_ROLE_OFFSETS, Settings, load_settings
from arbstream.errors import ConfigError
from arbstream.localstack.workers import free_port_block

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD = ROOT / "dashboards" / "pipeline-health.json"
PROMETHEUS = ROOT / "dashboards" / "prometheus" / "prometheus.yml"
DATASOURCE = ROOT / "dashboards" / "provisioning" / "datasources" / "prometheus.yml"
COMPOSE = ROOT / "docker-compose.yml"

#: PromQL words that are neither functions (followed by "(") nor metric names
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}
_KEYWORDS |= {"and", "or", "unless", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression reads: identifiers that are not functions,
    aggregation clauses, keywords, label names or numbers."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range selectors
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        word = match.group()
        rest = expr[match.end() :].lstrip()
        if rest.startswith("(") or word.lower() in _KEYWORDS:
            continue
        if match.start() and expr[match.start() - 1].isdigit():  # 1e3, 5m
            continue
        names.add(word)
    return names


def dashboard_targets() -> list[tuple[str, dict[str, Any]]]:
    dash = json.loads(DASHBOARD.read_text())
    out = []
    for panel in dash["panels"]:
        for sub in [panel, *panel.get("panels", [])]:
            out += [(sub["title"], t) for t in sub.get("targets", [])]
    return out


def compose_roles() -> dict[str, tuple[str, dict[str, Any]]]:
    """role -> (service name, service) of every long-running arbstream service."""
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    out = {}
    for name, svc in services.items():
        if svc.get("image") != "arbstream:latest" or svc.get("restart") == "no":
            continue
        cmd = svc["command"]
        role = cmd[1] if cmd[0] == "worker" else cmd[0]
        out[role] = (name, svc)
    return out


# -- the PromQL reader itself ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("up", {"up"}),
        (
            'sum by (chain, kind) (rate(arbstream_x_total{job="a b"}[5m])) * 60',
            {"arbstream_x_total"},
        ),
        (
            "histogram_quantile(0.95, sum by (le) (rate(lat_bucket[$__rate_interval])))",
            {"lat_bucket"},
        ),
        ("sum(rate(a_sum[1m])) / sum(rate(a_count[1m])) > bool 1e3", {"a_sum", "a_count"}),
        ("max without (instance) (b) or on (chain) c offset 5m", {"b", "c"}),
    ],
)
def test_metric_names_of_promql(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


# -- dashboard -------------------------------------------------------------------------------
def test_every_dashboard_expression_reads_a_defined_metric() -> None:
    defined = metrics.series_names()
    targets = dashboard_targets()
    assert targets, f"no targets in {DASHBOARD}"
    read = set()
    for title, target in targets:
        names = metric_names(target["expr"])
        assert names, f"{title!r}: {target['expr']!r} reads no metric"
        unknown = names - defined
        assert not unknown, (
            f"{title!r} reads {sorted(unknown)}, not defined in arbstream/metrics.py"
        )
        read |= names
    shown = {re.sub(r"_(total|created|bucket|sum|count)$", "", n) for n in read}
    missing = {m.describe()[0].name for m in metrics.ALL} - shown
    assert not missing, f"metrics no panel shows: {sorted(missing)}"


def test_dashboard_uses_the_provisioned_prometheus_datasource() -> None:
    provisioned = yaml.safe_load(DATASOURCE.read_text())["datasources"]
    (source,) = [d for d in provisioned if d["type"] == "prometheus"]
    dash = json.loads(DASHBOARD.read_text())
    assert dash["uid"] and dash["title"]
    for panel in dash["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": source["uid"]}, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == source["uid"], panel["title"]
    refs = [t["refId"] for p in dash["panels"] for t in p.get("targets", [])]
    ids = [p["id"] for p in dash["panels"]]
    assert len(set(ids)) == len(ids)
    assert all(refs)


def test_series_names_cover_each_metric_type() -> None:
    names = metrics.series_names()
    assert "arbstream_events_in_total" in names
    assert "arbstream_head_block" in names
    assert "arbstream_detection_latency_seconds_bucket" in names
    assert all(n.startswith("arbstream_") for n in names)


# -- docker-compose and Prometheus agree with the code --------------------------------------
def test_compose_scrapes_every_process_on_the_port_the_code_uses() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    prometheus = yaml.safe_load(PROMETHEUS.read_text())
    roles = compose_roles()
    assert set(roles) == set(METRICS_ROLE_OFFSETS), "one compose service per process role"
    jobs = {
        job["job_name"]: [t for sc in job["static_configs"] for t in sc["targets"]]
        for job in prometheus["scrape_configs"]
    }
    assert set(jobs) == set(roles), "one scrape job per role, named after it"
    for role, (service, svc) in roles.items():
        env = {k: str(v) for k, v in svc["environment"].items() if k.startswith("ARBSTREAM_")}
        assert "ARBSTREAM_METRICS_PORT" in env, service
        settings = Settings(metrics_port=int(env["ARBSTREAM_METRICS_PORT"]))
        port = settings.metrics_port_of(role)
        assert port, f"{service}: metrics disabled"
        assert jobs[role] == [f"{service}:{port}"], f"job {role} scrapes {jobs[role]}"
        assert [str(p) for p in svc.get("expose", [])] == [str(port)], service
    # Prometheus runs with this file, and Grafana reaches it where the datasource says
    prom = compose["services"]["prometheus"]
    mounts = {v.split(":")[0]: v.split(":")[1] for v in prom["volumes"]}
    config_path = mounts["./dashboards/prometheus/prometheus.yml"]
    assert f"--config.file={config_path}" in prom["command"]
    (source,) = yaml.safe_load(DATASOURCE.read_text())["datasources"]
    host_port = source["url"].removeprefix("http://")
    assert host_port.split(":")[0] == "prometheus"
    assert prom["ports"] == [f"{host_port.split(':')[1]}:{host_port.split(':')[1]}"]
    grafana = compose["services"]["grafana"]
    assert "./dashboards/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]


# -- settings ------------------------------------------------------------------------------
def test_metrics_port_per_role_and_disabled() -> None:
    settings = Settings(metrics_port=9400)
    assert {r: settings.metrics_port_of(r) for r in METRICS_ROLE_OFFSETS} == {
        "ingest": 9400,
        "streams": 9401,
        "executor": 9402,
        "sink": 9403,
    }
    off = Settings(metrics_port=0)
    assert all(off.metrics_port_of(r) == 0 for r in METRICS_ROLE_OFFSETS)
    assert Settings().metrics_port == 9400
    with pytest.raises(ConfigError, match="unknown process role"):
        settings.metrics_port_of("relay")


def test_metrics_port_from_env_and_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARBSTREAM_METRICS_PORT", "9500")
    assert load_settings().metrics_port_of("sink") == 9503
    for bad in ("-1", "65534", "http"):
        monkeypatch.setenv("ARBSTREAM_METRICS_PORT", bad)
        with pytest.raises(ConfigError, match="metrics_port"):
            load_settings()


# -- exporter ------------------------------------------------------------------------------
def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_exporter_serves_the_metrics_and_stops() -> None:
    assert metrics.start_exporter(0) is None
    port = free_port_block(1)
    exporter = metrics.start_exporter(port, addr="127.0.0.1")
    assert exporter is not None
    try:
        topic = f"test.{port}.events"
        metrics.events_in(topic, 1, 3)
        metrics.opportunity_out(topic, 56, "cross_dex", 42.0)
        samples = scrape(port)
        assert (
            samples[("arbstream_events_in_total", frozenset({("topic", topic), ("chain", "1")}))]
            == 3
        )
        opp = frozenset({("chain", "56"), ("kind", "cross_dex")})
        assert samples[("arbstream_opportunities_total", opp)] >= 1
        assert samples[("arbstream_detection_latency_seconds_bucket", opp | {("le", "0.05")})] >= 1
    finally:
        exporter.stop()
    with pytest.raises(OSError):
        scrape(port)


def test_exporter_on_a_taken_port_names_the_setting() -> None:
    port = free_port_block(1)
    exporter = metrics.start_exporter(port, addr="127.0.0.1")
    assert exporter is not None
    try:
        with pytest.raises(ConfigError, match=rf"metrics_port: .*127\.0\.0\.1:{port}"):
            metrics.start_exporter(port, addr="127.0.0.1")
    finally:
        exporter.stop()


def test_free_port_block_is_consecutive_and_free() -> None:
    base = free_port_block(4)
    exporters = [metrics.start_exporter(base + i, addr="127.0.0.1") for i in range(4)]
    for exporter in exporters:
        assert exporter is not None
        exporter.stop()
