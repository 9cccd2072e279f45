"""The periodic jobs (and `pixpress cleanup`): each a use case over the collaborators it names."""

from __future__ import annotations

from collections.abc import Callable

from pixpress.config import Settings
from pixpress.db.session import Database
from pixpress.quota import QuotaService
from pixpress.quota.clock import Clock
from pixpress.quota.ledger_check import LedgerReport
from pixpress.quota.ledger_check import check_ledger as check_ledger_of
from pixpress.quota.scheduled_reset import close_due_periods as close_periods_due
from pixpress.storage.base import BlobStorage
from pixpress.tasks import maintenance, orphans
from pixpress.tasks.records import TaskRecords
from pixpress.tasks.runner import SettleFailure


def requeue_expired_leases(
    *,
    records: TaskRecords,
    enqueue: Callable[[str], None],
    pending_messages: Callable[[], int],
    settle_failure: SettleFailure,
    settings: Settings,
) -> int:
    """Tasks whose worker vanished get their next attempt, or fail (worker_lost: refunded) after the
    last one; tasks whose queue message was lost are sent again."""
    return maintenance.requeue_expired_leases(
        records=records,
        enqueue=enqueue,
        pending_messages=pending_messages,
        settle_failure=settle_failure,
        max_attempts=settings.task_max_attempts,
        stale_queued_s=settings.task_lease_s,
    )


def cleanup_expired(*, records: TaskRecords, storage: BlobStorage, settings: Settings) -> int:
    """Expired tasks with their files, then files no task row names (left by crashes): how many went."""
    removed = maintenance.cleanup_expired(records=records, storage=storage)
    return removed + orphans.sweep_orphan_blobs(
        records=records, storage=storage, grace_s=settings.orphan_blob_grace_s
    )


def close_due_periods(*, quota: QuotaService, clock: Clock) -> int:
    """The scheduled reset (PIXPRESS_RESET_SCHEDULE): close the periods due by the clock's now."""
    return close_periods_due(periods=quota.periods, schedule=quota.reset_schedule, clock=clock)


def check_ledger(*, database: Database) -> LedgerReport:
    """Every token's usage against its ledger; reports, never rewrites."""
    return check_ledger_of(database)
