"""What only the S3 backend must get right: its prefix, its client, its errors (moto server on loopback)."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from pixpress.config import Settings
from pixpress.errors import ServiceUnavailable
from pixpress.storage import BlobNotFound
from pixpress.storage.s3 import S3Storage
from tests.storage.conftest import _free_port

MakeS3 = Callable[..., S3Storage]


def keys_in(s3_client: Any, bucket: str) -> list[str]:
    listing = s3_client.list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.mark.parametrize(
    ("prefix", "stored_as"),
    [("pixpress", "pixpress/ab/task/input"), ("/a/b/", "a/b/ab/task/input"), ("", "ab/task/input")],
)
def test_blobs_are_stored_under_the_prefix(
    make_s3_storage: MakeS3, s3_client: Any, s3_bucket: str, prefix: str, stored_as: str
) -> None:
    storage = make_s3_storage(prefix=prefix)
    storage.put("ab/task/input", b"data")
    assert keys_in(s3_client, s3_bucket) == [stored_as]
    assert s3_client.get_object(Bucket=s3_bucket, Key=stored_as)["Body"].read() == b"data"
    storage.delete("ab/task/input")
    assert keys_in(s3_client, s3_bucket) == []


def test_two_prefixes_share_a_bucket_without_seeing_each_other(make_s3_storage: MakeS3) -> None:
    blue, green = make_s3_storage(prefix="blue"), make_s3_storage(prefix="green")
    blue.put("ab/task/input", b"blue")
    assert not green.exists("ab/task/input")
    with pytest.raises(BlobNotFound):
        green.get("ab/task/input")
    green.delete("ab/task/input")
    assert blue.get("ab/task/input") == b"blue"


@pytest.mark.parametrize("key", ["", "/ab/input", "ab/../../other/input", "ab//input", "ab/./input"])
def test_keys_that_would_leave_or_blur_the_prefix_are_refused(
    make_s3_storage: MakeS3, s3_client: Any, s3_bucket: str, key: str
) -> None:
    storage = make_s3_storage()
    with pytest.raises(ValueError, match="invalid blob key"):
        storage.put(key, b"x")
    with pytest.raises(ValueError, match="invalid blob key"):
        storage.get(key)
    with pytest.raises(ValueError, match="invalid blob key"):
        storage.open(key)
    assert keys_in(s3_client, s3_bucket) == []


def test_a_missing_bucket_is_an_error_not_a_missing_blob(make_s3_storage: MakeS3) -> None:
    """A wrong bucket name must not look like an expired result: ping and get both say so."""
    storage = make_s3_storage(bucket="pixpress-no-such-bucket")
    with pytest.raises(ClientError) as pinged:
        storage.ping()
    assert pinged.value.response["Error"]["Code"] in ("404", "NoSuchBucket")
    with pytest.raises(ClientError) as got:
        storage.get("ab/task/input")
    assert not isinstance(got.value, BlobNotFound)
    assert got.value.response["Error"]["Code"] == "NoSuchBucket"


def test_an_unreachable_server_raises_promptly() -> None:
    closed_port = _free_port()  # nothing listens there
    storage = S3Storage(
        bucket="b",
        endpoint_url=f"http://127.0.0.1:{closed_port}",
        access_key_id="k",
        secret_access_key="s",
        connect_timeout_s=1.0,
        max_attempts=2,
    )
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as unreachable:
        storage.ping()
    assert time.monotonic() - started < 10
    assert unreachable.value.details == {"reason": "storage_unavailable"}
    assert isinstance(unreachable.value.__cause__, EndpointConnectionError)
    for operation in (lambda: storage.put("ab/t/input", b"x"), lambda: storage.open("ab/t/input")):
        with pytest.raises(ServiceUnavailable):
            operation()


def test_the_client_has_explicit_timeouts_retries_and_path_style(s3_endpoint: str, tmp_path: Path) -> None:
    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        s3_endpoint_url=s3_endpoint,
        s3_region="eu-west-3",
        s3_access_key_id="key-id",
        s3_secret_access_key="secret",
        s3_connect_timeout_s=2.5,
        s3_read_timeout_s=33,
        s3_max_attempts=4,
    )
    client = S3Storage.from_settings(settings, bucket="b", prefix="p").client
    config = client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (2.5, 33)
    assert config.retries == {"total_max_attempts": 4, "mode": "standard"}
    assert config.s3["addressing_style"] == "path"
    assert client.meta.region_name == "eu-west-3"
    assert client.meta.endpoint_url == s3_endpoint
    credentials = client._request_signer._credentials
    assert (credentials.access_key, credentials.secret_key) == ("key-id", "secret")


def test_without_an_endpoint_aws_picks_the_addressing_style() -> None:
    client = S3Storage(bucket="b", region="eu-west-1", access_key_id="k", secret_access_key="s").client
    assert client.meta.config.s3["addressing_style"] == "auto"
    assert client.meta.endpoint_url == "https://s3.eu-west-1.amazonaws.com"


def test_the_client_is_made_on_first_use_and_shared_by_threads(make_s3_storage: MakeS3) -> None:
    storage = make_s3_storage()
    assert storage._client is None  # nothing connects before it is needed (workers fork after start)
    with ThreadPoolExecutor(4) as pool:
        clients = list(pool.map(lambda _: storage.client, range(16)))
    assert len({id(client) for client in clients}) == 1


def _use_in_forked_child(storage: S3Storage, parent_client_id: int) -> None:
    storage.put("ab/forked/input", str(os.getpid()).encode())
    assert storage._client is not None
    assert storage._client[0] == os.getpid(), "the child must make its own client"
    assert id(storage._client[1]) != parent_client_id


def test_a_forked_worker_makes_its_own_client(make_s3_storage: MakeS3) -> None:
    storage = make_s3_storage()
    storage.put("ab/parent/input", b"parent")  # the parent's client now holds open connections
    parent_client = storage.client
    child = multiprocessing.get_context("fork").Process(
        target=_use_in_forked_child, args=(storage, id(parent_client))
    )
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert storage.get("ab/forked/input") == str(child.pid).encode()
    assert storage.client is parent_client  # the parent keeps its own
    assert storage.get("ab/parent/input") == b"parent"


def test_concurrent_gets_of_one_blob(make_s3_storage: MakeS3, corpus: Path) -> None:
    """The API serves one result to many downloads at once through the one client."""
    data = (corpus / "photo" / "kodim03.png").read_bytes()
    storage = make_s3_storage()
    storage.put("ab/task/result-1.png", data)
    barrier = threading.Barrier(8)

    def download(_: int) -> bool:
        barrier.wait()
        return storage.get("ab/task/result-1.png") == data

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(download, range(8)))
