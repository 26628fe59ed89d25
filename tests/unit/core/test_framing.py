"""Framing of dex.events: batches keep every event exactly, in order, on its pair's partition."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arbstream.errors import SchemaError
from arbstream.framing import (
    decode_batch,
    encode_batch,
    frame,
    pair_key,
    partition_for,
    rows_to_events,
)
from arbstream.schemas import PoolEvent

U256 = st.integers(0, 2**256 - 1)


def _event(
    i: int, chain: int = 1, token0: str = "0xa", r0: int = 5, removed: bool = False
) -> PoolEvent:
    return PoolEvent(
        kind="Sync" if i % 3 else "Swap",
        chain_id=chain,
        dex="d",
        pool=f"0xpool{i % 4}",
        token0=token0,
        token1="0xb",
        fee_bps=30,
        block_number=100 + i // 5,
        block_hash=f"0xh{i // 5}",
        tx_hash=f"0xt{i}",
        log_index=i,
        removed=removed,
        reserve0=r0,
        reserve1=r0 + i,
        amount0_in=i,
        ingest_ts_ms=1_700_000_000_000 + i,
    )


@given(r0=U256, a=U256, removed=st.booleans())
def test_batch_round_trips_every_field_exactly(r0: int, a: int, removed: bool) -> None:
    events = [
        dataclasses.replace(_event(i, r0=r0, removed=removed), amount1_out=a) for i in range(7)
    ]
    assert rows_to_events(decode_batch(encode_batch(events))) == events


def test_rows_read_like_events() -> None:
    (row,) = decode_batch(encode_batch([_event(4)]))
    assert (row.pool, row.reserve1, row.log_index, row.removed) == ("0xpool0", 9, 4, False)


def test_kafka_murmur2_vectors() -> None:
    """Kafka's own UtilsTest.testMurmur2 values (signed 32-bit), so records land where a
    Java or librdkafka producer keyed by the pair would put them."""
    from aiokafka.partitioner import murmur2

    cases = {
        b"21": -973932308,
        b"foobar": -790332482,
        b"a-little-bit-long-string": -985981536,
        b"a-little-bit-longer-string": -1486304829,
        b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
        b"abc": 479470107,
    }
    for key, want in cases.items():
        assert murmur2(key) & 0xFFFFFFFF == want & 0xFFFFFFFF, key
    assert partition_for("foobar", 7) == (-790332482 & 0x7FFFFFFF) % 7


def test_frame_puts_each_pair_on_its_partition_in_order() -> None:
    events = [_event(i, chain=1 + i % 2, token0=f"0xt{i % 5}") for i in range(60)]
    records = frame(events, 4)
    seen: list[PoolEvent] = []
    for part, key, value in records:
        batch = rows_to_events(decode_batch(value))
        chain = batch[0].chain_id
        assert key == f"{chain}:p{part}".encode()
        for e in batch:
            assert e.chain_id == chain
            assert partition_for(pair_key(e.chain_id, e.token0, e.token1), 4) == part
        # the batch keeps the input order
        assert batch == [e for e in events if e in batch]
        seen += batch
    assert sorted(seen, key=events.index) == events
    assert len(records) == len(
        {(e.chain_id, partition_for(pair_key(e.chain_id, e.token0, e.token1), 4)) for e in events}
    )


def test_a_single_event_record_still_decodes() -> None:
    event = _event(1)
    assert rows_to_events(decode_batch(event.to_json())) == [event]


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"[]",
        b'{"schema": "arbstream.pool_event_batch.v2", "chain_id": 1, "events": []}',
        b'{"schema": "arbstream.pool_event_batch.v1", "chain_id": 1, "events": [[1, 2]]}',
        b'{"schema": "arbstream.pool_event_batch.v1", "chain_id": "x", "events": []}',
    ],
)
def test_bad_records_are_schema_errors(raw: bytes) -> None:
    with pytest.raises(SchemaError, match="not an event batch"):
        decode_batch(raw, source="t[0]@5")


def test_a_batch_holds_one_chain() -> None:
    with pytest.raises(ValueError, match="one chain"):
        encode_batch([_event(1), _event(2, chain=56)])
    with pytest.raises(ValueError, match="at least one"):
        encode_batch([])
    forged = encode_batch([_event(1)]).replace(b'"chain_id":1,', b'"chain_id":56,', 1)
    with pytest.raises(SchemaError, match="another chain"):
        decode_batch(forged)
