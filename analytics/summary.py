"""The run summary: per chain counts from ClickHouse, realized profit checked on chain."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from clickhouse_connect.driver.client import Client


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
    """Per-chain counts, deduplicated on each record's identity (FINAL)."""
    out: dict[int, dict[str, Any]] = {}

    def put(sql: str, *names: str) -> None:
        for row in client.query(sql).result_rows:
            entry = out.setdefault(int(row[0]), {})
            for name, value in zip(names, row[1:], strict=True):
                entry[name] = value

    db = f"`{database}`"
    put(f"SELECT chain_id, count() FROM {db}.blocks FINAL GROUP BY chain_id", "blocks")
    put(f"SELECT chain_id, count() FROM {db}.pools FINAL GROUP BY chain_id", "pools")
    put(
        f"SELECT chain_id, countIf(NOT removed) FROM {db}.pool_events FINAL GROUP BY chain_id",
        "events",
    )
    put(
        f"SELECT chain_id, count(), quantileExact(0.5)(latency_ms) FROM {db}.opportunities FINAL GROUP BY chain_id",
        "opportunities",
        "median_latency_ms",
    )
    put(
        f"""SELECT chain_id, countIf(tx_hash != ''), countIf(status = 'succeeded'),
               countIf(status = 'reverted'), countIf(status = 'rejected'),
               sum(gas_cost_wei), sum(realized_profit_usd)
            FROM {db}.executions FINAL GROUP BY chain_id""",
        "executions_sent",
        "executions_succeeded",
        "executions_reverted",
        "rejected",
        "gas_spent_wei",
        "realized_profit_usd",
    )
    return out


def realized_by_token(client: Client, database: str) -> dict[tuple[int, str], int]:
    rows = client.query(
        f"""SELECT chain_id, profit_token, sum(realized_profit)
            FROM `{database}`.executions FINAL WHERE status = 'succeeded'
            GROUP BY chain_id, profit_token"""
    ).result_rows
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
