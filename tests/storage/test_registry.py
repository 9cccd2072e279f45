"""open_storage() picks the backend from PIXPRESS_STORAGE_URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pixpress.config import Settings
from pixpress.storage import open_storage
from pixpress.storage.local import LocalStorage
from pixpress.storage.memory import MemoryStorage
from pixpress.storage.s3 import S3Storage
from tests.storage.conftest import CREDENTIALS


def settings_for(tmp_path: Path, **values: Any) -> Settings:
    return Settings(environment="test", data_dir=tmp_path, **values)


def test_the_default_is_a_folder_in_the_data_dir(tmp_path: Path) -> None:
    storage = open_storage(settings_for(tmp_path))
    assert isinstance(storage, LocalStorage)
    assert storage.root == (tmp_path / "files").resolve()


def test_a_file_url_is_a_local_folder(tmp_path: Path) -> None:
    folder = tmp_path / "shared mount" / "pixpress"  # a space, percent-encoded in the URL
    storage = open_storage(settings_for(tmp_path, storage_url=folder.as_uri()))
    assert isinstance(storage, LocalStorage)
    assert storage.root == folder.resolve()
    storage.put("ab/task/input", b"x")
    assert (folder / "ab" / "task" / "input").read_bytes() == b"x"


def test_memory_url(tmp_path: Path) -> None:
    assert isinstance(open_storage(settings_for(tmp_path, storage_url="memory://")), MemoryStorage)


def test_an_s3_url_with_settings_reaches_the_bucket(
    tmp_path: Path, s3_endpoint: str, s3_bucket: str, s3_client: Any
) -> None:
    settings = settings_for(
        tmp_path,
        storage_url=f"s3://{s3_bucket}/deploy/blue",
        s3_endpoint_url=s3_endpoint,
        s3_access_key_id=CREDENTIALS["aws_access_key_id"],
        s3_secret_access_key=CREDENTIALS["aws_secret_access_key"],
    )
    storage = open_storage(settings)
    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.prefix, storage.endpoint_url) == (s3_bucket, "deploy/blue", s3_endpoint)
    storage.ping()
    storage.put("ab/task/input", b"through the registry")
    listing = s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]
    assert [item["Key"] for item in listing] == ["deploy/blue/ab/task/input"]


def test_an_s3_url_without_prefix(tmp_path: Path) -> None:
    storage = open_storage(settings_for(tmp_path, storage_url="s3://bucket"))
    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.prefix, storage.endpoint_url) == ("bucket", "", None)


@pytest.mark.parametrize(
    ("url", "message"),
    [("s3:///prefix-only", "must name a bucket"), ("ftp://host/path", "unsupported PIXPRESS_STORAGE_URL")],
)
def test_bad_urls_are_refused(tmp_path: Path, url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_storage(settings_for(tmp_path, storage_url=url))
