from datetime import timedelta

import pytest

from pixpress.db.session import utcnow
from pixpress.tasks.service import result_filename, task_status
from pixpress.tasks.states import TaskState
from tests.tasks.factories import new_task


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
