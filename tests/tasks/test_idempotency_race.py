"""Concurrent retries of one upload with the same Idempotency-Key: one task, one charge.

A retry that finds no task for its key frees the key from tasks older than its TTL; that release must never
clear the key of a task a concurrent retry has just created (it would then be created, and charged, twice).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pixpress.config import Settings
from pixpress.container import Container
from pixpress.db.models import Task, UsageEntry
from pixpress.db.session import Database
from pixpress.quota import QuotaInfo
from pixpress.usecases.submit import submit_upload
from tests.tasks.factories import upload_of

RETRIES = 8
ROUNDS = 6


class RecordingQueue:
    def __init__(self) -> None:
        self.queued: list[str] = []

    def enqueue(self, task_id: str) -> None:
        self.queued.append(task_id)


@pytest.fixture
def container(settings: Settings, database: Database) -> Iterator[Container]:
    settings.database_url = database.url
    settings.storage_url = "memory://"
    made = Container(settings)
    made.queue = RecordingQueue()  # type: ignore[assignment]
    yield made
    made.close()


def test_concurrent_retries_with_one_key_make_one_task_and_one_charge(
    container: Container, database: Database, corpus: Path
) -> None:
    upload = upload_of(corpus / "graphic" / "logo.png")
    callers = []

    for round_no in range(ROUNDS):
        key = f"upload-{round_no}"
        # A token per round: one token's identical upload under a new key would get its earlier task.
        caller = container.quota.authenticate(f"site-token-retries-{round_no}", client_address="10.0.0.1")
        callers.append(caller)
        barrier = threading.Barrier(RETRIES)

        def retry(
            _: int, key: str = key, barrier: threading.Barrier = barrier, caller: QuotaInfo = caller
        ) -> str:
            barrier.wait()
            submitted = submit_upload(
                upload=upload,
                caller_quota=caller,
                idempotency_key=key,
                settings=container.settings,
                database=container.database,
                quota=container.quota,
                tasks=container.tasks,
            )
            return submitted.task.id

        with ThreadPoolExecutor(max_workers=RETRIES) as pool:
            answered = set(pool.map(retry, range(RETRIES)))
        assert len(answered) == 1, f"round {round_no}: {len(answered)} tasks for one key"

    with database.session() as session:
        tasks = session.scalar(select(func.count()).select_from(Task))
        charges = session.scalar(
            select(func.count()).select_from(UsageEntry).where(UsageEntry.kind == "charge")
        )
    assert (tasks, charges) == (ROUNDS, ROUNDS)
    for caller in callers:
        refreshed = container.quota.records.get(caller.token_hash)
        assert refreshed is not None and refreshed.used_bytes == len(upload.data)
