"""The submit use case over real services: a database (SQLite and PostgreSQL), the quota service with the
development default quota, the task service on in-memory storage and a queue that records or fails."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pixpress.config import Settings
from pixpress.db.models import Task
from pixpress.db.session import Database
from pixpress.quota import QuotaInfo, QuotaService
from pixpress.storage.memory import MemoryStorage
from pixpress.tasks.records import TaskRecords
from pixpress.tasks.service import TaskService, Upload
from pixpress.usecases.failed_tasks import failure_settler
from pixpress.usecases.submit import Submitted, submit_upload
from tests.tasks.factories import upload_of

TOKEN = "site-token-usecase"


@dataclass
class Queue:
    """A queue that records task ids, or fails like an unreachable Redis when `down`."""

    queued: list[str] = field(default_factory=list)
    down: bool = False

    def enqueue(self, task_id: str) -> None:
        if self.down:
            raise ConnectionError("queue unreachable")
        self.queued.append(task_id)


@dataclass
class Stack:
    settings: Settings
    database: Database
    quota: QuotaService
    tasks: TaskService
    storage: MemoryStorage
    queue: Queue

    def caller(self, token: str = TOKEN) -> QuotaInfo:
        return self.quota.authenticate(token, client_address="10.0.0.1")

    def settle(self, task: Task, reason: str) -> None:
        """Settle a failed task's charge as a worker does (here in a unit of work of its own)."""
        with self.database.session(write=True) as session:
            failure_settler(quota=self.quota, records=self.tasks.records)(task, reason, session)

    def fail(self, task: Task, code: str, message: str = "failed") -> None:
        """A worker takes the task and it fails with `code`: marked failed and settled in one unit of work."""
        claim = self.tasks.records.claim(task.id, lease_s=60)
        assert claim is not None
        with self.database.session(write=True) as session:
            assert self.tasks.records.fail(claim, error_code=code, error_message=message, session=session)
            failure_settler(quota=self.quota, records=self.tasks.records)(task, code, session)

    def submit(self, upload: Upload, *, token: str = TOKEN, key: str | None = None) -> Submitted:
        return submit_upload(
            upload=upload,
            caller_quota=self.caller(token),
            idempotency_key=key,
            settings=self.settings,
            database=self.database,
            quota=self.quota,
            tasks=self.tasks,
        )


@pytest.fixture
def stack(settings: Settings, database: Database) -> Iterator[Stack]:
    storage, queue = MemoryStorage(), Queue()
    quota = QuotaService(settings=settings, database=database)
    tasks = TaskService(
        settings=settings, records=TaskRecords(database), storage=storage, enqueue=queue.enqueue
    )
    yield Stack(settings, database, quota, tasks, storage, queue)
    quota.close()


@pytest.fixture
def logo(corpus: Path) -> Upload:
    return upload_of(corpus / "graphic" / "logo.png")
