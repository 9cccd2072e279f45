"""Downloads are streamed from the storage, never read whole, on every backend (memory, local, S3)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pixpress.config import Settings
from pixpress.container import Container
from pixpress.quota import hash_token
from pixpress.storage import BlobStorage, BlobStream
from pixpress.storage.base import CHUNK_BYTES
from pixpress.storage.local import LocalStorage
from pixpress.storage.memory import MemoryStorage
from pixpress.storage.s3 import S3Storage
from pixpress.tasks.states import TaskState
from tests.api.conftest import SITE, SITE_TOKEN
from tests.tasks.factories import new_task

RESULT_BYTES = 5 * CHUNK_BYTES + 123


class NoWholeReads:
    """A backend whose get() is off limits: what the download route may use of the real one."""

    def __init__(self, inner: BlobStorage) -> None:
        self.inner = inner

    def get(self, key: str) -> bytes:
        raise AssertionError(f"a download read {key} whole")

    def put(self, key: str, data: bytes) -> None:
        self.inner.put(key, data)

    def open(self, key: str) -> BlobStream:
        return self.inner.open(key)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def ping(self) -> None:
        self.inner.ping()


@pytest.fixture(params=["memory", "local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStorage:
    if request.param == "memory":
        return MemoryStorage()
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    make_s3_storage: Callable[..., S3Storage] = request.getfixturevalue("make_s3_storage")
    return make_s3_storage()


def done_task(container: Container, storage: BlobStorage, data: bytes) -> str:
    task = new_task(token_hash=hash_token(SITE_TOKEN))
    task.status = TaskState.DONE.value
    task.result_key = f"{task.id[:2]}/{task.id}/result-1.webp"
    task.output_format, task.mime_type = "webp", "image/webp"
    task.optimized_size = len(data)
    storage.put(task.result_key, data)
    container.records.insert(task)
    return task.id


def test_a_large_result_is_streamed_whole_with_its_headers(
    api_settings: Settings, make_client: Callable[..., TestClient], backend: BlobStorage
) -> None:
    storage = NoWholeReads(backend)
    client = make_client(api_settings, storage=storage)
    data = os.urandom(RESULT_BYTES)
    task_id = done_task(client.app.state.container, storage, data)  # type: ignore[attr-defined]

    with client.stream("GET", f"/api/optimize/download/{task_id}", headers=SITE) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-length"] == str(RESULT_BYTES)
        assert "transfer-encoding" not in answer.headers
        assert answer.headers["content-type"] == "image/webp"
        assert answer.headers["content-disposition"] == 'attachment; filename="photo.webp"'
        etag = answer.headers["etag"]
        assert etag == f'"{task_id}-webp-{RESULT_BYTES}"'  # as before streaming: clients' caches still match
        body = b"".join(answer.iter_bytes())
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(data).hexdigest()

    cached = client.get(f"/api/optimize/download/{task_id}", headers={**SITE, "If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b"" and cached.headers["etag"] == etag


def test_an_expired_result_is_task_not_found(
    api_settings: Settings, make_client: Callable[..., TestClient]
) -> None:
    storage = MemoryStorage()
    client = make_client(api_settings, storage=storage)
    task_id = done_task(client.app.state.container, storage, b"result")  # type: ignore[attr-defined]
    storage.delete(f"{task_id[:2]}/{task_id}/result-1.webp")
    answer = client.get(f"/api/optimize/download/{task_id}", headers=SITE)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "task_not_found"
