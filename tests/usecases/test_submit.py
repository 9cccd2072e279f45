"""The submit as one unit of work: charged with its task row or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from pixpress.db.models import Task, UsageEntry
from pixpress.errors import QuotaExceeded, ServiceUnavailable, TooManyPending
from pixpress.quota.ledger_check import check_ledger
from pixpress.tasks.service import TaskService, Upload
from pixpress.tasks.states import input_key
from tests.tasks.factories import another
from tests.usecases.conftest import Stack


def task_count(stack: Stack) -> int:
    with stack.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(Task)) or 0)


def ledger_kinds(stack: Stack) -> list[str]:
    with stack.database.session() as session:
        return list(session.scalars(select(UsageEntry.kind).order_by(UsageEntry.id)))


def test_a_submit_is_charged_recorded_and_queued(stack: Stack, logo: Upload) -> None:
    submitted = stack.submit(logo, key="k-1")
    assert submitted.created and submitted.quota.used_bytes == len(logo.data)
    assert stack.queue.queued == [submitted.task.id]
    assert stack.storage.exists(input_key(submitted.task.id))
    again = stack.submit(logo, key="k-1")  # a repeat of the key: same task, not charged again
    assert not again.created and again.task.id == submitted.task.id
    assert stack.caller().used_bytes == len(logo.data)
    assert ledger_kinds(stack) == ["charge"] and check_ledger(stack.database).ok


def test_over_quota_nothing_is_kept(stack: Stack, logo: Upload) -> None:
    stack.settings.default_quota_mb = len(logo.data) * 1.5 / (1024 * 1024)
    stack.submit(logo)
    with pytest.raises(QuotaExceeded):
        stack.submit(another(logo, 1))
    assert task_count(stack) == 1 and len(list(stack.storage.list())) == 1
    assert ledger_kinds(stack) == ["charge"]


def test_a_failing_task_insert_rolls_the_charge_back(stack: Stack, logo: Upload) -> None:
    class TasksLosingTheDatabase(TaskService):
        def record(self, task: Task, *, session: Session) -> None:
            raise OperationalError("INSERT INTO tasks", {}, ConnectionError("gone after the charge"))

    stack.tasks = TasksLosingTheDatabase(
        settings=stack.settings,
        records=stack.tasks.records,
        storage=stack.storage,
        enqueue=stack.queue.enqueue,
    )
    with pytest.raises(ServiceUnavailable) as refused:  # the adapter's error, not SQLAlchemy's
        stack.submit(logo)
    assert refused.value.details == {"reason": "database_unavailable"}
    assert stack.caller().used_bytes == 0 and ledger_kinds(stack) == []
    assert task_count(stack) == 0 and list(stack.storage.list()) == []


def test_an_upload_whose_queueing_fails_is_taken_back_and_refunded(stack: Stack, logo: Upload) -> None:
    stack.queue.down = True
    with pytest.raises(ServiceUnavailable) as refused:
        stack.submit(logo, key="retry-me")
    assert refused.value.details == {"reason": "queue_unavailable"}
    assert refused.value.headers["Retry-After"]
    assert stack.caller().used_bytes == 0 and ledger_kinds(stack) == ["charge", "refund"]
    assert task_count(stack) == 0 and list(stack.storage.list()) == []
    assert check_ledger(stack.database).ok
    stack.queue.down = False  # the key is free again: the retry is a new upload, charged once
    retried = stack.submit(logo, key="retry-me")
    assert retried.created and stack.caller().used_bytes == len(logo.data)


def test_a_token_with_too_many_unfinished_tasks_is_refused_uncharged(stack: Stack, logo: Upload) -> None:
    stack.settings.max_pending_per_token = 3
    for n in range(3):
        stack.submit(another(logo, n))
    with pytest.raises(TooManyPending) as refused:
        stack.submit(another(logo, 3))
    assert refused.value.headers["Retry-After"]
    assert stack.caller().used_bytes == 3 * len(logo.data)  # the refused one was never charged
    stack.submit(logo, token="another-site")  # other sites are not held back
    assert len(stack.queue.queued) == 4
