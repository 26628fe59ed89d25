"""The batched detector emits exactly the opportunities of pricing after every event.

A recorded input (random Syncs and retractions over several pairs of two and three pools on
two chains) goes through :class:`Detector` in batches of different sizes; the reference of
``tests/stream_reference.py``, computed independently, replays the same events one by one
(each pair's pools after each event, reserves kept by hand, every directed two-pool cycle
sized with the exact kernel ``v2_math.optimal_two_pool``) and lists the opportunities. Both
must match on identity and amounts, none missing and none extra.
"""

from __future__ import annotations

from typing import Any

import pytest

from arbstream.framing import decode_batch, frame
from arbstream.schemas import PoolEvent
from arbstream.streams.agents.detector import Detector
from arbstream.streams.tables import ExactTable, Tables, deferred_exact_table, pair_state_table
from tests.stream_reference import identity, recorded_input, reference, reference_settings


def _tables() -> Tables:
    """The detector's three tables over plain dicts of bytes (what a Faust table holds)."""
    return Tables(pair_state_table({}), ExactTable({}), deferred_exact_table({}))


def _detected(
    events: list[PoolEvent],
    batch: int,
    reorg_depth: int = 64,
    partitions: int = 2,
    order: list[int] | None = None,
) -> list[tuple[Any, ...]]:
    """The detector's opportunities over the framed ``events``; with ``order``, the records
    of each partition in that order, one partition after the other (as a worker that got
    one partition's backlog before another's reads them)."""
    detector = Detector(reference_settings(reorg_depth), _tables())
    records = [
        record
        for lo in range(0, len(events), batch)
        for record in frame(events[lo : lo + batch], partitions)
    ]
    if order is not None:
        records = [r for p in order for r in records if r[0] == p]
    out = []
    for part, _, value in records:
        for opp in detector.detect(decode_batch(value), part):
            out.append(identity(opp))
    return out


@pytest.mark.parametrize("batch", [1, 7, 50, 400])
def test_batches_emit_exactly_the_per_event_opportunities(batch: int) -> None:
    events = recorded_input(seed=11, n=400)
    want = reference(events)
    got = _detected(events, batch)
    key = lambda o: (o[0], o[1], o[2])  # noqa: E731
    assert len(want) > 20, "the input must produce opportunities"
    assert sorted(got, key=key) == sorted(want, key=key)


@pytest.mark.parametrize("batch", [1, 50])
def test_retractions_beyond_the_reorg_depth_restore_nothing_older(batch: int) -> None:
    """A reorg depth of 2 blocks and reorgs of up to 6 blocks: the Syncs that became final
    are dropped, as the reference drops them."""
    events = recorded_input(seed=5, n=600, reorg_blocks=6)
    want = reference(events, reorg_depth=2)
    assert want != reference(events), "the input must retract below the reorg depth"
    assert len(want) > 20, "the input must produce opportunities"
    got = _detected(events, batch, reorg_depth=2)
    key = lambda o: (o[0], o[1], o[2])  # noqa: E731
    assert sorted(got, key=key) == sorted(want, key=key)


@pytest.mark.parametrize("order", [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]])
def test_the_opportunities_do_not_depend_on_how_partitions_interleave(order: list[int]) -> None:
    """A worker reads its partitions' records in no fixed interleaving (one partition's
    backlog may come long before another's, and a restarted worker starts anywhere): each
    pair's state, and so every opportunity, must depend on that pair's events alone. Reorg
    depth 2 and reorgs of up to 6 blocks, so that what the history keeps matters."""
    events = recorded_input(seed=23, n=1200, reorg_blocks=6, pairs=12)
    want = reference(events, reorg_depth=2)
    assert len(want) > 40, "the input must produce opportunities"
    got = _detected(events, 50, reorg_depth=2, partitions=4, order=order)
    key = lambda o: (o[0], o[1], o[2])  # noqa: E731
    assert sorted(got, key=key) == sorted(want, key=key)
