"""Status, wait, download and delete of one task, over the real services with in-memory storage and a
list for a queue; the task is run by the real runner in process."""

from __future__ import annotations

import anyio
import pytest

from pixpress.db.models import Task
from pixpress.errors import InvalidOption, TaskNotFound
from pixpress.tasks.runner import TaskRunner
from pixpress.tasks.service import Upload
from pixpress.usecases.failed_tasks import failure_settler
from pixpress.usecases.tasks import delete_task, download_result, task_status, wait_until_finished
from tests.usecases.conftest import Stack


def run_queued(stack: Stack) -> None:
    runner = TaskRunner(
        settings=stack.settings,
        records=stack.tasks.records,
        storage=stack.storage,
        settle_failure=failure_settler(quota=stack.quota, records=stack.tasks.records),
    )
    for task_id in stack.queue.queued:
        runner.run(task_id)


def test_a_finished_task_is_reported_downloaded_and_deleted(stack: Stack, logo: Upload) -> None:
    task = stack.submit(logo).task
    owner = task.token_hash
    queued = task_status(task_id=task.id, token_hash=owner, base_url="http://x", tasks=stack.tasks).public()
    assert queued["status"] == "queued" and "download_url" not in queued
    run_queued(stack)
    done = task_status(task_id=task.id, token_hash=owner, base_url="http://x", tasks=stack.tasks).public()
    assert done["status"] == "done"
    assert done["download_url"] == f"http://x/api/optimize/download/{task.id}"
    result = download_result(task_id=task.id, token_hash=owner, variant=None, size=None, tasks=stack.tasks)
    assert result.mime_type == done["mime_type"]
    assert len(b"".join(result.content)) == done["optimized_size"]
    delete_task(task_id=task.id, token_hash=owner, tasks=stack.tasks)
    assert list(stack.storage.list()) == []
    with pytest.raises(TaskNotFound):
        task_status(task_id=task.id, token_hash=owner, base_url="", tasks=stack.tasks)


def test_another_token_s_task_is_not_found(stack: Stack, logo: Upload) -> None:
    task = stack.submit(logo).task
    stranger = stack.caller("another-site").token_hash
    for call in (
        lambda: task_status(task_id=task.id, token_hash=stranger, base_url="", tasks=stack.tasks),
        lambda: download_result(
            task_id=task.id, token_hash=stranger, variant=None, size=None, tasks=stack.tasks
        ),
        lambda: delete_task(task_id=task.id, token_hash=stranger, tasks=stack.tasks),
    ):
        with pytest.raises(TaskNotFound):
            call()
    assert stack.storage.exists(task.input_key)


def test_waiting_ends_at_the_deadline_or_when_the_task_is_finished(stack: Stack, logo: Upload) -> None:
    task = stack.submit(logo).task

    def wait(for_s: float) -> Task:
        async def waiting() -> Task:
            return await wait_until_finished(
                task=task, token_hash=task.token_hash, wait_s=for_s, tasks=stack.tasks
            )

        return anyio.run(waiting)

    assert wait(0.3).status == "queued"  # nobody runs it: given up after 0.3 s
    run_queued(stack)
    assert wait(30).status == "done"  # already done: answered at the first poll


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_an_idempotency_key_out_of_bounds_is_refused_uncharged(stack: Stack, logo: Upload, key: str) -> None:
    with pytest.raises(InvalidOption) as refused:
        stack.submit(logo, key=key)
    assert refused.value.details == {"field": "Idempotency-Key"}
    assert stack.caller().used_bytes == 0 and list(stack.storage.list()) == []


def test_a_refund_gives_the_charge_back_once(stack: Stack, logo: Upload) -> None:
    task = stack.submit(logo).task
    stack.settle(task, "internal_error")
    stack.settle(task, "internal_error")  # a second call (a retried job) changes nothing
    assert stack.caller().used_bytes == 0
