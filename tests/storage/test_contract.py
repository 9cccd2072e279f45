"""The promises every storage backend keeps, checked on each: local directory, memory, S3 (moto server)."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pixpress.storage import BlobNotFound, BlobStorage
from pixpress.storage.base import CHUNK_BYTES
from pixpress.storage.local import LocalStorage
from pixpress.storage.memory import MemoryStorage
from pixpress.storage.s3 import S3Storage

MB = 1024 * 1024
TASK = "3f/3f2a9c0e-5b1d-4c8e-9a77-0d6f1e2b4c5a"  # keys look like the task service's


@pytest.fixture(params=["local", "memory", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStorage:
    if request.param == "local":
        return LocalStorage(tmp_path / "blobs")
    if request.param == "memory":
        return MemoryStorage()
    make_s3_storage: Callable[..., S3Storage] = request.getfixturevalue("make_s3_storage")
    return make_s3_storage()


def digest(data: bytes) -> str:
    """Compare big blobs by hash: a failure message then shows two short strings, not megabytes."""
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("name", ["photo/kodim03.png", "photo/dog_exif_extended_xmp_icc.jpg"])
def test_a_real_image_comes_back_byte_for_byte(storage: BlobStorage, corpus: Path, name: str) -> None:
    data = (corpus / name).read_bytes()
    assert not storage.exists(f"{TASK}/input")
    storage.put(f"{TASK}/input", data)
    assert storage.exists(f"{TASK}/input")
    assert digest(storage.get(f"{TASK}/input")) == digest(data)


def test_a_missing_blob_raises_blob_not_found(storage: BlobStorage) -> None:
    with pytest.raises(BlobNotFound):
        storage.get(f"{TASK}/result-1.webp")
    assert not storage.exists(f"{TASK}/result-1.webp")
    storage.put(f"{TASK}/result-1.webp", b"result")
    storage.delete(f"{TASK}/result-1.webp")
    with pytest.raises(BlobNotFound):
        storage.get(f"{TASK}/result-1.webp")


def test_delete_is_idempotent_and_touches_only_its_key(storage: BlobStorage) -> None:
    storage.delete(f"{TASK}/never-written")  # a missing key is not an error
    storage.put(f"{TASK}/input", b"input")
    storage.put(f"{TASK}/result-1.png", b"result")
    storage.delete(f"{TASK}/input")
    storage.delete(f"{TASK}/input")
    assert not storage.exists(f"{TASK}/input")
    assert storage.get(f"{TASK}/result-1.png") == b"result"


def test_overwrite_replaces_the_whole_blob(storage: BlobStorage, corpus: Path) -> None:
    long = (corpus / "photo" / "kodim03.png").read_bytes()
    storage.put(f"{TASK}/result-1.png", long)
    storage.put(f"{TASK}/result-1.png", b"short")  # no tail of the longer blob may survive
    assert storage.get(f"{TASK}/result-1.png") == b"short"
    storage.put(f"{TASK}/result-1.png", long)
    assert digest(storage.get(f"{TASK}/result-1.png")) == digest(long)


def test_empty_blob(storage: BlobStorage) -> None:
    storage.put(f"{TASK}/empty", b"")
    assert storage.exists(f"{TASK}/empty")
    assert storage.get(f"{TASK}/empty") == b""


def test_a_20_mb_blob(storage: BlobStorage) -> None:
    big = os.urandom(20 * MB)
    storage.put(f"{TASK}/input", big)
    back = storage.get(f"{TASK}/input")
    assert len(back) == len(big)
    assert digest(back) == digest(big)


def test_open_reads_a_large_blob_in_bounded_chunks(storage: BlobStorage) -> None:
    big = os.urandom(8 * MB + 17)
    storage.put(f"{TASK}/result-1.webp", big)
    stream = storage.open(f"{TASK}/result-1.webp")
    assert stream.size_bytes == len(big)
    sizes, hasher = [], hashlib.sha256()
    for chunk in stream:
        sizes.append(len(chunk))
        hasher.update(chunk)
    assert max(sizes) <= CHUNK_BYTES and len(sizes) >= len(big) // CHUNK_BYTES
    assert sum(sizes) == len(big) and hasher.hexdigest() == digest(big)
    assert stream.closed


def test_open_of_a_missing_or_empty_blob(storage: BlobStorage) -> None:
    with pytest.raises(BlobNotFound):
        storage.open(f"{TASK}/result-1.webp")  # at once, before any chunk is asked for
    storage.put(f"{TASK}/empty", b"")
    stream = storage.open(f"{TASK}/empty")
    assert stream.size_bytes == 0 and b"".join(stream) == b""


def test_a_stream_closed_unread_leaves_the_blob_alone(storage: BlobStorage) -> None:
    storage.put(f"{TASK}/result-1.webp", b"result" * 1000)
    storage.open(f"{TASK}/result-1.webp").close()
    assert storage.get(f"{TASK}/result-1.webp") == b"result" * 1000


def test_a_blob_overwritten_while_streamed_is_read_whole_old_or_new(storage: BlobStorage) -> None:
    old, new = os.urandom(2 * MB), os.urandom(2 * MB)
    storage.put(f"{TASK}/result-1.webp", old)
    chunks = iter(storage.open(f"{TASK}/result-1.webp"))
    first = next(chunks)
    storage.put(f"{TASK}/result-1.webp", new)
    read = first + b"".join(chunks)
    assert digest(read) in {digest(old), digest(new)}


def test_threads_writing_different_keys(storage: BlobStorage, corpus: Path) -> None:
    photo = (corpus / "photo" / "kodim03.png").read_bytes()
    blobs = {f"{i:02x}/task-{i}/input": photo[i * 1000 :] + i.to_bytes(2, "big") for i in range(32)}

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda item: storage.put(*item), blobs.items()))
        read_back = dict(zip(blobs, pool.map(storage.get, blobs), strict=True))

    assert {key: digest(data) for key, data in read_back.items()} == {
        key: digest(data) for key, data in blobs.items()
    }


def test_a_reader_never_sees_a_half_written_blob(storage: BlobStorage) -> None:
    """While one thread overwrites a blob again and again, readers see the old or the new one, whole."""
    versions = [os.urandom(2 * MB), os.urandom(2 * MB)]
    expected = {digest(version) for version in versions}
    key = f"{TASK}/result-1.png"
    storage.put(key, versions[0])
    done = threading.Event()
    seen: list[str] = []

    def overwrite() -> None:
        try:
            for i in range(12):
                storage.put(key, versions[(i + 1) % 2])
        finally:
            done.set()

    writer = threading.Thread(target=overwrite)
    writer.start()
    while not done.is_set():
        seen.append(digest(storage.get(key)))
    writer.join()
    seen.append(digest(storage.get(key)))

    assert set(seen) <= expected, "a read returned bytes that were never written whole"
    assert seen[-1] == digest(versions[0])  # 12 overwrites: the last one wrote versions[0]


def test_ping_succeeds_on_a_working_backend(storage: BlobStorage) -> None:
    storage.ping()
    storage.ping()


def test_list_names_every_blob_under_a_prefix_with_its_age(storage: BlobStorage) -> None:
    from datetime import UTC, datetime, timedelta

    other = "7c/7c0e1a2b-3d4e-4f50-8a6b-7c8d9e0f1a2b"
    for key in (f"{TASK}/input", f"{TASK}/result-1.webp", f"{other}/input"):
        storage.put(key, b"x")
    listed = {blob.key: blob.modified_at for blob in storage.list()}
    assert set(listed) == {f"{TASK}/input", f"{TASK}/result-1.webp", f"{other}/input"}
    now = datetime.now(UTC)
    assert all(now - timedelta(minutes=5) < at < now + timedelta(minutes=5) for at in listed.values())
    assert {blob.key for blob in storage.list(TASK + "/")} == {f"{TASK}/input", f"{TASK}/result-1.webp"}
    assert list(storage.list("00/")) == []
