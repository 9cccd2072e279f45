"""The task queue: Huey on SQLite (embedded default) or on Redis (priority-capable) when configured.

Tasks carry ids only. What a task needs (database, storage, refunds) comes from a per-process context
built lazily by a factory that the composition root installs, so forked workers open their own
connections instead of sharing the parent's.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pixpress.config import Settings
from pixpress.coordination.reachable import redis_reachable
from pixpress.tasks.huey_import import Consumer, Huey, PriorityRedisHuey, SqliteHuey
from pixpress.tasks.worker_restarts import note_ended_workers

log = logging.getLogger("pixpress.queue")


@dataclass
class WorkerContext:
    """What a worker process needs to run a task by id."""

    run_task: Callable[[str], bool]  # True when the task ended in an error
    # After each task (told whether it failed): True when this worker process should end and be
    # replaced (tasks/limits.py).
    needs_replacing: Callable[[bool], bool] = lambda failed: False


ContextFactory = Callable[[], WorkerContext]

_factory: ContextFactory | None = None
_context: tuple[int, WorkerContext] | None = None


def install_context_factory(factory: ContextFactory) -> None:
    global _factory, _context
    _factory = factory
    _context = None


def worker_context() -> WorkerContext:
    global _context
    if _context is None or _context[0] != os.getpid():
        if _factory is None:
            raise RuntimeError("no worker context factory installed")
        _context = (os.getpid(), _factory())
    return _context[1]


def make_huey(settings: Settings) -> Huey:
    if settings.redis_url:
        huey: Huey = PriorityRedisHuey(settings.queue_name, url=settings.redis_url, results=False, utc=True)
    else:
        settings.ensure_data_dir()
        huey = SqliteHuey(
            settings.queue_name, filename=str(settings.queue_path), results=False, utc=True, timeout=30
        )
    _register(huey)
    return huey


def _register(huey: Huey) -> None:
    @huey.on_startup()
    def die_with_the_consumer() -> None:
        # A worker process must not outlive its consumer (kill -9 of the consumer, a stop that had to
        # escalate): it would go on taking tasks from the queue that nobody supervises.
        _exit_when_parent_dies()

    @huey.task(name="optimize")
    def optimize(task_id: str) -> None:
        context = worker_context()
        failed = context.run_task(task_id)
        if context.needs_replacing(failed):
            log.warning("worker process %d keeps too much memory after a task: replacing it", os.getpid())
            os._exit(0)  # the task is recorded; the consumer starts a fresh worker process

    huey.pixpress_optimize = optimize


PR_SET_PDEATHSIG = 1


def _exit_when_parent_dies() -> None:
    """Linux: SIGKILL to this process when its parent ends (elsewhere: nothing)."""
    name = ctypes.util.find_library("c")
    if name and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(name).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class _NoScheduler:
    """Stands in for huey's scheduler process. pixpress enqueues every task to run now (no delays, no huey
    retries) and its periodic jobs run in threads (tasks/scheduler.py), so the scheduler would have
    nothing to move; as a process of its own it cost ~20 MB of resident memory for nothing. Alive until
    the consumer stops (its health check would otherwise start a real one; its graceful stop would
    report a timeout that did not happen)."""

    def __init__(self, stop_flag: Any) -> None:
        self.stop_flag = stop_flag

    def start(self) -> None:
        pass

    def is_alive(self) -> bool:
        return not self.stop_flag.is_set()

    def join(self, timeout: float | None = None) -> None:
        pass


class LeanConsumer(Consumer):
    """huey's consumer without the scheduler process (see _NoScheduler)."""

    def __init__(self, huey: Huey, **options: Any) -> None:
        super().__init__(huey, periodic=False, **options)
        self.scheduler = _NoScheduler(self.stop_flag)

    def check_worker_health(self) -> bool:
        note_ended_workers(self)  # metrics, before huey replaces them
        return bool(super().check_worker_health())


def make_consumer(huey: Huey, *, workers: int) -> Consumer:
    """Worker processes forked from the consumer: a crash or a runaway task takes one of them, which the
    consumer replaces (health check every second)."""
    return LeanConsumer(
        huey,
        workers=workers,
        worker_type="process",
        initial_delay=0.05,
        backoff=1.15,
        max_delay=0.5,
        check_worker_health=True,
        health_check_interval=1,
    )


class TaskQueue:
    """What the API and the maintenance jobs need from the queue."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey

    def enqueue(self, task_id: str, *, priority: int = 0) -> None:
        task: Any = self.huey.pixpress_optimize
        with redis_reachable("queue_unavailable"):
            self.huey.enqueue(task.s(task_id, priority=priority))

    def close_sqlite_connection(self) -> None:
        """The embedded queue's connection closed (reopened on next use); a Redis queue keeps its pool."""
        if isinstance(self.huey, SqliteHuey):
            self.huey.storage.close()

    def pending(self) -> int:
        with redis_reachable("queue_unavailable"):
            return int(self.huey.pending_count())

    def ping(self) -> None:
        """Raises the client's own error when unreachable: /ready names its class to an admin."""
        self.huey.pending_count()
