"""ExactTable keeps integers exact through bytes and decodes only bytes it has not seen."""

from __future__ import annotations

from arbstream.streams.tables import ExactTable


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
