"""Sweep blobs that no task row points at any more.

They come from a submit that died between writing the upload and committing its row (the upload is
written first on purpose), from a task deleted while its worker was storing the result, and from an
attempt whose worker was lost after writing its result. Only blobs older than a grace period are swept:
a younger one may belong to a submit or a worker that is still on its way to the database.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from pixpress.db.session import utcnow
from pixpress.storage.base import BlobStorage
from pixpress.tasks.records import TaskRecords

log = logging.getLogger("pixpress.tasks")

BATCH = 500  # task ids looked up per query


def task_id_of(key: str) -> str | None:
    """The task id in a key 'ab/<task id>/<name>' (tasks/states.py), None for anything else."""
    parts = key.split("/")
    if len(parts) != 3 or parts[1][:2] != parts[0]:
        return None
    try:
        uuid.UUID(parts[1])
    except ValueError:
        return None
    return parts[1]


def sweep_orphan_blobs(
    *, records: TaskRecords, storage: BlobStorage, grace_s: float, now: datetime | None = None
) -> int:
    """Delete blobs older than `grace_s` whose task has no row; returns how many were deleted."""
    cutoff = (now or utcnow()) - timedelta(seconds=grace_s)
    removed = 0
    pending: dict[str, list[str]] = {}
    for blob in storage.list(""):
        task_id = task_id_of(blob.key)
        if task_id is None or blob.modified_at > cutoff:
            continue
        pending.setdefault(task_id, []).append(blob.key)
        if len(pending) >= BATCH:
            removed += _delete_unowned(pending, records=records, storage=storage)
            pending = {}
    if pending:
        removed += _delete_unowned(pending, records=records, storage=storage)
    if removed:
        log.warning("cleanup swept %d blobs without a task row", removed)
    return removed


def _delete_unowned(keys_by_task: dict[str, list[str]], *, records: TaskRecords, storage: BlobStorage) -> int:
    owned = records.existing_ids(list(keys_by_task))
    removed = 0
    for task_id, keys in keys_by_task.items():
        if task_id in owned:
            continue
        for key in keys:
            storage.delete(key)
            removed += 1
    return removed
