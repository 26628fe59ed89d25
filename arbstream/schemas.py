"""Versioned event schemas, defined once.

Producers, Faust agents, the ClickHouse sink (its DDL is generated from these
definitions) and replay all use these classes. Token amounts are Python ints end to
end (uint256/int256 in ClickHouse); floats only for derived analytics (USD, latency).

Records travel as JSON objects with a ``schema`` field naming the versioned schema
(e.g. ``arbstream.pool_event.v1``); JSON keeps integers exact at any size.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar, get_type_hints

from arbstream.errors import SchemaError

T = TypeVar("T", bound="Record")


def col(ch_type: str, **kwargs: Any) -> Any:
    """A dataclass field with its ClickHouse column type."""
    return field(metadata={"ch": ch_type}, **kwargs)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


_DEFAULT_CH = {str: "String", bool: "Bool", float: "Float64"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """Base of every record: versioned name, identity, JSON codec, ClickHouse DDL."""

    SCHEMA: ClassVar[str] = ""
    #: columns that together identify a record (the sink is idempotent on them)
    IDENTITY: ClassVar[tuple[str, ...]] = ()
    #: ReplacingMergeTree version column (a later version of an identity wins)
    VERSION: ClassVar[str | None] = None

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_json(self) -> bytes:
        return json.dumps({"schema": self.SCHEMA, **self.to_dict()}, separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any], *, source: str = "") -> T:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in values and _required(f)]
        if missing:
            raise SchemaError(f"missing fields {missing}", schema=cls.SCHEMA, source=source)
        try:
            return cls(**values)
        except TypeError as exc:
            raise SchemaError(str(exc), schema=cls.SCHEMA, source=source) from exc

    @classmethod
    def from_json(cls: type[T], raw: bytes | str, *, source: str = "") -> T:
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise SchemaError(f"not JSON: {exc}", schema=cls.SCHEMA, source=source) from exc
        if not isinstance(data, dict) or data.get("schema") != cls.SCHEMA:
            got = data.get("schema") if isinstance(data, dict) else type(data).__name__
            raise SchemaError(
                f"expected schema {cls.SCHEMA}, got {got!r}", schema=cls.SCHEMA, source=source
            )
        return cls.from_dict(data, source=source)

    def identity(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.IDENTITY)

    @classmethod
    def columns(cls) -> list[tuple[str, str]]:
        hints = get_type_hints(cls)
        out = []
        for f in dataclasses.fields(cls):
            ch = f.metadata.get("ch") or _DEFAULT_CH.get(hints[f.name])
            if ch is None:
                raise TypeError(f"{cls.__name__}.{f.name}: no ClickHouse type")
            out.append((f.name, ch))
        return out


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockHeader(Record):
    SCHEMA: ClassVar[str] = "arbstream.block.v1"
    IDENTITY: ClassVar[tuple[str, ...]] = ("chain_id", "hash")

    chain_id: int = col("UInt32")
    number: int = col("UInt64")
    hash: str
    parent_hash: str
    timestamp: int = col("UInt64")
    base_fee_per_gas: int = col("UInt256")
    gas_used: int = col("UInt64")
    ingest_ts_ms: int = col("Int64", default_factory=now_ms)


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolCreated(Record):
    SCHEMA: ClassVar[str] = "arbstream.pool.v1"
    IDENTITY: ClassVar[tuple[str, ...]] = ("chain_id", "pool")

    chain_id: int = col("UInt32")
    dex: str
    factory: str
    pool: str
    token0: str
    token1: str
    fee_bps: int = col("UInt16")
    block_number: int = col("UInt64")
    block_hash: str
    tx_hash: str
    log_index: int = col("UInt32")
    ingest_ts_ms: int = col("Int64", default_factory=now_ms)


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolEvent(Record):
    """A V2 pool log (Sync or Swap), enriched with the pool's tokens and fee.

    ``removed`` marks a retraction of an earlier event with the same identity (reorg).
    """

    SCHEMA: ClassVar[str] = "arbstream.pool_event.v1"
    IDENTITY: ClassVar[tuple[str, ...]] = ("chain_id", "block_hash", "tx_hash", "log_index")
    VERSION: ClassVar[str | None] = "removed"

    kind: str  # "Sync" | "Swap"
    chain_id: int = col("UInt32")
    dex: str
    pool: str
    token0: str
    token1: str
    fee_bps: int = col("UInt16")
    block_number: int = col("UInt64")
    block_hash: str
    tx_hash: str
    log_index: int = col("UInt32")
    removed: bool = False
    reserve0: int = col("UInt256", default=0)
    reserve1: int = col("UInt256", default=0)
    amount0_in: int = col("UInt256", default=0)
    amount1_in: int = col("UInt256", default=0)
    amount0_out: int = col("UInt256", default=0)
    amount1_out: int = col("UInt256", default=0)
    sender: str = ""
    recipient: str = ""
    ingest_ts_ms: int = col("Int64", default_factory=now_ms)

    @property
    def key(self) -> str:
        return f"{self.chain_id}:{self.pool}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Opportunity(Record):
    """A priced arbitrage cycle at its optimal input, in exact start-token units."""

    SCHEMA: ClassVar[str] = "arbstream.opportunity.v1"
    IDENTITY: ClassVar[tuple[str, ...]] = ("id",)

    id: str
    kind: str  # cross_dex | cyclic | cross_chain
    chain_id: int = col("UInt32")
    cycle_id: str
    pools: list[str] = col("Array(String)")
    dexes: list[str] = col("Array(String)")
    tokens: list[str] = col("Array(String)")  # start token first, len(pools) + 1 (closes the cycle)
    zero_for_one: list[bool] = col("Array(Bool)")
    fees_bps: list[int] = col("Array(UInt16)")
    amount_in: int = col("UInt256")
    amount_out: int = col("UInt256")
    gross_profit: int = col("Int256")
    gas_estimate: int = col("UInt64")
    gas_price_wei: int = col("UInt256")
    gas_cost_wei: int = col("UInt256")
    gas_cost_token: int = col("UInt256")  # gas cost converted into start-token units
    net_profit: int = col("Int256")
    profit_token: str
    profit_symbol: str
    profit_decimals: int = col("UInt8")
    gross_profit_usd: float
    net_profit_usd: float
    state_blocks: list[int] = col("Array(UInt64)")
    state_log_indexes: list[int] = col("Array(UInt32)")
    trigger_block: int = col("UInt64")
    trigger_tx: str
    trigger_log_index: int = col("UInt32")
    event_ingest_ts_ms: int = col("Int64")
    detected_ts_ms: int = col("Int64", default_factory=now_ms)
    latency_ms: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.chain_id}:{self.cycle_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Execution(Record):
    """What the executor did with one opportunity."""

    SCHEMA: ClassVar[str] = "arbstream.execution.v1"
    IDENTITY: ClassVar[tuple[str, ...]] = ("opportunity_id",)

    opportunity_id: str
    chain_id: int = col("UInt32")
    status: str  # succeeded | reverted | rejected | failed | simulated
    reason: str = ""
    tx_hash: str = ""
    block_number: int = col("UInt64", default=0)
    amount_in: int = col("UInt256", default=0)
    expected_profit: int = col("Int256", default=0)
    simulated_profit: int = col("Int256", default=0)
    realized_profit: int = col("Int256", default=0)
    profit_token: str = ""
    profit_symbol: str = ""
    gas_used: int = col("UInt64", default=0)
    effective_gas_price: int = col("UInt256", default=0)
    gas_cost_wei: int = col("UInt256", default=0)
    realized_profit_usd: float = 0.0
    ts_ms: int = col("Int64", default_factory=now_ms)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetter(Record):
    """A record a stream could not process, with the reason and its source offset."""

    SCHEMA: ClassVar[str] = "arbstream.dead_letter.v1"
    IDENTITY: ClassVar[tuple[str, ...]] = ("source_topic", "source_partition", "source_offset")

    source_topic: str
    source_partition: int = col("UInt32")
    source_offset: int = col("Int64")
    stage: str
    reason: str
    payload: str
    ts_ms: int = col("Int64", default_factory=now_ms)


ALL_RECORDS: tuple[type[Record], ...] = (
    BlockHeader,
    PoolCreated,
    PoolEvent,
    Opportunity,
    Execution,
    DeadLetter,
)
