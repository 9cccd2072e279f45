"""Periodic upkeep: re-queue tasks whose worker vanished, delete expired tasks and their files."""

from __future__ import annotations

import logging
from collections.abc import Callable

from pixpress.db.models import Task
from pixpress.db.session import utcnow
from pixpress.errors import WorkerLost
from pixpress.storage.base import BlobStorage
from pixpress.tasks.records import TaskRecords, task_result
from pixpress.tasks.runner import SettleFailure

log = logging.getLogger("pixpress.tasks")


def requeue_expired_leases(
    *,
    records: TaskRecords,
    enqueue: Callable[[str], None],
    pending_messages: Callable[[], int],
    settle_failure: SettleFailure,
    max_attempts: int,
    stale_queued_s: float,
) -> int:
    """Give a lost task its retry, or fail it (worker_lost: refunded) once it has had all its attempts.
    A task waiting longer than stale_queued_s is sent again only when the queue holds fewer messages
    than tasks wait (some message was lost, say with a Redis restart), not for a backlog."""
    messages_lost = pending_messages() < records.count_queued()
    requeued, exhausted = records.requeue_expired(
        max_attempts=max_attempts, stale_queued_s=stale_queued_s if messages_lost else None
    )
    for task_id in requeued:
        enqueue(task_id)
    for task in exhausted:
        error = WorkerLost()
        with records.db.session(write=True) as session:
            if records.fail_unclaimed(
                task.id, error_code=error.code, error_message=error.public_message, session=session
            ):
                settle_failure(task, error.code, session)
    if requeued or exhausted:
        log.warning("leases expired: %d re-queued, %d failed as worker_lost", len(requeued), len(exhausted))
    return len(requeued) + len(exhausted)


def task_blob_keys(task: Task) -> list[str]:
    """Every file a task may own: its upload, its result, its format variants, its sizes and theirs."""
    keys = {task.input_key, *task_result(task).blob_keys()}
    if task.result_key:
        keys.add(task.result_key)
    return sorted(keys)


def delete_task(*, records: TaskRecords, storage: BlobStorage, task: Task) -> None:
    for key in task_blob_keys(task):
        storage.delete(key)
    records.delete(task.id)


def cleanup_expired(*, records: TaskRecords, storage: BlobStorage) -> int:
    """Delete tasks past their result TTL, files first so no row ever points at a missing file."""
    removed = 0
    while batch := records.expired(now=utcnow()):
        for task in batch:
            delete_task(records=records, storage=storage, task=task)
        removed += len(batch)
    if removed:
        log.info("cleanup removed %d expired tasks", removed)
    return removed
