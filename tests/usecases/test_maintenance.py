"""The periodic jobs as use cases: lost leases, expired tasks and orphan files, the ledger check."""

from __future__ import annotations

from datetime import timedelta

from pixpress.db.session import utcnow
from pixpress.tasks.service import Upload
from pixpress.usecases.failed_tasks import failure_settler
from pixpress.usecases.maintenance import check_ledger, cleanup_expired, requeue_expired_leases
from tests.tasks.factories import new_task
from tests.usecases.conftest import Stack


def test_cleanup_removes_expired_tasks_and_orphan_files(stack: Stack, logo: Upload) -> None:
    kept = stack.submit(logo).task
    expired = new_task(ttl_s=-60)
    stack.storage.put(expired.input_key, b"expired upload")
    stack.tasks.records.insert(expired)
    orphan = new_task()
    stack.storage.put(orphan.input_key, b"left by a dead submit")
    stack.storage.touch(orphan.input_key, utcnow() - timedelta(hours=1))
    stack.settings.orphan_blob_grace_s = 60
    removed = cleanup_expired(records=stack.tasks.records, storage=stack.storage, settings=stack.settings)
    assert removed == 2
    assert [blob.key for blob in stack.storage.list()] == [kept.input_key]


def test_a_lost_task_is_queued_again_then_failed_and_refunded(stack: Stack, logo: Upload) -> None:
    task = stack.submit(logo).task
    records = stack.tasks.records
    settle = failure_settler(quota=stack.quota, records=records)
    stack.settings.task_max_attempts = 1
    assert records.claim(task.id, lease_s=-1) is not None  # a worker took it and vanished
    requeue_expired_leases(
        records=records,
        enqueue=stack.queue.enqueue,
        pending_messages=lambda: len(stack.queue.queued),
        settle_failure=settle,
        settings=stack.settings,
    )
    failed = records.get(task.id)
    assert failed is not None and failed.status == "failed" and failed.error_code == "worker_lost"
    assert stack.caller().used_bytes == 0
    assert check_ledger(database=stack.database).ok
