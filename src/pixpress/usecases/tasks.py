"""One task, as its owner sees it: its state, its result, and forgetting it."""

from __future__ import annotations

import time
from functools import partial

import anyio
import anyio.to_thread

from pixpress.db.models import Task
from pixpress.tasks.service import Download, TaskService
from pixpress.tasks.states import TaskState
from pixpress.tasks.views import TaskStatus

WAIT_POLL_S = 0.1
UNFINISHED_STATES = (TaskState.QUEUED, TaskState.PROCESSING)


def is_unfinished(task: Task) -> bool:
    return task.status in UNFINISHED_STATES


def task_status(*, task_id: str, token_hash: str, base_url: str, tasks: TaskService) -> TaskStatus:
    """GET /status: TaskNotFound for an unknown task and for another token's."""
    task = tasks.get(task_id, token_hash=token_hash)
    return tasks.status(task, base_url=base_url)


async def wait_until_finished(*, task: Task, token_hash: str, wait_s: float, tasks: TaskService) -> Task:
    """Poll the task's row until it is done or failed, or `wait_s` has passed (submit?wait=S)."""
    deadline = time.monotonic() + wait_s
    reread = partial(tasks.get, task.id, token_hash=token_hash)
    while wait_s and time.monotonic() < deadline and is_unfinished(task):
        await anyio.sleep(WAIT_POLL_S)
        task = await anyio.to_thread.run_sync(reread)  # the database is read off the event loop
    return task


def download_result(
    *, task_id: str, token_hash: str, variant: str | None, size: str | None, tasks: TaskService
) -> Download:
    """GET /download: the result, a size of it, or a format variant of either, opened for streaming."""
    return tasks.download(task_id, token_hash=token_hash, variant=variant, size=size)


def delete_task(*, task_id: str, token_hash: str, tasks: TaskService) -> None:
    """DELETE /task: the row and every file of the task, now."""
    tasks.delete(task_id, token_hash=token_hash)
