"""The queue on both backends: SQLite (embedded) and Redis (scale-out)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from pixpress.config import Settings
from pixpress.tasks.queue import TaskQueue, WorkerContext, install_context_factory, make_huey


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def queue_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    name = f"test-{uuid.uuid4().hex[:8]}"
    if request.param == "sqlite":
        return Settings(environment="test", data_dir=tmp_path, queue_name=name)
    return Settings(
        environment="test", data_dir=tmp_path, queue_name=name, redis_url=request.getfixturevalue("redis_url")
    )


def test_enqueued_ids_reach_the_worker_context(queue_settings: Settings) -> None:
    ran: list[str] = []
    install_context_factory(lambda: WorkerContext(run_task=lambda task_id: ran.append(task_id) or False))
    queue = TaskQueue(make_huey(queue_settings))
    queue.ping()
    queue.enqueue("task-1")
    queue.enqueue("task-2", priority=10)
    assert queue.pending() == 2
    huey = queue.huey
    while (message := huey.dequeue()) is not None:
        huey.execute(message)
    assert sorted(ran) == ["task-1", "task-2"]
    if queue_settings.redis_url:
        assert ran[0] == "task-2"  # the higher priority first
    huey.storage.flush_all()
