"""What the consumer notes of a worker process that ended before huey replaces it: one restart more,
and the process marked dead in the metrics (its live gauges leave the group's sums)."""

from __future__ import annotations

from typing import Any

from pixpress.metrics import group, record


def note_ended_workers(consumer: Any) -> int:
    """Called by the consumer's health check, which then starts a fresh process for each of them."""
    ended = [process for _, process in consumer.worker_threads if not consumer.environment.is_alive(process)]
    for process in ended:
        record.worker_restarted()
        if process.pid is not None:
            group.mark_process_dead(process.pid)
    return len(ended)
