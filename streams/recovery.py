"""Faust's table recovery, fixed where it stalled the stream worker's group.

After a rebalance (a worker's start, a second worker joining, one leaving) Faust recovers the
tables from their changelogs and then, in ``Recovery.on_recovery_completed``, resumes the
source partitions and seeks them to their committed offsets, and only after that turns the
streams' flow control on. The consumer's own flow is already on at that point (recovery
turned it on to read the changelogs), so records fetched between the resume and the seek
reach the agent's stream while its flow control is off: the stream skips them and acks them
unprocessed. After the seek the same offsets arrive again, and Faust's ack bookkeeping
(acked offsets per partition, committed up to the first gap) is left with a gap that never
closes: that partition's commits stop for good while the worker sits idle with every record
read. Caught live in ``tests/integration/test_stream_worker.py`` (faust-streaming 0.11):
offsets 12 of one partition and 24 of two others were acked before the seek, before any
record was processed; the group then committed 13 of that partition's 24 and no more, with
the worker idle and the records readable by a plain consumer.

:class:`Recovery` stops the consumer's flow before Faust's own ``on_recovery_completed``,
which turns it on again after the seek, together with the flow control: a fetch that
returns in between is dropped and sought back (Faust's ``getmany`` does that when the flow
is off), so every record reaches the stream once, after the seek. The worker's consumer
seeks a source partition with nothing committed yet back to its start
(``streams.transport``): aiokafka's own seek leaves such a partition where the dropped fetch
left it, and a new group lost those records.

The end offsets recovery reads the changelogs up to come from the worker's consumer, which
corrects tansu's (``streams.transport``, :func:`arbstream.log.true_end_offsets`).
"""

from __future__ import annotations

from faust.tables import TableManager as FaustTableManager
from faust.tables.recovery import Recovery as FaustRecovery


class Recovery(FaustRecovery):
    """Faust's recovery with the consumer's flow off from the resume of the source
    partitions to the moment the streams may process them (module docstring)."""

    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        self.app.consumer.stop_flow()
        await super().on_recovery_completed(generation_id)


class TableManager(FaustTableManager):
    """Faust's table manager with :class:`Recovery` (the app's ``TableManager`` setting)."""

    @property
    def recovery(self) -> FaustRecovery:
        if self._recovery is None:
            self._recovery = Recovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery
