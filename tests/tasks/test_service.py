import json
from datetime import timedelta
from pathlib import Path

import pytest
import pyvips

from pixpress import imaging
from pixpress.config import Settings
from pixpress.db.session import Database, utcnow
from pixpress.errors import InvalidOption, TaskNotFound
from pixpress.storage.memory import MemoryStorage
from pixpress.tasks.records import TaskRecords
from pixpress.tasks.service import TaskService, result_filename, task_status
from pixpress.tasks.states import TaskState
from tests.tasks.factories import new_task, size_record, variant_record


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
    data = task_status(task, base_url="http://x").public()
    assert data["savings_percent"] == 60.0 and data["savings_bytes"] == 600
    assert data["download_url"] == f"http://x/api/optimize/download/{task.id}"
    assert data["quality"] == 80 and data["score"] == 81.5


def test_status_of_a_failed_task_carries_the_error() -> None:
    task = new_task()
    task.status = TaskState.FAILED.value
    task.error_code, task.error_message = "invalid_image", "broken"
    assert task_status(task, base_url="").public()["error"] == {"code": "invalid_image", "message": "broken"}


def _service(database: Database, settings: Settings) -> TaskService:
    return TaskService(
        settings=settings, records=TaskRecords(database), storage=MemoryStorage(), enqueue=lambda _id: None
    )


def test_sizes_are_checked_against_the_upload_at_submit(
    database: Database, settings: Settings, corpus: Path
) -> None:
    service = _service(database, settings)
    data = (corpus / "photo" / "kodim03.png").read_bytes()  # 768x512
    fine = service.inspect(data, fields={"sizes": "t:150x150:crop,banner:1000x300"}, filename="k.png")
    assert [s.name for s in fine.options.sizes] == ["t", "banner"]
    for sizes in ("huge:1024x1024", "same:768x512", "big:800x600:crop"):
        with pytest.raises(InvalidOption, match="not smaller than the upload"):
            service.inspect(data, fields={"sizes": sizes}, filename="k.png")


def test_size_downloads_of_a_task(database: Database, settings: Settings) -> None:
    service = _service(database, settings)
    task = new_task()
    task.status, task.result_key, task.output_format = TaskState.DONE.value, "r", "jpeg"
    variants = [
        variant_record(key="k-thumb", format="webp"),
        variant_record(key="k-thumb-jpeg", format="jpeg"),
    ]
    size = size_record(name="thumbnail", key="k-thumb", format="webp", variants=variants)
    plain = size_record(name="medium", key="k-medium", format="jpeg")
    task.result_json = json.dumps({"sizes": [size, plain]})
    service.records.insert(task)
    for key, data in (("k-thumb", b"thumb"), ("k-thumb-jpeg", b"thumb jpeg"), ("k-medium", b"medium")):
        service.storage.put(key, data)
    got = service.download(task.id, token_hash=task.token_hash, size="thumbnail")
    assert (b"".join(got.content), got.mime_type, got.filename) == (
        b"thumb",
        "image/webp",
        "photo-thumbnail.webp",
    )
    got = service.download(task.id, token_hash=task.token_hash, size="thumbnail", variant="jpeg")
    assert (b"".join(got.content), got.mime_type, got.filename) == (
        b"thumb jpeg",
        "image/jpeg",
        "photo-thumbnail.jpg",
    )
    with pytest.raises(TaskNotFound, match=r"no size of that name \(its sizes: thumbnail, medium\)"):
        service.download(task.id, token_hash=task.token_hash, size="large")
    with pytest.raises(
        TaskNotFound, match=r"size 'thumbnail' has no variant in that format \(its variants: webp, jpeg\)"
    ):
        service.download(task.id, token_hash=task.token_hash, size="thumbnail", variant="avif")
    with pytest.raises(TaskNotFound, match=r"size 'medium' has no variant .*only jpeg was made"):
        service.download(task.id, token_hash=task.token_hash, size="medium", variant="jpeg")
    with pytest.raises(TaskNotFound, match=r"This task has no variant in that format"):
        service.download(task.id, token_hash=task.token_hash, variant="webp")  # the main image has none
    with pytest.raises(TaskNotFound):  # another token's task stays invisible
        service.download(task.id, token_hash="b" * 64, size="thumbnail")


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
