"""Named analytics queries over the arbstream ClickHouse tables.

Every SQL statement the project runs over those tables lives here, once. Its readers:
``run_query`` / ``query_table`` (the demo summary in ``summary.py``, ``arbstream sql NAME``,
scripts, tests) and the Grafana dashboards, which ``arbstream dashboards`` generates from
these queries (``dashboards.py``: each panel target is a query rendered for database
``arbstream``, ``refId`` = query name).

Conventions:

- ``{db}`` stands for the database; :meth:`Query.render` substitutes it (backquoted
  when it is not a plain identifier). It is the only brace pair in the SQL.
- Time ranges use the Grafana ClickHouse plugin macros ``$__timeFilter_ms(expr)`` and
  ``$__timeInterval(expr)`` over ``fromUnixTimestamp64Milli(<*_ts_ms column>)``;
  :func:`expand_macros` expands them exactly as the plugin does, for a given range.
- Every table is a ReplacingMergeTree keyed on the record identity, and re-delivered
  records are only collapsed by background merges, so counts and sums read ``FINAL``.
  Pool events are versioned by ``removed``: a reorg retraction replaces the event and
  is filtered out with ``NOT removed``.
- Token amounts are exact UInt256/Int256 raw units. They are summed exactly and shown
  exactly as ``*_raw`` strings; float columns (``toFloat64(x) / pow(10, decimals)``)
  are for display only. Executions carry no decimals, so they are joined to their
  opportunity (``profit_decimals``). USD values come from the ``*_usd`` Float64 columns.
- Series labels (chain, kind, status) are strings so that Grafana turns long time-series
  frames into one series per label.
"""

from __future__ import annotations

import csv
import io
import re
import time
from dataclasses import dataclass
from typing import Any

from clickhouse_connect.driver.client import Client

from arbstream.analytics.macros import expand_macros

__all__ = [
    "QUERIES",
    "Query",
    "QueryTable",
    "expand_macros",
    "get_query",
    "query_table",
    "render",
    "run_query",
]


@dataclass(frozen=True, slots=True)
class Query:
    """One named query: ``sql`` holds the ``{db}`` placeholder and Grafana macros."""

    name: str
    title: str
    description: str
    sql: str
    #: True when Grafana should read the result as time series (a ``time`` column)
    time_series: bool = False

    def render(self, database: str) -> str:
        """The SQL for ``database`` (macros left in place)."""
        return render(self.sql, database)

    @property
    def tables(self) -> frozenset[str]:
        """Tables the query reads (every ``{db}.<table>`` reference)."""
        return frozenset(re.findall(r"\{db\}\.(\w+)", self.sql))


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def render(sql: str, database: str) -> str:
    """Substitute ``{db}`` in ``sql`` with ``database`` (backquoted unless a plain name)."""
    if _IDENTIFIER.fullmatch(database):
        name = database
    else:
        name = "`" + database.replace("\\", "\\\\").replace("`", "\\`") + "`"
    return sql.replace("{db}", name)


# --------------------------------------------------------------------------- queries

_OPP_T = "fromUnixTimestamp64Milli(detected_ts_ms)"
_TS_T = "fromUnixTimestamp64Milli(ts_ms)"
_ING_T = "fromUnixTimestamp64Milli(ingest_ts_ms)"

