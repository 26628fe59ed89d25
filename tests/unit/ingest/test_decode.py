from __future__ import annotations

import pytest

from arbstream.errors import SchemaError
from arbstream.ingest.decode import (
    PAIR_CREATED_TOPIC,
    SWAP_TOPIC,
    SYNC_TOPIC,
    PoolMeta,
    decode_pair_created,
    decode_pool_log,
)

POOL = "0x" + "ab" * 20
META = PoolMeta(1, "uniswap_v2", POOL, "0x" + "01" * 20, "0x" + "02" * 20, 30)


def _word(x: int) -> str:
    return f"{x:064x}"


def _log(topics: list[str], data: str, **kw: object) -> dict[str, object]:
    return {
        "address": POOL,
        "topics": topics,
        "data": "0x" + data,
        "blockNumber": 7,
        "blockHash": "0x" + "cc" * 32,
        "transactionHash": "0x" + "dd" * 32,
        "logIndex": 4,
        **kw,
    }


def test_sync_and_swap_decode_to_exact_integers() -> None:
    big = 2**112 - 1
    sync = decode_pool_log(_log([SYNC_TOPIC], _word(big) + _word(3)), META)
    assert (sync.kind, sync.reserve0, sync.reserve1, sync.removed) == ("Sync", big, 3, False)
    assert sync.key == f"1:{POOL}" and sync.token0 == META.token0 and sync.fee_bps == 30
    addr = "0x" + "00" * 12 + "ee" * 20
    swap = decode_pool_log(
        _log([SWAP_TOPIC, addr, addr], _word(1) + _word(0) + _word(0) + _word(2**100)), META
    )
    assert (swap.amount0_in, swap.amount1_out, swap.sender) == (1, 2**100, "0x" + "ee" * 20)


def test_removed_log_becomes_a_retraction() -> None:
    event = decode_pool_log(_log([SYNC_TOPIC], _word(1) + _word(2), removed=True), META)
    assert event.removed


def test_pair_created() -> None:
    t0, t1 = "0x" + "00" * 12 + "01" * 20, "0x" + "00" * 12 + "02" * 20
    created = decode_pair_created(
        _log([PAIR_CREATED_TOPIC, t0, t1], _word(int(POOL, 16)) + _word(1)), 1, "dex", 25
    )
    assert (created.pool, created.token0, created.token1, created.fee_bps) == (
        POOL,
        "0x" + "01" * 20,
        "0x" + "02" * 20,
        25,
    )


def test_malformed_logs_are_schema_errors() -> None:
    with pytest.raises(SchemaError):
        decode_pool_log(_log([SYNC_TOPIC], _word(1)), META)
    with pytest.raises(SchemaError):
        decode_pool_log(_log([SYNC_TOPIC], "abc"), META)
    with pytest.raises(SchemaError):
        decode_pool_log(_log(["0x" + "00" * 32], _word(1) + _word(2)), META)
