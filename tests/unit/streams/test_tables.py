"""The detector's tables keep integers exact through bytes and decode only bytes they have
not seen."""

from __future__ import annotations

import dataclasses

from arbstream.schemas import PoolEvent
from arbstream.streams.tables import ExactTable, pair_state_table


def test_values_round_trip_exactly_and_reads_follow_the_table() -> None:
    backing: dict[str, bytes] = {}
    table = ExactTable(backing)
    assert table["missing"] == {}
    value = {"history": [["0xh", "0xt", ["v2", "0xp", 2**200, -(2**130)]]]}
    table["k"] = value
    assert isinstance(backing["k"], bytes) and str(2**200).encode() in backing["k"]
    assert table["k"] is value  # the value just written: no decode
    fresh = ExactTable(backing)  # another reader (a recovered worker) decodes the bytes
    assert fresh["k"] == value and fresh["k"] is fresh["k"]
    backing["k"] = b'{"history": []}'  # the table changed underneath (changelog recovery)
    assert table["k"] == {"history": []}


def test_pair_state_table_reads_follow_the_table_and_forget_drops_changes() -> None:
    backing: dict[str, bytes] = {}
    table = pair_state_table(backing)
    empty = table["pair"]
    assert empty.latest == {} and table["pair"] is not empty  # a fresh pair per miss
    pair = table["pair"]
    pair.apply(_SYNC)
    table["pair"] = pair
    assert table["pair"] is pair  # kept decoded in memory
    assert pair_state_table(backing)["pair"].latest == pair.latest  # another reader decodes
    # a change in place that is not written back is dropped by forget()
    pair.apply(dataclasses.replace(_SYNC, removed=True))
    assert table["pair"].latest == {}  # the same object, changed in place
    table.forget("pair")
    assert table["pair"].latest["0xp"].reserve0 == 2**150
    del backing["pair"]  # gone from the table (e.g. a revoked partition's data)
    assert table["pair"].latest == {}


_SYNC = PoolEvent(
    kind="Sync",
    chain_id=1,
    dex="d",
    pool="0xp",
    token0="0xa",
    token1="0xb",
    fee_bps=30,
    block_number=5,
    block_hash="0xh5",
    tx_hash="0xt",
    log_index=0,
    reserve0=2**150,
    reserve1=7,
)
