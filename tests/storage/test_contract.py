"""Every storage backend keeps the same promises: local directory, memory, S3 (moto server)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pixpress.config import Settings
from pixpress.storage import BlobNotFound, BlobStorage, open_storage
from pixpress.storage.local import LocalStorage
from pixpress.storage.memory import MemoryStorage
from pixpress.storage.s3 import S3Storage
from tests.e2e.server import ServerProcess


@pytest.fixture(params=["local", "memory", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStorage:
    if request.param == "local":
        return LocalStorage(tmp_path / "blobs")
    if request.param == "memory":
        return MemoryStorage()
    server: ServerProcess = request.getfixturevalue("s3_server")
    bucket: str = request.getfixturevalue("s3_bucket")
    return S3Storage(
        bucket=bucket, prefix="pixpress", endpoint_url=server.url, access_key_id="x", secret_access_key="x"
    )


def test_round_trip_of_a_real_image(storage: BlobStorage, corpus: Path) -> None:
    data = (corpus / "photo" / "kodim03.png").read_bytes()
    storage.put("ab/abcdef/input", data)
    assert storage.exists("ab/abcdef/input")
    assert storage.get("ab/abcdef/input") == data
    storage.ping()


def test_missing_blob_raises_and_delete_is_idempotent(storage: BlobStorage) -> None:
    with pytest.raises(BlobNotFound):
        storage.get("no/such/blob")
    assert not storage.exists("no/such/blob")
    storage.delete("no/such/blob")
    storage.put("x/y", b"1")
    storage.delete("x/y")
    storage.delete("x/y")
    assert not storage.exists("x/y")


def test_overwrite_and_large_blob(storage: BlobStorage) -> None:
    big = os.urandom(20 * 1024 * 1024)
    storage.put("big/blob", b"old")
    storage.put("big/blob", big)
    assert storage.get("big/blob") == big


def test_concurrent_writers(storage: BlobStorage) -> None:
    def write(i: int) -> None:
        storage.put(f"c/{i}/blob", bytes([i]) * 1000)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(32)))
    assert all(storage.get(f"c/{i}/blob") == bytes([i]) * 1000 for i in range(32))


def test_local_storage_refuses_keys_outside_its_root(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "root")
    with pytest.raises(ValueError):
        storage.put("../escape", b"x")
    assert not (tmp_path / "escape").exists()


def test_local_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "root")
    storage.put("a/b", b"data")
    assert [p.name for p in (tmp_path / "root" / "a").iterdir()] == ["b"]


def test_open_storage_picks_the_backend_from_the_url(tmp_path: Path, s3_server: ServerProcess) -> None:
    def settings(**values: object) -> Settings:
        return Settings(environment="test", data_dir=tmp_path, **values)  # type: ignore[arg-type]

    assert isinstance(open_storage(settings()), LocalStorage)
    assert isinstance(open_storage(settings(storage_url=(tmp_path / "x").as_uri())), LocalStorage)
    assert isinstance(open_storage(settings(storage_url="memory://")), MemoryStorage)
    s3 = open_storage(settings(storage_url="s3://my-bucket/some/prefix", s3_endpoint_url=s3_server.url))
    assert isinstance(s3, S3Storage) and s3.bucket == "my-bucket" and s3.prefix == "some/prefix"
    with pytest.raises(ValueError):
        open_storage(settings(storage_url="ftp://nope"))
