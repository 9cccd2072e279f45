from datetime import timedelta
from pathlib import Path

import pytest
import pyvips

from pixpress import imaging
from pixpress.config import Settings
from pixpress.db.session import Database, utcnow
from pixpress.errors import InvalidOption, ServiceUnavailable
from pixpress.storage.memory import MemoryStorage
from pixpress.tasks.queue import TaskQueue, make_huey
from pixpress.tasks.records import TaskRecords
from pixpress.tasks.service import TaskService, result_filename, task_status
from pixpress.tasks.states import TaskState, input_key
from tests.e2e.server import free_port
from tests.tasks.factories import new_task, upload_of


@pytest.mark.parametrize(
    ("original", "fmt", "expected"),
    [
        ("photo.JPG", "jpeg", "photo.jpg"),
        ("../../etc/passwd", "png", "passwd.png"),
        ('evil"; name=x.png', "webp", "evil___name_x.webp"),
        ("фото.png", "png", "image.png"),
        ("C:\\Users\\me\\shot.png", "avif", "shot.avif"),
        ("", "gif", "image.gif"),
    ],
)
def test_download_filename_is_safe(original: str, fmt: str, expected: str) -> None:
    assert result_filename(original, fmt) == expected


def test_status_of_a_done_task_lists_sizes_savings_and_url() -> None:
    task = new_task()
    task.status = TaskState.DONE.value
    task.original_size, task.optimized_size = 1000, 400
    task.output_format, task.mime_type, task.width, task.height = "jpeg", "image/jpeg", 10, 20
    task.finished_at = utcnow() + timedelta(seconds=1)
    task.result_json = '{"quality": 80, "score": 81.5, "variants": []}'
    data = task_status(task, base_url="http://x")
    assert data["savings_percent"] == 60.0 and data["savings_bytes"] == 600
    assert data["download_url"] == f"http://x/api/optimize/download/{task.id}"
    assert data["quality"] == 80 and data["score"] == 81.5


def test_status_of_a_failed_task_carries_the_error() -> None:
    task = new_task()
    task.status = TaskState.FAILED.value
    task.error_code, task.error_message = "invalid_image", "broken"
    assert task_status(task, base_url="")["error"] == {"code": "invalid_image", "message": "broken"}


def test_an_upload_whose_queueing_fails_is_taken_back_and_refunded(
    database: Database, settings: Settings, corpus: Path
) -> None:
    settings.redis_url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there: Redis is down
    storage = MemoryStorage()
    records = TaskRecords(database)
    service = TaskService(
        settings=settings, records=records, storage=storage, enqueue=TaskQueue(make_huey(settings)).enqueue
    )
    upload = upload_of(corpus / "graphic" / "logo.png")
    charged: dict[str, int] = {}

    with pytest.raises(ServiceUnavailable) as refused:
        service.submit(
            upload,
            token_hash="a" * 64,
            idempotency_key="retry-me",
            charge=lambda task, size: charged.__setitem__(task, size),
            uncharge=lambda task, size: charged.__setitem__(task, charged[task] - size),
        )
    assert refused.value.details == {"reason": "queue_unavailable"}
    assert refused.value.headers["Retry-After"]
    [(task_id, balance)] = charged.items()
    assert balance == 0  # charged, then refunded
    assert records.get(task_id) is None  # no task left for the sweeper to run unasked
    assert not storage.exists(input_key(task_id))
    # The key is free again: the client's retry is a new upload, not a repeat of the failed one.
    assert service.existing_for_key(token_hash="a" * 64, idempotency_key="retry-me") is None


def test_inspect_refuses_a_format_that_cannot_hold_the_image(settings: Settings, database: Database) -> None:
    image = (pyvips.Image.black(17_000, 16, bands=3) + 128).cast("uchar").copy(interpretation="srgb")
    data = image.jpegsave_buffer(Q=80)
    assert len(data) < 10_000
    service = TaskService(
        settings=settings, records=TaskRecords(database), storage=MemoryStorage(), enqueue=print
    )
    with pytest.raises(InvalidOption, match="WEBP holds at most 16383"):
        service.inspect(data, fields={"format": "webp"}, filename="wide.jpg")
    upload = service.inspect(data, fields={"format": "auto", "accept": "webp"}, filename="wide.jpg")
    assert imaging.output_formats(upload.info, upload.options) == (imaging.ImageFormat.JPEG,)
