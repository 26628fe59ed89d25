"""Prometheus metrics of every arbstream process, each defined once, and the exporter.

Every process (``ingest``, ``worker streams``, ``worker executor``, ``sink``) serves its
metrics over HTTP with :func:`start_exporter` on the port :meth:`Settings.metrics_port_of`
gives its role: ``metrics_port`` plus the role's offset in ``config.METRICS_ROLE_OFFSETS``
(0 turns the exporter off). Names are prefixed ``arbstream_``; ``chain`` labels hold the chain id.
The metrics live in prometheus-client's default registry, beside its process and Python
collectors, and the pipeline-health dashboard (``dashboards/pipeline-health.json``) reads
only the names defined here (a unit test proves it).

Call sites keep to one line: the helpers below (:func:`events_in`, :func:`events_out`,
:func:`opportunity_out`, ...) update every metric an occurrence touches.
"""

from __future__ import annotations

import logging
import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from arbstream.errors import ConfigError

log = logging.getLogger(__name__)

#: detection latency buckets, seconds: 1 ms .. 30 s
LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)

EVENTS_IN = Counter(
    "arbstream_events_in",
    "Records consumed from a topic by this process (decoded), per topic and chain",
    ["topic", "chain"],
)
EVENTS_OUT = Counter(
    "arbstream_events_out",
    "Records produced to a topic by this process, per topic and chain",
    ["topic", "chain"],
)
CONSUMER_LAG = Gauge(
    "arbstream_consumer_lag",
    "Records on a partition not yet consumed by the group (updated periodically)",
    ["group", "topic", "partition"],
)
DETECTION_LATENCY = Histogram(
    "arbstream_detection_latency_seconds",
    "Ingest of the triggering log to emission of the opportunity",
    ["chain", "kind"],
    buckets=LATENCY_BUCKETS,
)
OPPORTUNITIES = Counter(
    "arbstream_opportunities",
    "Opportunities emitted by the detector, per kind and chain",
    ["chain", "kind"],
)
EXECUTIONS = Counter(
    "arbstream_executions",
    "Execution records of the executor, per status and chain",
    ["chain", "status"],
)
DEAD_LETTERS = Counter(
    "arbstream_dead_letters",
    "Records sent to the dead-letter topic or table, per stage",
    ["stage"],
)
RPC_ERRORS = Counter(
    "arbstream_rpc_errors",
    "Failed JSON-RPC / WebSocket calls to a chain's node",
    ["chain"],
)
WS_RECONNECTS = Counter(
    "arbstream_ws_reconnects",
    "WebSocket sessions the ingestor re-opened after losing one",
    ["chain"],
)
HEAD_BLOCK = Gauge(
    "arbstream_head_block",
    "Latest block number the ingestor saw on a chain",
    ["chain"],
)
SINK_ROWS = Counter(
    "arbstream_sink_rows",
    "Rows the sink inserted into ClickHouse, per table",
    ["table"],
)

#: every metric of this module, for tests and dashboards
ALL: tuple[Counter | Gauge | Histogram, ...] = (
    EVENTS_IN,
    EVENTS_OUT,
    CONSUMER_LAG,
    DETECTION_LATENCY,
    OPPORTUNITIES,
    EXECUTIONS,
    DEAD_LETTERS,
    RPC_ERRORS,
    WS_RECONNECTS,
    HEAD_BLOCK,
    SINK_ROWS,
)


#: series suffixes each metric type exposes
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
}


def series_names() -> set[str]:
    """Every series name the metrics of :data:`ALL` expose (``_total``, ``_bucket``, ...)."""
    return {
        family.name + suffix
        for metric in ALL
        for family in metric.describe()
        for suffix in _SUFFIXES[family.type]
    }


# -- one-line call sites -------------------------------------------------------------------
def events_in(topic: str, chain: int | str, n: int = 1) -> None:
    """``n`` records of ``chain`` consumed from ``topic``."""
    EVENTS_IN.labels(topic=topic, chain=str(chain)).inc(n)


def events_out(topic: str, chain: int | str, n: int = 1) -> None:
    """``n`` records of ``chain`` produced to ``topic``."""
    EVENTS_OUT.labels(topic=topic, chain=str(chain)).inc(n)


def opportunity_out(topic: str, chain: int, kind: str, latency_ms: float) -> None:
    """An opportunity sent to ``topic``: counted by kind, its detection latency observed."""
    EVENTS_OUT.labels(topic=topic, chain=str(chain)).inc()
    OPPORTUNITIES.labels(chain=str(chain), kind=kind).inc()
    DETECTION_LATENCY.labels(chain=str(chain), kind=kind).observe(max(0.0, latency_ms) / 1000)


def execution_out(topic: str, chain: int, status: str) -> None:
    """An execution record sent to ``topic`` with its status."""
    EVENTS_OUT.labels(topic=topic, chain=str(chain)).inc()
    EXECUTIONS.labels(chain=str(chain), status=status).inc()


def dead_letter(stage: str) -> None:
    """A record that ``stage`` could not process went to the dead-letter topic or table."""
    DEAD_LETTERS.labels(stage=stage).inc()


# -- exporter ------------------------------------------------------------------------------
class Exporter:
    """A running metrics HTTP server (one thread); :meth:`stop` closes its port."""

    def __init__(self, port: int, server: WSGIServer, thread: threading.Thread) -> None:
        self.port = port
        self._server = server
        self._thread = thread

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def start_exporter(port: int, addr: str = "0.0.0.0") -> Exporter | None:
    """Serve ``/metrics`` on ``addr:port`` from a daemon thread; ``port`` 0 serves nothing.

    Raises :class:`ConfigError` when the port cannot be served (e.g. already in use).
    """
    if port == 0:
        log.info("metrics exporter disabled (metrics_port = 0)")
        return None
    try:
        server, thread = start_http_server(port, addr=addr)
    except OSError as exc:
        raise ConfigError(
            f"metrics_port: cannot serve metrics on {addr}:{port} ({exc}); "
            "choose another ARBSTREAM_METRICS_PORT, or 0 to disable"
        ) from exc
    log.info("metrics on http://%s:%s/metrics", addr, port)
    return Exporter(port, server, thread)
