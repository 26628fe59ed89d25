"""The worker's consumer lag per topic partition, as a Prometheus gauge every few seconds."""

from __future__ import annotations

import logging

import faust

from arbstream import metrics

log = logging.getLogger(__name__)

#: seconds between updates of the consumer-lag gauge
LAG_INTERVAL_S = 5.0


def register(app: faust.App, interval_s: float = LAG_INTERVAL_S) -> None:
    """Every ``interval_s``: records not yet fetched on each assigned partition (high
    watermark minus the consumer's position), labelled with the app's consumer group."""
    group = app.conf.id

    @app.timer(interval_s, name="consumer_lag")
    async def consumer_lag() -> None:
        try:
            consumer = app.consumer
            for tp in consumer.assignment():
                high = consumer.highwater(tp)
                position = await consumer.position(tp)
                if high is None or position is None:
                    continue
                metrics.CONSUMER_LAG.labels(
                    group=group, topic=tp.topic, partition=str(tp.partition)
                ).set(max(0, high - position))
        except Exception as exc:  # a metric must never stop the worker (e.g. mid-rebalance)
            log.debug("consumer lag of %s not read: %s", group, exc)
