"""Build task rows and uploads for tests."""

from __future__ import annotations

import uuid
from dataclasses import replace
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


def another(upload: Upload, n: int) -> Upload:
    """The same bytes asked with other options (max_width): a new upload, not a reuse of an earlier one."""
    return replace(upload, options=replace(upload.options, max_width=10_000 + n))


def variant_record(*, key: str, format: str, mime_type: str | None = None) -> dict[str, object]:
    """One format variant as the runner stores it in result_json (tasks/result.py VariantRecord)."""
    return {
        "key": key,
        "format": format,
        "mime_type": mime_type or f"image/{format}",
        "size": 100,
        "width": 10,
        "height": 10,
        "quality": 80,
        "score": 75.0,
    }


def size_record(
    *,
    name: str,
    key: str,
    format: str = "jpeg",
    mime_type: str | None = None,
    variants: list[dict[str, object]] | None = None,
) -> dict[str, object]:
    """One size as the runner stores it in result_json (tasks/result.py SizeRecord)."""
    return {
        **variant_record(key=key, format=format, mime_type=mime_type),
        "name": name,
        "box": "10x10",
        "crop": False,
        "settings": {},
        "variants": variants or [],
    }
