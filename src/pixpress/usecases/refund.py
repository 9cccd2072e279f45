"""A task that ends without a result gives its charge back (it was charged whole at submit)."""

from __future__ import annotations

from pixpress.db.models import Task
from pixpress.quota import QuotaService
from pixpress.tasks.runner import Refund


def refund_task(*, task: Task, reason: str, quota: QuotaService) -> None:
    """Idempotent: the ledger refunds a task once, however many times this is called."""
    quota.refund(token_hash=task.token_hash, task_id=task.id, size_bytes=task.charged_bytes, reason=reason)


def refunder(*, quota: QuotaService) -> Refund:
    """refund_task in the shape the runner and the lease check call it: (task, reason)."""

    def refund(task: Task, reason: str) -> None:
        refund_task(task=task, reason=reason, quota=quota)

    return refund
