"""A task that ends without a result: its charge given back, or kept past the token's free failures."""

from __future__ import annotations

from pixpress.db.models import Task
from pixpress.db.session import Session  # the unit of work the caller opened
from pixpress.quota import QuotaService
from pixpress.tasks.records import TaskRecords
from pixpress.tasks.runner import SettleFailure


def settle_failed_task(
    *, task: Task, reason: str, quota: QuotaService, records: TaskRecords, session: Session
) -> bool:
    """The ledger's decision and the task row's `failure_charged`, in the caller's unit of work (the one
    marking the task failed); idempotent (the ledger settles a task once, however many times this is
    called). True when the charge is kept."""
    charged = quota.settle_failure(
        token_hash=task.token_hash,
        task_id=task.id,
        size_bytes=task.charged_bytes,
        reason=reason,
        session=session,
    )
    records.set_failure_charged(task.id, charged=charged, session=session)
    return charged


def failure_settler(*, quota: QuotaService, records: TaskRecords) -> SettleFailure:
    """settle_failed_task in the shape the runner and the lease check call it: (task, reason, session)."""

    def settle(task: Task, reason: str, session: Session) -> None:
        settle_failed_task(task=task, reason=reason, quota=quota, records=records, session=session)

    return settle
