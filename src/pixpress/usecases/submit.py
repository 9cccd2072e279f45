"""Submit an upload: charge it and record its task as one unit of work, then queue it.

0. the same bytes with the same options from the same token, while the earlier task can still answer
   (queued, processing or done, not expired), get that task back: no new task, no charge, a 0-byte
   `reuse` entry in the ledger;
1. the upload goes to storage first, under a key named by the new task's id;
2. one database transaction charges the token (conditional UPDATE on the licence row plus the ledger entry)
   and inserts the task row with its Idempotency-Key and content hash; a process dying before the commit
   leaves neither; when a concurrent identical upload (same key, or same content) committed first, ours
   rolls back, charge included, and answers with the winner;
3. after the commit, the task is queued; when the queue is down the upload is withdrawn (refund and row
   deletion in one transaction) and the client told to retry.

Whatever fails, at worst a blob without a row is left behind, which the periodic cleanup sweeps
(tasks/orphans.py). A charge without a task cannot happen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pixpress.config import Settings
from pixpress.db.models import Task
from pixpress.db.session import Database
from pixpress.errors import InvalidOption, ServiceUnavailable
from pixpress.faults import KILL_AFTER_CHARGE, fault_point
from pixpress.metrics import record
from pixpress.quota import QuotaInfo, QuotaService
from pixpress.tasks.records import DuplicateTask
from pixpress.tasks.service import TaskService, Upload

log = logging.getLogger("pixpress.submit")

MAX_IDEMPOTENCY_KEY_CHARS = 255


@dataclass(frozen=True)
class Submitted:
    task: Task
    created: bool  # False: an existing task answered (a repeat of an Idempotency-Key, or a reuse)
    quota: QuotaInfo
    reused: bool = False  # an identical upload answered with the earlier task, not charged again


def submit_upload(
    *,
    upload: Upload,
    caller_quota: QuotaInfo,
    idempotency_key: str | None,
    settings: Settings,
    database: Database,
    quota: QuotaService,
    tasks: TaskService,
) -> Submitted:
    check_idempotency_key(idempotency_key)
    token_hash = caller_quota.token_hash
    if existing := tasks.existing_for_key(token_hash=token_hash, idempotency_key=idempotency_key):
        return Submitted(existing, created=False, quota=caller_quota)
    content_hash = tasks.content_hash(upload, token_hash=token_hash)
    if reused := _reuse_earlier(
        token_hash, content_hash, caller_quota=caller_quota, database=database, quota=quota, tasks=tasks
    ):
        return reused
    tasks.ensure_room(token_hash)
    task = tasks.prepare(
        upload, token_hash=token_hash, idempotency_key=idempotency_key, content_hash=content_hash
    )
    try:
        with database.session(write=True) as session:
            charged = quota.charge(
                token_hash=token_hash, size_bytes=task.charged_bytes, task_id=task.id, session=session
            )
            tasks.record(task, session=session)
            fault_point(settings, KILL_AFTER_CHARGE)
    except DuplicateTask:
        # A concurrent identical request committed first; ours rolled back, charge included.
        tasks.discard_blobs(task)
        if winner := tasks.existing_for_key(token_hash=token_hash, idempotency_key=idempotency_key):
            return Submitted(winner, created=False, quota=caller_quota)
        if reused := _reuse_earlier(
            token_hash, content_hash, caller_quota=caller_quota, database=database, quota=quota, tasks=tasks
        ):
            return reused
        raise
    except BaseException:
        tasks.discard_blobs(task)  # nothing was charged or recorded
        raise
    record.upload_charged(task.charged_bytes)  # committed: counted once, even if withdrawn below
    _queue(task, quota=quota, tasks=tasks, database=database)
    return Submitted(task, created=True, quota=charged)


def _reuse_earlier(
    token_hash: str,
    content_hash: str,
    *,
    caller_quota: QuotaInfo,
    database: Database,
    quota: QuotaService,
    tasks: TaskService,
) -> Submitted | None:
    """Answer with the token's earlier task of this content, kept as long as a new task would be, and
    note it in the ledger (0 bytes); None when there is none (or it failed or expired meanwhile)."""
    earlier = tasks.reusable(token_hash=token_hash, content_hash=content_hash)
    if earlier is None:
        return None
    with database.session(write=True) as session:
        kept = tasks.keep_for_reuse(earlier, session=session)
        if kept is None:
            return None
        quota.record_reuse(token_hash=kept.token_hash, task_id=kept.id, session=session)
    record.reused()
    return Submitted(kept, created=False, quota=caller_quota, reused=True)


def check_idempotency_key(key: str | None) -> None:
    """The key names a task for 24 h: a client sending none is fine, an empty or huge one is a mistake."""
    if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY_CHARS:
        raise InvalidOption("Idempotency-Key must be 1-255 characters.", details={"field": "Idempotency-Key"})


def _queue(task: Task, *, quota: QuotaService, tasks: TaskService, database: Database) -> None:
    try:
        tasks.enqueue(task.id)
    except Exception as exc:
        # The queue is down (Redis unreachable): take the upload back entirely, so that the client's
        # retry is charged once and the sweeper never runs a task nobody was told about.
        log.error("enqueue failed for task %s, upload withdrawn: %r", task.id, exc)
        with database.session(write=True) as session:
            quota.refund(
                token_hash=task.token_hash,
                task_id=task.id,
                size_bytes=task.charged_bytes,
                reason="not_queued",
                session=session,
            )
            tasks.forget(task, session=session)
        tasks.discard_blobs(task)
        raise ServiceUnavailable(
            "The task queue is unreachable; the upload was not kept or charged. Retry later.",
            details={"reason": "queue_unavailable"},
            headers={"Retry-After": "5"},
        ) from exc
