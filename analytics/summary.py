"""The run summary: per chain counts from ClickHouse, realized profit checked on chain.

The SQL is in the query library (``queries.py``: ``summary_counts_by_chain``,
``realized_profit_by_token``); this module shapes the rows for the demo.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from clickhouse_connect.driver.client import Client

from arbstream.analytics.queries import query_table, run_query


@dataclass
class TokenProfit:
    symbol: str
    token: str
    decimals: int
    realized: int  # sum of realized profit of succeeded executions (from ArbExecuted)
    balance_delta: int  # contract balance after - before, read from the chain
    matches: bool


@dataclass
class ChainSummary:
    chain_id: int
    name: str
    blocks: int = 0
    pools: int = 0
    events: int = 0
    opportunities: int = 0
    executions_sent: int = 0
    executions_succeeded: int = 0
    executions_reverted: int = 0
    rejected: int = 0
    gas_spent_wei: int = 0
    realized_profit_usd: float = 0.0
    median_latency_ms: float = 0.0
    profits: list[TokenProfit] = field(default_factory=list)

    @property
    def profit_matches(self) -> bool:
        return all(p.matches for p in self.profits)


def counts_by_chain(client: Client, database: str) -> dict[int, dict[str, Any]]:
    """Per-chain counts (query ``summary_counts_by_chain``), deduplicated with FINAL."""
    table = query_table(client, "summary_counts_by_chain", database)
    return {int(row.pop("chain_id")): row for row in table.dicts()}


def realized_by_token(client: Client, database: str) -> dict[tuple[int, str], int]:
    """Exact realized profit per (chain, token) (query ``realized_profit_by_token``)."""
    rows = run_query(client, "realized_profit_by_token", database)
    return {(int(c), str(t)): int(v) for c, t, v in rows}


def to_json_dict(chains: list[ChainSummary], **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "chains": [{**asdict(c), "profit_matches": c.profit_matches} for c in chains],
    }


def format_table(chains: list[ChainSummary]) -> str:
    lines = [
        f"{'chain':<10} {'blocks':>6} {'events':>7} {'opps':>6} {'sent':>5} {'ok':>4} {'revert':>6} {'profit $':>10}  check",
    ]
    for c in chains:
        lines.append(
            f"{c.name:<10} {c.blocks:>6} {c.events:>7} {c.opportunities:>6} {c.executions_sent:>5} "
            f"{c.executions_succeeded:>4} {c.executions_reverted:>6} {c.realized_profit_usd:>10.2f}  "
            f"{'on-chain balance matches' if c.profit_matches else 'MISMATCH'}"
        )
        for p in c.profits:
            lines.append(
                f"{'':<10} {p.symbol:>6}: realized {p.realized} = {p.realized / 10**p.decimals:.6f} "
                f"{p.symbol}; contract balance delta {p.balance_delta} {'==' if p.matches else '!='}"
            )
    return "\n".join(lines)
