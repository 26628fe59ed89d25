"""Errors as data: a record a stream cannot process goes to the dead-letter topic."""

from __future__ import annotations

import logging

import faust

from arbstream import metrics
from arbstream.schemas import DeadLetter

log = logging.getLogger(__name__)


async def send_dead_letter(topic: faust.TopicT, stage: str, reason: str, payload: bytes) -> None:
    event = faust.current_event()
    msg = event.message if event is not None else None
    record = DeadLetter(
        source_topic=msg.topic if msg else "",
        source_partition=msg.partition if msg else 0,
        source_offset=msg.offset if msg else -1,
        stage=stage,
        reason=reason,
        payload=payload.decode(errors="replace")[:10_000],
    )
    log.warning(
        "dead letter from %s[%s]@%s at %s: %s",
        record.source_topic,
        record.source_partition,
        record.source_offset,
        stage,
        reason,
    )
    await topic.send(key=stage.encode(), value=record.to_json())
    metrics.dead_letter(stage)
