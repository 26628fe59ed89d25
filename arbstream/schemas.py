"""Versioned event schemas, defined once.

Producers, Faust agents, the ClickHouse sink (its DDL is generated from these
definitions) and replay all use these classes. Token amounts are Python ints end to
end (uint256/int256 in ClickHouse); floats only for derived analytics (USD, latency).

Records travel as JSON objects with a ``schema`` field naming the versioned schema
(e.g. ``arbstream.pool_event.v1``); JSON keeps integers exact at any size. A record whose
schema moved on reads its older versions too (``UPGRADES``: the old dict -> the new one),
and its ClickHouse table migrates at start (``MIGRATIONS``: a default expression that
computes a new column for rows written before it existed), so v1 rows stay readable.
Lists of nested structs (an opportunity's legs) are ``Array(Tuple(...))`` columns.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar, get_type_hints

from arbstream.errors import SchemaError

T = TypeVar("T", bound="Record")


def col(ch_type: str, **kwargs: Any) -> Any:
    """A dataclass field with its ClickHouse column type."""
    return field(metadata={"ch": ch_type}, **kwargs)


def nested(struct: type[Struct], **kwargs: Any) -> Any:
    """A field holding a list of ``struct`` (an ``Array(Tuple(...))`` column)."""
    return field(metadata={"nested": struct}, **kwargs)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


_DEFAULT_CH = {str: "String", bool: "Bool", float: "Float64"}


S = TypeVar("S", bound="Struct")


def _ch_type(owner: type[Any], f: dataclasses.Field[Any], hint: Any) -> str:
    struct = f.metadata.get("nested")
    if struct is not None:
        inner = ", ".join(f"{name} {ch}" for name, ch in struct.columns())
        return f"Array(Tuple({inner}))"
    ch = f.metadata.get("ch") or _DEFAULT_CH.get(hint)
    if ch is None:
        raise TypeError(f"{owner.__name__}.{f.name}: no ClickHouse type")
    return str(ch)


@dataclass(frozen=True, slots=True, kw_only=True)
class Struct:
    """A struct nested in a record (one element of an ``Array(Tuple(...))`` column)."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_tuple(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))

    @classmethod
    def from_dict(cls: type[S], data: Any, *, schema: str = "", source: str = "") -> S:
        if not isinstance(data, dict):
            raise SchemaError(f"{cls.__name__}: expected an object", schema=schema, source=source)
        names = {f.name for f in dataclasses.fields(cls)}
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in data and _required(f)]
        if missing:
            raise SchemaError(f"{cls.__name__}: missing {missing}", schema=schema, source=source)
        try:
            return cls(**{k: v for k, v in data.items() if k in names})
        except TypeError as exc:
            raise SchemaError(str(exc), schema=schema, source=source) from exc

    @classmethod
    def columns(cls) -> list[tuple[str, str]]:
        hints = get_type_hints(cls)
        return [(f.name, _ch_type(cls, f, hints[f.name])) for f in dataclasses.fields(cls)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """Base of every record: versioned name, identity, JSON codec, ClickHouse DDL."""

    SCHEMA: ClassVar[str] = ""
    #: columns that together identify a record (the sink is idempotent on them)
    IDENTITY: ClassVar[tuple[str, ...]] = ()
    #: ReplacingMergeTree version column (a later version of an identity wins)
    VERSION: ClassVar[str | None] = None
    #: older schema name -> function turning such a record's dict into this version's
    UPGRADES: ClassVar[dict[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {}
    #: column -> ClickHouse DEFAULT expression for rows written before the column existed
    MIGRATIONS: ClassVar[dict[str, str]] = {}

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if "nested" in f.metadata:
                value = [item.to_dict() for item in value]
            out[f.name] = value
        return out

    def ch_row(self, names: list[str]) -> list[Any]:
        """The values of columns ``names`` for a ClickHouse insert (structs as tuples)."""
        out = []
        for name in names:
            value = getattr(self, name)
            if isinstance(value, list) and value and isinstance(value[0], Struct):
                value = [item.to_tuple() for item in value]
            out.append(value)
        return out

    def to_json(self) -> bytes:
        return json.dumps({"schema": self.SCHEMA, **self.to_dict()}, separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any], *, source: str = "") -> T:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        for f in dataclasses.fields(cls):
            struct = f.metadata.get("nested")
            if struct is not None and f.name in values:
                items = values[f.name]
                if not isinstance(items, list):
                    raise SchemaError(
                        f"{f.name}: expected a list", schema=cls.SCHEMA, source=source
                    )
                values[f.name] = [
                    struct.from_dict(item, schema=cls.SCHEMA, source=source) for item in items
                ]
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
        if isinstance(data, dict) and data.get("schema") in cls.UPGRADES:
            try:
                data = cls.UPGRADES[data["schema"]](data)
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                raise SchemaError(
                    f"cannot upgrade {data.get('schema')}: {exc!r}",
                    schema=cls.SCHEMA,
                    source=source,
                ) from exc
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
        return [(f.name, _ch_type(cls, f, hints[f.name])) for f in dataclasses.fields(cls)]


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
class Leg(Struct):
    """One swap of an opportunity: ``amount_in`` of ``token_in`` into ``pool`` on ``chain_id``,
    ``amount_out`` of ``token_out`` expected at the pool's state version (``state_block``,
    ``state_log_index``; -1 for a state read over RPC rather than from a log)."""

    chain_id: int = col("UInt32")
    pool: str
    protocol: str  # v2 | v3
    dex: str
    token_in: str
    token_out: str
    zero_for_one: bool
    fee_pips: int = col("UInt32")  # millionths: 30 bps = 3000; V3 fee tiers as they are
    amount_in: int = col("UInt256")
    amount_out: int = col("UInt256")
    state_block: int = col("UInt64")
    state_log_index: int = col("Int64")


def _opportunity_from_v1(data: dict[str, Any]) -> dict[str, Any]:
    """``arbstream.opportunity.v1`` (parallel lists of two V2 legs) -> v2 (a list of legs).

    v1 kept only the cycle's input and output, so a middle amount is 0 (unknown)."""
    pools = data["pools"]
    n = len(pools)
    legs = [
        {
            "chain_id": data["chain_id"],
            "pool": pools[i],
            "protocol": "v2",
            "dex": data["dexes"][i],
            "token_in": data["tokens"][i],
            "token_out": data["tokens"][i + 1],
            "zero_for_one": data["zero_for_one"][i],
            "fee_pips": int(data["fees_bps"][i]) * 100,
            "amount_in": data["amount_in"] if i == 0 else 0,
            "amount_out": data["amount_out"] if i == n - 1 else 0,
            "state_block": data["state_blocks"][i],
            "state_log_index": data["state_log_indexes"][i],
        }
        for i in range(n)
    ]
    return {**data, "schema": Opportunity.SCHEMA, "legs": legs}


#: ClickHouse expression computing v2 ``legs`` from the v1 columns (rows written by v1)
_OPPORTUNITY_LEGS_FROM_V1 = (
    "arrayMap(i -> (chain_id, pools[i], 'v2', dexes[i], tokens[i], tokens[i + 1], "
    "zero_for_one[i], toUInt32(fees_bps[i]) * 100, "
    "if(i = 1, amount_in, toUInt256(0)), if(i = length(pools), amount_out, toUInt256(0)), "
    "state_blocks[i], toInt64(state_log_indexes[i])), arrayEnumerate(pools))"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Opportunity(Record):
    """A priced arbitrage cycle at its optimal input, in exact start-token units.

    ``legs`` are the swaps in order: the first takes ``amount_in`` of the start token, the
    last returns ``amount_out`` of it; each leg carries its chain, pool, protocol, DEX,
    direction, fee, amounts and the pool state version it was priced at.
    """

    SCHEMA: ClassVar[str] = "arbstream.opportunity.v2"
    IDENTITY: ClassVar[tuple[str, ...]] = ("id",)
    UPGRADES: ClassVar[dict[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
        "arbstream.opportunity.v1": _opportunity_from_v1
    }
    MIGRATIONS: ClassVar[dict[str, str]] = {"legs": _OPPORTUNITY_LEGS_FROM_V1}

    id: str
    kind: str  # cross_dex | cyclic | cross_chain
    chain_id: int = col("UInt32")
    cycle_id: str
    legs: list[Leg] = nested(Leg)
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
    trigger_block: int = col("UInt64")
    trigger_tx: str
    trigger_log_index: int = col("UInt32")
    event_ingest_ts_ms: int = col("Int64")
    detected_ts_ms: int = col("Int64", default_factory=now_ms)
    latency_ms: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.chain_id}:{self.cycle_id}"

    @property
    def start_token(self) -> str:
        return self.legs[0].token_in


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionLeg(Struct):
    """One leg of an executed cycle: what the opportunity expected and what the chain did
    (read from the pool's ``Swap`` log in the receipt; 0 when nothing executed)."""

    pool: str
    token_in: str
    token_out: str
    expected_in: int = col("UInt256")
    expected_out: int = col("UInt256")
    realized_in: int = col("UInt256", default=0)
    realized_out: int = col("UInt256", default=0)


def _execution_from_v1(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "schema": Execution.SCHEMA, "legs": []}


@dataclass(frozen=True, slots=True, kw_only=True)
class Execution(Record):
    """What the executor did with one opportunity, leg by leg."""

    SCHEMA: ClassVar[str] = "arbstream.execution.v2"
    IDENTITY: ClassVar[tuple[str, ...]] = ("opportunity_id",)
    UPGRADES: ClassVar[dict[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
        "arbstream.execution.v1": _execution_from_v1
    }

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
    legs: list[ExecutionLeg] = nested(ExecutionLeg, default_factory=list)
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
