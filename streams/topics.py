"""The topics the stream apps read and write (raw bytes: records are versioned JSON)."""

from __future__ import annotations

from dataclasses import dataclass

import faust

from arbstream.config import TopicsConfig


def _topic(app: faust.App, name: str, partitions: int) -> faust.TopicT:
    return app.topic(
        name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
    )


@dataclass(frozen=True)
class Topics:
    blocks: faust.TopicT
    pools: faust.TopicT
    events: faust.TopicT
    opportunities: faust.TopicT
    executions: faust.TopicT
    dead_letter: faust.TopicT

    @classmethod
    def declare(cls, app: faust.App, cfg: TopicsConfig) -> Topics:
        n = cfg.partitions
        return cls(
            blocks=_topic(app, cfg.blocks, n),
            pools=_topic(app, cfg.pools, n),
            events=_topic(app, cfg.events, n),
            opportunities=_topic(app, cfg.opportunities, n),
            executions=_topic(app, cfg.executions, n),
            dead_letter=_topic(app, cfg.dead_letter, n),
        )