_QUERY_LIST: tuple[Query, ...] = (
    # ---- overview -------------------------------------------------------------
    Query(
        name="opportunities_total",
        title="Opportunities",
        description="Opportunities detected in the range (deduplicated), distinct cycles, "
        "and their estimated net profit in USD at detection.",
        sql=f"""SELECT
    count() AS opportunities,
    uniqExact(chain_id, cycle_id) AS cycles,
    sum(net_profit_usd) AS estimated_net_profit_usd
FROM {{db}}.opportunities FINAL
WHERE $__timeFilter_ms({_OPP_T})""",
    ),
    Query(
        name="execution_totals",
        title="Executions",
        description="Executor outcomes in the range: every decision, transactions sent "
        "(a tx hash), and succeeded / reverted / rejected counts.",
        sql=f"""SELECT
    count() AS executions,
    countIf(tx_hash != '') AS sent,
    countIf(status = 'succeeded') AS succeeded,
    countIf(status = 'reverted') AS reverted,
    countIf(status = 'rejected') AS rejected
FROM {{db}}.executions FINAL
WHERE $__timeFilter_ms({_TS_T})""",
    ),
    Query(
        name="realized_profit_usd_total",
        title="Realized profit (USD)",
        description="Sum of realized profit of succeeded executions, valued in USD by the "
        "executor at execution time.",
        sql=f"""SELECT sumIf(realized_profit_usd, status = 'succeeded') AS realized_usd
FROM {{db}}.executions FINAL
WHERE $__timeFilter_ms({_TS_T})""",
    ),
    Query(
        name="revert_rate",
        title="Revert rate",
        description="Reverted / mined (succeeded + reverted) transactions; NULL when none "
        "was mined. Transactions without a receipt (failed) are not mined.",
        sql=f"""SELECT
    countIf(status = 'reverted')
        / nullIf(countIf(status IN ('succeeded', 'reverted')), 0) AS revert_rate
FROM {{db}}.executions FINAL
WHERE $__timeFilter_ms({_TS_T})""",
    ),
    Query(
        name="ingest_freshness",
        title="Seconds since last block",
        description="Per chain: head block number and seconds since the last block was "
        "ingested (whole table, not the time range; max() needs no FINAL).",
        sql="""SELECT
    toString(chain_id) AS chain,
    max(number) AS head_block,
    (toUnixTimestamp64Milli(now64(3)) - max(ingest_ts_ms)) / 1000 AS seconds_since_last_block
FROM {db}.blocks
GROUP BY chain
ORDER BY chain""",
    ),
    # ---- detection --------------------------------------------------------------
    Query(
        name="opportunities_per_minute",
        title="Opportunities per minute by chain and kind",
        description="Opportunities detected per minute, one series per (chain, kind).",
        sql=f"""SELECT
    toStartOfMinute({_OPP_T}) AS time,
    toString(chain_id) AS chain,
    kind,
    count() AS opportunities
FROM {{db}}.opportunities FINAL
WHERE $__timeFilter_ms({_OPP_T})
GROUP BY time, chain, kind
ORDER BY time, chain, kind""",
        time_series=True,
    ),
    Query(
        name="detection_latency_over_time",
        title="Detection latency p50 / p95 / p99",
        description="Milliseconds from the triggering event's ingest to detection, exact "
        "quantiles per dashboard interval.",
        sql=f"""SELECT
    $__timeInterval({_OPP_T}) AS time,
    quantileExact(0.5)(latency_ms) AS p50,
    quantileExact(0.95)(latency_ms) AS p95,
    quantileExact(0.99)(latency_ms) AS p99
FROM {{db}}.opportunities FINAL
WHERE $__timeFilter_ms({_OPP_T})
GROUP BY time
ORDER BY time""",
        time_series=True,
    ),
    Query(
        name="detection_latency_quantiles",
        title="Detection latency by chain",
        description="Exact p50 / p95 / p99 / max of opportunities.latency_ms per chain.",
        sql=f"""SELECT
    chain_id,
    count() AS opportunities,
    quantileExact(0.5)(latency_ms) AS p50_ms,
    quantileExact(0.95)(latency_ms) AS p95_ms,
    quantileExact(0.99)(latency_ms) AS p99_ms,
    max(latency_ms) AS max_ms
FROM {{db}}.opportunities FINAL
WHERE $__timeFilter_ms({_OPP_T})
GROUP BY chain_id
ORDER BY chain_id""",
    ),
    Query(
        name="price_dislocation",
        title="Price dislocation across DEXes",
        description="Per token pair with two or more pools: each pool's latest Sync price "
        "(reserve1 / reserve0 in raw units; decimals cancel between pools of one pair), "
        "the spread between the cheapest and dearest pool in bps, and that spread net of "
        "the two pools' fees.",
        sql=f"""SELECT
    chain_id,
    token0,
    token1,
    count() AS pools,
    arrayStringConcat(arraySort(groupArray(dex)), ', ') AS dexes,
    min(price) AS min_price,
    max(price) AS max_price,
    (max(price) / min(price) - 1) * 10000 AS dislocation_bps,
    dislocation_bps - argMin(fee_bps, price) - argMax(fee_bps, price) AS edge_after_fees_bps
FROM
(
    SELECT
        chain_id,
        pool,
        any(dex) AS dex,
        any(token0) AS token0,
        any(token1) AS token1,
        any(fee_bps) AS fee_bps,
        argMax(toFloat64(reserve1) / toFloat64(reserve0), (block_number, log_index)) AS price
    FROM {{db}}.pool_events FINAL
    WHERE kind = 'Sync' AND NOT removed AND reserve0 > 0 AND reserve1 > 0
        AND $__timeFilter_ms({_ING_T})
    GROUP BY chain_id, pool
)
GROUP BY chain_id, token0, token1
HAVING pools >= 2
ORDER BY dislocation_bps DESC, chain_id, token0, token1
LIMIT 20""",
    ),
    # ---- execution --------------------------------------------------------------
    Query(
        name="execution_status_breakdown",
        title="Execution status by chain",
        description="Executor decisions per chain and status (succeeded, reverted, "
        "rejected, failed, simulated).",
        sql=f"""SELECT
    toString(chain_id) AS chain,
    status,
    count() AS executions
FROM {{db}}.executions FINAL
WHERE $__timeFilter_ms({_TS_T})
GROUP BY chain, status
ORDER BY chain, status""",
    ),
    Query(
        name="execution_outcomes_over_time",
        title="Execution outcomes",
        description="Executor decisions per dashboard interval, one series per status.",
        sql=f"""SELECT
    $__timeInterval({_TS_T}) AS time,
    status,
    count() AS executions
FROM {{db}}.executions FINAL
WHERE $__timeFilter_ms({_TS_T})
GROUP BY time, status
ORDER BY time, status""",
        time_series=True,
    ),
    Query(
        name="cumulative_realized_profit_usd",
        title="Cumulative realized profit (USD) by chain",
        description="Running sum of realized_profit_usd of succeeded executions per chain.",
        sql=f"""SELECT
    time,
    chain,
    sum(profit_usd) OVER (PARTITION BY chain ORDER BY time) AS cumulative_usd
FROM
(
    SELECT
        $__timeInterval({_TS_T}) AS time,
        toString(chain_id) AS chain,
        sum(realized_profit_usd) AS profit_usd
    FROM {{db}}.executions FINAL
    WHERE status = 'succeeded' AND $__timeFilter_ms({_TS_T})
    GROUP BY time, chain
)
ORDER BY time, chain""",
        time_series=True,
    ),
    Query(
        name="realized_vs_expected_profit",
        title="Realized vs expected profit by chain and token",
        description="Mined transactions (succeeded + reverted) per chain and profit token: "
        "the executor's expected profit against realized profit, exact (raw units) and "
        "in token units (decimals from the opportunity), with the capture ratio; and the "
        "detector's estimated net USD against realized USD.",
        sql=f"""SELECT
    e.chain_id AS chain,
    e.profit_symbol AS token,
    count() AS mined,
    countIf(e.status = 'succeeded') AS succeeded,
    toString(sum(e.expected_profit)) AS expected_raw,
    toString(sumIf(e.realized_profit, e.status = 'succeeded')) AS realized_raw,
    toFloat64(sum(e.expected_profit)) / pow(10, max(o.profit_decimals)) AS expected,
    toFloat64(sumIf(e.realized_profit, e.status = 'succeeded'))
        / pow(10, max(o.profit_decimals)) AS realized,
    realized / nullIf(expected, 0) AS capture_ratio,
    sum(o.net_profit_usd) AS expected_net_usd,
    sumIf(e.realized_profit_usd, e.status = 'succeeded') AS realized_usd
FROM
(
    SELECT opportunity_id, chain_id, status, expected_profit, realized_profit,
        realized_profit_usd, profit_token, profit_symbol
    FROM {{db}}.executions FINAL
    WHERE status IN ('succeeded', 'reverted') AND $__timeFilter_ms({_TS_T})
) AS e
LEFT JOIN
(
    SELECT id, profit_decimals, net_profit_usd
    FROM {{db}}.opportunities FINAL
) AS o ON o.id = e.opportunity_id
GROUP BY e.chain_id, e.profit_token, e.profit_symbol
ORDER BY chain, token""",
    ),
    Query(
        name="top_cycles_by_realized_profit",
        title="Top cycles by realized profit",
        description="The ten cycles with the largest realized USD profit over succeeded "
        "executions, with their DEX route and exact realized profit.",
        sql=f"""SELECT
    e.chain_id AS chain,
    o.cycle_id AS cycle,
    arrayStringConcat(any(o.dexes), ' -> ') AS route,
    any(o.profit_symbol) AS token,
    count() AS trades,
    toString(sum(e.realized_profit)) AS realized_raw,
    toFloat64(sum(e.realized_profit)) / pow(10, any(o.profit_decimals)) AS realized,
    sum(e.realized_profit_usd) AS realized_usd
FROM
(
    SELECT opportunity_id, chain_id, realized_profit, realized_profit_usd
    FROM {{db}}.executions FINAL
    WHERE status = 'succeeded' AND $__timeFilter_ms({_TS_T})
) AS e
INNER JOIN
(
    SELECT id, cycle_id, arrayMap(l -> tupleElement(l, 'dex'), legs) AS dexes,
        profit_symbol, profit_decimals
    FROM {{db}}.opportunities FINAL
) AS o ON o.id = e.opportunity_id
GROUP BY e.chain_id, o.cycle_id
ORDER BY realized_usd DESC, chain, cycle
LIMIT 10""",
    ),
    Query(
        name="revert_rate_per_chain",
        title="Revert rate by chain",
        description="Reverted / mined (succeeded + reverted) transactions per chain; NULL "
        "for a chain with no mined transaction.",
        sql=f"""SELECT
    toString(chain_id) AS chain,
    countIf(status = 'reverted')
        / nullIf(countIf(status IN ('succeeded', 'reverted')), 0) AS revert_rate
FROM {{db}}.executions FINAL
WHERE $__timeFilter_ms({_TS_T})
GROUP BY chain
ORDER BY chain""",
    ),
    Query(
        name="gas_spent_per_chain",
        title="Gas spent by chain",
        description="Transactions sent per chain: gas used, exact gas cost in wei, the cost "
        "in native units (18 decimals) and the mean effective gas price in gwei.",
        sql=f"""SELECT
    toString(chain_id) AS chain,
    count() AS transactions,
    sum(gas_used) AS total_gas_used,
    toString(sum(gas_cost_wei)) AS gas_cost_wei_raw,
    toFloat64(sum(gas_cost_wei)) / 1e18 AS gas_cost_native,
    avgIf(toFloat64(effective_gas_price), gas_used > 0) / 1e9 AS avg_gas_price_gwei
FROM {{db}}.executions FINAL
WHERE tx_hash != '' AND $__timeFilter_ms({_TS_T})
GROUP BY chain
ORDER BY chain""",
    ),
    Query(
        name="rejection_reasons",
        title="Rejection reasons",
        description="Rejected opportunities per chain grouped by reason, with numbers "
        "masked as N so that reasons differing only in amounts group together.",
        sql=f"""SELECT
    chain_id AS chain,
    replaceRegexpAll(reason, '[0-9]+([.,][0-9]+)*', 'N') AS reason_pattern,
    count() AS rejections,
    any(reason) AS example
FROM {{db}}.executions FINAL
WHERE status = 'rejected' AND $__timeFilter_ms({_TS_T})
GROUP BY chain, reason_pattern
ORDER BY rejections DESC, chain, reason_pattern
LIMIT 20""",
    ),
    # ---- ingest -------------------------------------------------------------------
    Query(
        name="events_per_block",
        title="Pool events per block by chain",
        description="Blocks ingested in the range per chain with their live (not "
        "retracted) pool events: total, mean and max events per block (blocks without "
        "events count as 0).",
        sql=f"""SELECT
    toString(b.chain_id) AS chain,
    count() AS blocks,
    sum(ev.events) AS total_events,
    avg(ev.events) AS events_per_block,
    max(ev.events) AS max_events_per_block
FROM
(
    SELECT chain_id, hash
    FROM {{db}}.blocks FINAL
    WHERE $__timeFilter_ms({_ING_T})
) AS b
LEFT JOIN
(
    SELECT chain_id, block_hash, count() AS events
    FROM {{db}}.pool_events FINAL
    WHERE NOT removed AND $__timeFilter_ms({_ING_T})
    GROUP BY chain_id, block_hash
) AS ev ON ev.chain_id = b.chain_id AND ev.block_hash = b.hash
GROUP BY b.chain_id
ORDER BY chain""",
    ),
    Query(
        name="dead_letters",
        title="Dead letters",
        description="Records a stream could not process, per stage and source topic.",
        sql=f"""SELECT
    stage,
    source_topic,
    count() AS records,
    max({_TS_T}) AS last_seen,
    any(reason) AS example_reason
FROM {{db}}.dead_letters FINAL
WHERE $__timeFilter_ms({_TS_T})
GROUP BY stage, source_topic
ORDER BY records DESC, stage, source_topic""",
    ),
    # ---- run summary (whole database, no time range) --------------------------------
    Query(
        name="summary_counts_by_chain",
        title="Run totals by chain",
        description="Per chain over the whole database: blocks, pools, live pool events, "
        "opportunities with their median detection latency, transactions sent, succeeded, "
        "reverted, rejected, exact gas cost in wei and realized USD. A chain missing "
        "from one table reads 0 there.",
        sql="""SELECT
    chain_id,
    blocks,
    pools,
    events,
    opportunities,
    median_latency_ms,
    executions_sent,
    executions_succeeded,
    executions_reverted,
    rejected,
    gas_spent_wei,
    realized_profit_usd
FROM
(
    SELECT chain_id, count() AS blocks
    FROM {db}.blocks FINAL
    GROUP BY chain_id
) AS b
FULL OUTER JOIN
(
    SELECT chain_id, count() AS pools
    FROM {db}.pools FINAL
    GROUP BY chain_id
) AS p USING (chain_id)
FULL OUTER JOIN
(
    SELECT chain_id, countIf(NOT removed) AS events
    FROM {db}.pool_events FINAL
    GROUP BY chain_id
) AS ev USING (chain_id)
FULL OUTER JOIN
(
    SELECT chain_id, count() AS opportunities, quantileExact(0.5)(latency_ms) AS median_latency_ms
    FROM {db}.opportunities FINAL
    GROUP BY chain_id
) AS o USING (chain_id)
FULL OUTER JOIN
(
    SELECT
        chain_id,
        countIf(tx_hash != '') AS executions_sent,
        countIf(status = 'succeeded') AS executions_succeeded,
        countIf(status = 'reverted') AS executions_reverted,
        countIf(status = 'rejected') AS rejected,
        sum(gas_cost_wei) AS gas_spent_wei,
        sum(realized_profit_usd) AS realized_profit_usd
    FROM {db}.executions FINAL
    GROUP BY chain_id
) AS e USING (chain_id)
ORDER BY chain_id""",
    ),
    Query(
        name="realized_profit_by_token",
        title="Realized profit by chain and token",
        description="Exact sum of realized profit (raw units of the profit token) of "
        "succeeded executions per chain and token, over the whole database.",
        sql="""SELECT
    chain_id,
    profit_token,
    sum(realized_profit) AS realized
FROM {db}.executions FINAL
WHERE status = 'succeeded'
GROUP BY chain_id, profit_token
ORDER BY chain_id, profit_token""",
    ),
)

