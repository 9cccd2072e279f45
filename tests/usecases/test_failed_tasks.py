"""Failed tasks never lock a token out: past its free failures the charge of an undecodable file is
kept (and shown in the status and the ledger), and valid uploads are always accepted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from pixpress.db.models import UsageEntry
from pixpress.quota.ledger_check import check_ledger
from pixpress.tasks.runner import TaskRunner
from pixpress.tasks.service import Upload
from pixpress.usecases.failed_tasks import failure_settler
from pixpress.usecases.tasks import task_status
from tests import hostile
from tests.usecases.conftest import Stack


def runner_of(stack: Stack) -> TaskRunner:
    return TaskRunner(
        settings=stack.settings,
        records=stack.tasks.records,
        storage=stack.storage,
        settle_failure=failure_settler(quota=stack.quota, records=stack.tasks.records),
    )


def upload(stack: Stack, data: bytes, name: str) -> Upload:
    return stack.tasks.inspect(data, fields={}, filename=name)  # the submit checks, as the API runs them


def status_of(stack: Stack, task_id: str) -> dict[str, Any]:
    token_hash = stack.caller().token_hash
    return task_status(
        task_id=task_id, token_hash=token_hash, base_url="http://x", tasks=stack.tasks
    ).public()


def test_a_token_whose_files_keep_failing_is_never_refused_a_valid_one(stack: Stack, logo: Upload) -> None:
    runner = runner_of(stack)
    broken = 30  # over the 20 an hour that used to lock the token out, within the default free allowance
    failed_ids = []
    for n in range(broken):
        submitted = stack.submit(upload(stack, hostile.undecodable_png(n), f"broken-{n}.png"))
        runner.run(submitted.task.id)
        failed_ids.append(submitted.task.id)
    statuses = [status_of(stack, task_id) for task_id in failed_ids]
    assert {s["status"] for s in statuses} == {"failed"}
    assert {(s["error"]["code"], s["error"]["charged"]) for s in statuses} == {("invalid_image", False)}
    assert stack.caller().used_bytes == 0

    valid = stack.submit(logo)  # accepted: nothing is refused for earlier failures
    runner.run(valid.task.id)
    assert status_of(stack, valid.task.id)["status"] == "done"
    assert stack.caller().used_bytes == len(logo.data)


def test_past_the_free_allowance_an_undecodable_file_is_charged_and_says_so(stack: Stack) -> None:
    stack.settings.free_failures_per_period = 2
    stack.settings.free_failures_percent = 0.0
    runner = runner_of(stack)
    uploads = [upload(stack, hostile.undecodable_png(n), f"broken-{n}.png") for n in range(4)]
    task_ids = []
    for item in uploads:
        task_ids.append(stack.submit(item).task.id)
        runner.run(task_ids[-1])
    charged = [status_of(stack, task_id)["error"]["charged"] for task_id in task_ids]
    assert charged == [False, False, True, True]
    assert stack.caller().used_bytes == len(uploads[2].data) + len(uploads[3].data)
    with stack.database.session() as session:
        kinds = list(session.scalars(select(UsageEntry.kind).order_by(UsageEntry.id)))
    assert kinds.count("failure_charged") == 2 and kinds.count("refund") == 2
    assert check_ledger(stack.database).ok

    # Still never refused: the next upload, valid or not, is accepted and charged as any upload.
    more = stack.submit(upload(stack, hostile.undecodable_png(99), "again.png"))
    runner.run(more.task.id)
    assert status_of(stack, more.task.id)["error"]["charged"] is True


def test_a_failure_that_is_not_the_file_s_doing_is_refunded_past_the_allowance(
    stack: Stack, logo: Upload
) -> None:
    stack.settings.free_failures_per_period = 0
    stack.settings.free_failures_percent = 0.0
    task = stack.submit(logo).task
    stack.fail(task, "task_timeout", "too slow")
    assert status_of(stack, task.id)["error"] == {
        "code": "task_timeout",
        "message": "too slow",
        "charged": False,
    }
    assert stack.caller().used_bytes == 0
