"""Identical re-uploads are free: the same bytes with the same options from the same token, while the
earlier task can still answer, get that task back, with a 0-byte `reuse` entry in the ledger."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select, update

from pixpress.db.models import Task, UsageEntry
from pixpress.db.session import as_utc, utcnow
from pixpress.quota.ledger_check import check_ledger
from pixpress.tasks.runner import TaskRunner
from pixpress.tasks.service import Upload
from pixpress.usecases.failed_tasks import failure_settler
from pixpress.usecases.submit import submit_upload
from pixpress.usecases.tasks import delete_task
from tests.tasks.factories import another
from tests.usecases.conftest import Stack


def ledger(stack: Stack) -> list[tuple[str, int]]:
    with stack.database.session() as session:
        return [(e.kind, e.size_bytes) for e in session.scalars(select(UsageEntry).order_by(UsageEntry.id))]


def task_count(stack: Stack) -> int:
    with stack.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(Task)) or 0)


def run_queued(stack: Stack) -> None:
    runner = TaskRunner(
        settings=stack.settings,
        records=stack.tasks.records,
        storage=stack.storage,
        settle_failure=failure_settler(quota=stack.quota, records=stack.tasks.records),
    )
    while stack.queue.queued:
        runner.run(stack.queue.queued.pop(0))


def test_the_same_upload_again_gets_the_earlier_result_uncharged(stack: Stack, logo: Upload) -> None:
    first = stack.submit(logo)
    run_queued(stack)
    again = stack.submit(logo)
    assert again.reused and not again.created and again.task.id == first.task.id
    assert again.task.status == "done" and stack.queue.queued == []
    assert again.quota.used_bytes == stack.caller().used_bytes == len(logo.data)
    assert ledger(stack) == [("charge", len(logo.data)), ("reuse", 0)]
    assert task_count(stack) == 1 and check_ledger(stack.database).ok


def test_a_task_still_queued_is_answered_not_queued_twice(stack: Stack, logo: Upload) -> None:
    first = stack.submit(logo)
    again = stack.submit(logo, key="another-key")  # an Idempotency-Key does not make it new work
    assert again.reused and again.task.id == first.task.id and again.task.status == "queued"
    assert stack.queue.queued == [first.task.id]
    assert stack.caller().used_bytes == len(logo.data)


def test_the_reused_task_is_kept_as_long_as_a_new_one_would_be(stack: Stack, logo: Upload) -> None:
    first = stack.submit(logo)
    soon = utcnow() + timedelta(seconds=5)
    with stack.database.session() as session:
        session.execute(update(Task).where(Task.id == first.task.id).values(expires_at=soon))
    again = stack.submit(logo)
    kept_until = as_utc(again.task.expires_at)
    assert (
        again.reused
        and kept_until is not None
        and kept_until > utcnow() + timedelta(seconds=stack.settings.result_ttl_s - 60)
    )


def test_other_options_or_another_token_are_new_work_charged_again(stack: Stack, logo: Upload) -> None:
    first = stack.submit(logo)
    other_options = stack.submit(another(logo, 1))
    other_token = stack.submit(logo, token="another-site")
    assert not other_options.reused and other_options.task.id != first.task.id
    assert not other_token.reused and other_token.task.id not in (first.task.id, other_options.task.id)
    assert stack.caller().used_bytes == 2 * len(logo.data)
    assert stack.caller("another-site").used_bytes == len(logo.data)


def test_after_a_delete_an_expiry_or_a_failure_the_upload_is_charged_normally(
    stack: Stack, logo: Upload
) -> None:
    size = len(logo.data)
    deleted = stack.submit(logo)
    delete_task(task_id=deleted.task.id, token_hash=deleted.task.token_hash, tasks=stack.tasks)
    after_delete = stack.submit(logo)
    assert not after_delete.reused and after_delete.created and stack.caller().used_bytes == 2 * size

    with stack.database.session() as session:  # past its lifetime, the cleanup not yet run
        session.execute(
            update(Task)
            .where(Task.id == after_delete.task.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    after_expiry = stack.submit(logo)
    assert not after_expiry.reused and after_expiry.task.id != after_delete.task.id
    assert stack.caller().used_bytes == 3 * size

    stack.fail(after_expiry.task, "internal_error")
    after_failure = stack.submit(logo)
    assert not after_failure.reused and after_failure.task.id != after_expiry.task.id
    assert stack.caller().used_bytes == 3 * size  # the failed one refunded, the new one charged
    assert check_ledger(stack.database).ok


def test_identical_uploads_at_once_make_one_task_and_one_charge(stack: Stack, logo: Upload) -> None:
    uploads = 8
    caller = stack.caller()
    for round_no in range(3):
        upload = another(logo, round_no)
        barrier = threading.Barrier(uploads)

        def send(_: int, upload: Upload = upload, barrier: threading.Barrier = barrier) -> tuple[str, bool]:
            barrier.wait()
            submitted = submit_upload(
                upload=upload,
                caller_quota=caller,
                idempotency_key=None,
                settings=stack.settings,
                database=stack.database,
                quota=stack.quota,
                tasks=stack.tasks,
            )
            return submitted.task.id, submitted.reused

        with ThreadPoolExecutor(max_workers=uploads) as pool:
            answers = list(pool.map(send, range(uploads)))
        assert len({task_id for task_id, _ in answers}) == 1, f"round {round_no}: {answers}"
        assert sum(1 for _, reused in answers if not reused) == 1
    assert task_count(stack) == 3
    assert stack.caller().used_bytes == 3 * len(logo.data)
    assert [kind for kind, _ in ledger(stack)].count("charge") == 3
    assert list(stack.storage.list()) != [] and len(list(stack.storage.list())) == 3  # losers' blobs gone
    assert check_ledger(stack.database).ok