#: every query by name
QUERIES: dict[str, Query] = {q.name: q for q in _QUERY_LIST}
if len(QUERIES) != len(_QUERY_LIST):  # pragma: no cover - guards edits
    raise RuntimeError("duplicate query names")


def get_query(name: str) -> Query:
    """The query named ``name``; KeyError listing the known names otherwise."""
    try:
        return QUERIES[name]
    except KeyError:
        raise KeyError(f"unknown query {name!r}; known: {', '.join(QUERIES)}") from None


@dataclass(frozen=True, slots=True)
class QueryTable:
    """A query's result: column names and rows (UInt256/Int256 as Python ints)."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        """One ``{column: value}`` per row."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_csv(self) -> str:
        """CSV with a header line (integers exact, NULL as an empty field)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows([_cell(v) for v in row] for row in self.rows)
        return out.getvalue()

    def to_text(self) -> str:
        """An aligned text table: numbers right-aligned, the row count last."""
        cells = [[_cell(v) for v in row] for row in self.rows]
        widths = [
            max([len(name), *(len(r[i]) for r in cells)]) for i, name in enumerate(self.columns)
        ]
        numeric = [
            all(isinstance(row[i], int | float) for row in self.rows) for i in range(len(widths))
        ]

        def line(values: list[str]) -> str:
            return "  ".join(
                v.rjust(w) if num else v.ljust(w)
                for v, w, num in zip(values, widths, numeric, strict=True)
            ).rstrip()

        lines = [line(list(self.columns)), line(["-" * w for w in widths])]
        lines += [line(r) for r in cells]
        lines.append(f"({len(self.rows)} row{'' if len(self.rows) == 1 else 's'})")
        return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def query_table(
    client: Client,
    name: str,
    database: str,
    *,
    from_ms: int | None = None,
    to_ms: int | None = None,
    interval_s: int = 60,
) -> QueryTable:
    """Run query ``name`` against ``database`` with a clickhouse-connect ``client``.

    The time range defaults to the last 24 hours; ``interval_s`` is the bucket size of
    ``$__timeInterval``. Queries without time macros ignore both.
    """
    now = time.time_ns() // 1_000_000
    to_ms = now if to_ms is None else to_ms
    from_ms = to_ms - 86_400_000 if from_ms is None else from_ms
    sql = expand_macros(
        get_query(name).render(database), from_ms=from_ms, to_ms=to_ms, interval_s=interval_s
    )
    result = client.query(sql)
    return QueryTable(tuple(result.column_names), [tuple(row) for row in result.result_rows])


def run_query(client: Client, name: str, database: str, **window: Any) -> list[tuple[Any, ...]]:
    """The rows of :func:`query_table` (same arguments: ``from_ms``, ``to_ms``,
    ``interval_s``)."""
    return query_table(client, name, database, **window).rows
