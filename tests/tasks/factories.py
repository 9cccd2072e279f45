"""Build task rows and uploads for tests."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from pixpress import imaging
from pixpress.db.models import Task
from pixpress.db.session import utcnow
from pixpress.tasks.service import Upload
from pixpress.tasks.states import TaskState, input_key


def new_task(*, token_hash: str = "a" * 64, idempotency_key: str | None = None, ttl_s: int = 3600) -> Task:
    task_id = str(uuid.uuid4())
    now = utcnow()
    return Task(
        id=task_id,
        token_hash=token_hash,
        status=TaskState.QUEUED.value,
        options_json="{}",
        original_filename="photo.jpg",
        input_key=input_key(task_id),
        input_format="jpeg",
        original_size=1000,
        charged_bytes=1000,
        attempts=0,
        idempotency_key=idempotency_key,
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
    )


def upload_of(path: Path) -> Upload:
    """An upload of `path` in the default mode, probed as the API probes it."""
    data = path.read_bytes()
    return Upload(
        data=data,
        filename=path.name,
        info=imaging.probe(data, limits=imaging.Limits()),
        options=imaging.OptimizeOptions(),
    )
