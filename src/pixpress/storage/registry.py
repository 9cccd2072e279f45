"""Pick the storage backend from PIXPRESS_STORAGE_URL: file:///path, memory://, s3://bucket/prefix."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from pixpress.config import Settings
from pixpress.storage.base import BlobStorage
from pixpress.storage.local import LocalStorage
from pixpress.storage.memory import MemoryStorage


def open_storage(settings: Settings) -> BlobStorage:
    url = settings.resolved_storage_url
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalStorage(Path(unquote(parsed.path)))
    if parsed.scheme == "memory":
        return MemoryStorage()
    if parsed.scheme == "s3":
        from pixpress.storage.s3 import S3Storage  # boto3 is only imported when asked for

        return S3Storage.from_settings(settings, bucket=parsed.netloc, prefix=parsed.path.lstrip("/"))
    raise ValueError(f"unsupported PIXPRESS_STORAGE_URL scheme: {parsed.scheme!r}")
