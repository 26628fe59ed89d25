"""Decode Uniswap-V2-style logs into versioned records (pure functions, no I/O).

Topics: ``Swap(address,uint256,uint256,uint256,uint256,address)``,
``Sync(uint112,uint112)`` and the factory's ``PairCreated(address,address,address,uint256)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from arbstream.abi import PAIR_CREATED_TOPIC, SWAP_TOPIC, SYNC_TOPIC
from arbstream.errors import SchemaError
from arbstream.schemas import BlockHeader, PoolCreated, PoolEvent

POOL_TOPICS = (SWAP_TOPIC, SYNC_TOPIC)
__all__ = ["PAIR_CREATED_TOPIC", "POOL_TOPICS", "SWAP_TOPIC", "SYNC_TOPIC"]


@dataclass(frozen=True, slots=True)
class PoolMeta:
    """What the ingestor knows of a discovered pool; enriches every event of it."""

    chain_id: int
    dex: str
    pool: str
    token0: str
    token1: str
    fee_bps: int


def hexstr(value: Any) -> str:
    """0x-prefixed lowercase hex of bytes/HexBytes/str."""
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") else "0x" + value.lower()
    return "0x" + bytes(value).hex()


def _words(data: Any) -> list[int]:
    try:
        raw = bytes.fromhex(hexstr(data)[2:])
    except ValueError as exc:
        raise SchemaError(f"log data is not hex: {exc}", schema="v2 log") from exc
    if len(raw) % 32:
        raise SchemaError(f"log data of {len(raw)} bytes is not whole words", schema="v2 log")
    return [int.from_bytes(raw[i : i + 32], "big") for i in range(0, len(raw), 32)]


def _topic_address(topic: Any) -> str:
    return "0x" + hexstr(topic)[-40:]


def log_topic0(entry: Mapping[str, Any]) -> str:
    topics = entry.get("topics") or []
    return hexstr(topics[0]) if topics else ""


def decode_pair_created(
    entry: Mapping[str, Any], chain_id: int, dex: str, fee_bps: int
) -> PoolCreated:
    topics = entry["topics"]
    words = _words(entry["data"])
    if len(topics) != 3 or len(words) != 2:
        raise SchemaError("PairCreated with unexpected shape", schema=PoolCreated.SCHEMA)
    return PoolCreated(
        chain_id=chain_id,
        dex=dex,
        factory=hexstr(entry["address"]),
        pool="0x" + f"{words[0]:040x}",
        token0=_topic_address(topics[1]),
        token1=_topic_address(topics[2]),
        fee_bps=fee_bps,
        block_number=int(entry["blockNumber"]),
        block_hash=hexstr(entry["blockHash"]),
        tx_hash=hexstr(entry["transactionHash"]),
        log_index=int(entry["logIndex"]),
    )


def decode_pool_log(entry: Mapping[str, Any], meta: PoolMeta) -> PoolEvent:
    """A Swap or Sync log of a known pool; ``removed`` logs become retractions."""
    topic0 = log_topic0(entry)
    words = _words(entry["data"])
    common: dict[str, Any] = {
        "chain_id": meta.chain_id,
        "dex": meta.dex,
        "pool": meta.pool,
        "token0": meta.token0,
        "token1": meta.token1,
        "fee_bps": meta.fee_bps,
        "block_number": int(entry["blockNumber"]),
        "block_hash": hexstr(entry["blockHash"]),
        "tx_hash": hexstr(entry["transactionHash"]),
        "log_index": int(entry["logIndex"]),
        "removed": bool(entry.get("removed", False)),
    }
    if topic0 == SYNC_TOPIC and len(words) == 2:
        return PoolEvent(kind="Sync", reserve0=words[0], reserve1=words[1], **common)
    if topic0 == SWAP_TOPIC and len(words) == 4 and len(entry["topics"]) == 3:
        return PoolEvent(
            kind="Swap",
            amount0_in=words[0],
            amount1_in=words[1],
            amount0_out=words[2],
            amount1_out=words[3],
            sender=_topic_address(entry["topics"][1]),
            recipient=_topic_address(entry["topics"][2]),
            **common,
        )
    raise SchemaError(f"not a V2 Swap/Sync log: topic0={topic0}", schema=PoolEvent.SCHEMA)


def decode_header(header: Mapping[str, Any], chain_id: int) -> BlockHeader:
    return BlockHeader(
        chain_id=chain_id,
        number=int(header["number"]),
        hash=hexstr(header["hash"]),
        parent_hash=hexstr(header["parentHash"]),
        timestamp=int(header["timestamp"]),
        base_fee_per_gas=int(header.get("baseFeePerGas") or 0),
        gas_used=int(header.get("gasUsed") or 0),
    )
