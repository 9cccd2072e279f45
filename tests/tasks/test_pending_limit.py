from pathlib import Path

import pytest

from pixpress.config import Settings
from pixpress.db.session import Database
from pixpress.errors import TooManyPending
from pixpress.storage.memory import MemoryStorage
from pixpress.tasks.records import TaskRecords
from pixpress.tasks.service import TaskService
from tests.tasks.factories import upload_of


def test_a_token_with_too_many_unfinished_tasks_is_refused_uncharged(
    database: Database, settings: Settings, corpus: Path
) -> None:
    settings.max_pending_per_token = 3
    queued: list[str] = []
    service = TaskService(
        settings=settings, records=TaskRecords(database), storage=MemoryStorage(), enqueue=queued.append
    )
    upload = upload_of(corpus / "graphic" / "logo.png")
    data = upload.data
    charges: list[int] = []

    def submit(token_hash: str) -> None:
        service.submit(
            upload,
            token_hash=token_hash,
            idempotency_key=None,
            charge=lambda _task, size: charges.append(size),
            uncharge=lambda _task, size: charges.append(-size),
        )

    for _ in range(3):
        submit("a" * 64)
    with pytest.raises(TooManyPending) as refused:
        submit("a" * 64)
    assert refused.value.headers["Retry-After"]
    assert sum(charges) == 3 * len(data)  # the refused one was never charged
    submit("b" * 64)  # other sites are not held back
    assert len(queued) == 4
