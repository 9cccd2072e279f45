"""What a scrape reads: the group's metrics added up across its processes, plus the queue depth."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from pixpress.metrics import group, record

log = logging.getLogger("pixpress.metrics")

# The classic text format: every Prometheus version reads it, and our names need nothing newer.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


class QueueDepth(Collector):
    """Tasks waiting in the queue, read at scrape time (the queue is shared: any process sees it)."""

    def __init__(self, pending: Callable[[], int]) -> None:
        self.pending = pending

    def collect(self) -> Iterator[Metric]:
        try:
            depth = self.pending()
        except Exception as exc:  # the queue down: no sample rather than a failed scrape
            log.warning("queue depth unavailable for metrics: %r", exc)
            return
        yield GaugeMetricFamily("pixpress_queue_depth", "Tasks waiting in the queue.", value=depth)


class _Scrape(Collector):
    def __init__(self, sources: Iterable[Collector]) -> None:
        self.sources = list(sources)

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            yield from source.collect()


def render(*, pending: Callable[[], int] | None = None) -> bytes:
    """The Prometheus text of this process's group (or of this process alone, outside a group)."""
    path = group.joined()
    sources: list[Collector] = [
        record.REGISTRY if path is None else MultiProcessCollector(None, path=str(path))
    ]
    if pending is not None:
        sources.append(QueueDepth(pending))
    return generate_latest(_Scrape(sources))
