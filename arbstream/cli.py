"""The ``arbstream`` command: demo, workers and the production services."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from arbstream.config import Settings, load_settings
from arbstream.errors import ArbstreamError, ConfigError

log = logging.getLogger("arbstream")


def _setup_logging(level: str, command: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    noisy = ["aiokafka", "web3", "urllib3", "websockets"]
    if command != "worker":  # a worker's own Faust log says when it is ready
        noisy += ["faust", "mode"]
    for name in noisy:
        logging.getLogger(name).setLevel(logging.WARNING)


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(Path(args.config) if args.config else None)


def cmd_demo(args: argparse.Namespace) -> int:
    from arbstream.localstack.demo import DemoOptions, run_demo

    base = _settings(args)
    opts = DemoOptions(
        duration_s=args.duration,
        chain_ids=tuple(int(c) for c in args.chains.split(",")),
        summary_path=Path(args.summary) if args.summary else None,
        data_dir=Path(args.data_dir) if args.data_dir else None,
        seed=args.seed,
    )
    return asyncio.run(run_demo(base, opts))


def cmd_worker(args: argparse.Namespace) -> int:
    settings = _settings(args)
    from arbstream import metrics
    from arbstream.streams.agents import consumer_lag
    from arbstream.streams.app import build_streams_app, run_worker

    if args.app == "streams":
        app = build_streams_app(settings)
    else:
        from arbstream.executor.app import build_executor_app

        app = build_executor_app(settings)
    consumer_lag.register(app)
    # a daemon thread of this worker process, serving until the process exits
    metrics.start_exporter(settings.metrics_port_of(args.app))
    run_worker(app, settings.log_level)
    return 0


def cmd_sink(args: argparse.Namespace) -> int:
    from arbstream.analytics.sink import run_sink

    return asyncio.run(run_sink(_settings(args)))


def cmd_ingest(args: argparse.Namespace) -> int:
    from arbstream.ingest.service import run_ingest

    chains = [int(c) for c in args.chains.split(",")] if args.chains else None
    return asyncio.run(run_ingest(_settings(args), chains))


def cmd_topics(args: argparse.Namespace) -> int:
    from arbstream.log import ensure_topics

    settings = _settings(args)
    asyncio.run(ensure_topics(settings.bootstrap_servers, settings.topics))
    print("\n".join(settings.topics.all()))
    return 0


def cmd_ddl(args: argparse.Namespace) -> int:
    from arbstream.analytics.tables import ddl

    settings = _settings(args)
    print(";\n\n".join(ddl(settings.clickhouse_database)) + ";")
    return 0


def cmd_dashboards(args: argparse.Namespace) -> int:
    from arbstream.analytics.dashboards import write_dashboards

    for path in write_dashboards(Path(args.out)):
        print(path)
    return 0


#: ``arbstream sql --param`` names: the query's time range and bucket size
SQL_PARAMS = ("from_ms", "to_ms", "interval_s")


def _sql_params(pairs: list[str]) -> dict[str, int]:
    params: dict[str, int] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in SQL_PARAMS:
            raise ConfigError(
                f"--param {pair!r}: expected NAME=VALUE, NAME one of {', '.join(SQL_PARAMS)}"
            )
        try:
            params[key] = int(value)
        except ValueError:
            raise ConfigError(f"--param {pair!r}: {key} must be an integer") from None
    return params


def cmd_sql(args: argparse.Namespace) -> int:
    from arbstream.analytics.queries import QUERIES

    if args.name is None:
        width = max(len(name) for name in QUERIES)
        for query in QUERIES.values():
            print(f"{query.name:<{width}}  {query.title}")
        return 0
    if args.name not in QUERIES:
        raise ConfigError(f"unknown query {args.name!r}; `arbstream sql` lists them")
    params = _sql_params(args.param)
    from arbstream.analytics.clickhouse import connect
    from arbstream.analytics.queries import query_table

    settings = _settings(args)
    client = connect(settings.clickhouse_dsn)
    try:
        table = query_table(client, args.name, settings.clickhouse_database, **params)
    finally:
        client.close()
    sys.stdout.write(table.to_csv() if args.format == "csv" else table.to_text())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arbstream", description=__doc__)
    parser.add_argument("--config", help="TOML or JSON config file (also ARBSTREAM_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the whole pipeline on the embedded local stack")
    demo.add_argument(
        "--duration", type=float, default=90.0, help="seconds of market flow (default 90)"
    )
    demo.add_argument("--summary", help="also write the summary as JSON to this path")
    demo.add_argument("--chains", default="1,56", help="chain ids to simulate (default 1,56)")
    demo.add_argument("--data-dir", help="run folder (default .arbstream/demo-<time>)")
    demo.add_argument("--seed", type=int, default=7, help="market simulator seed")
    demo.add_argument("--verbose", action="store_true", help="log every component (INFO) to stderr")
    demo.set_defaults(func=cmd_demo)

    worker = sub.add_parser("worker", help="run a Faust worker: the stream app or the executor")
    worker.add_argument("app", choices=["streams", "executor"])
    worker.set_defaults(func=cmd_worker)

    sink = sub.add_parser("sink", help="consume every topic into ClickHouse")
    sink.set_defaults(func=cmd_sink)

    ingest = sub.add_parser("ingest", help="run the chain ingestors of the configured chains")
    ingest.add_argument("--chains", help="comma-separated chain ids (default: all configured)")
    ingest.set_defaults(func=cmd_ingest)

    topics = sub.add_parser("topics", help="create the pipeline topics")
    topics.set_defaults(func=cmd_topics)

    ddl = sub.add_parser("ddl", help="print the ClickHouse DDL generated from the schemas")
    ddl.set_defaults(func=cmd_ddl)

    dashboards = sub.add_parser(
        "dashboards", help="write the Grafana dashboards generated from the query library"
    )
    dashboards.add_argument("--out", default="dashboards", help="folder (default dashboards)")
    dashboards.set_defaults(func=cmd_dashboards)

    sql = sub.add_parser(
        "sql", help="run a named query of the library (without NAME: list the queries)"
    )
    sql.add_argument("name", nargs="?", metavar="NAME", help="query name")
    sql.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="K=V",
        help=f"one of {', '.join(SQL_PARAMS)} (epoch ms / seconds; default: the last 24 h)",
    )
    sql.add_argument("--format", choices=["table", "csv"], default="table")
    sql.set_defaults(func=cmd_sql)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        level = _settings(args).log_level
    except ArbstreamError as exc:
        print(f"arbstream: {exc}", file=sys.stderr)
        return 2
    if args.command == "demo" and not args.verbose:
        level = "WARNING"  # the demo prints its own progress; component logs are in the run folder
    _setup_logging(level, args.command)
    try:
        return int(args.func(args))
    except ArbstreamError as exc:
        log.error("%s", exc)
        return 2
    except KeyboardInterrupt:
        return 130
