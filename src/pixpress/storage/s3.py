"""Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2...), through boto3.

The bucket must exist: pixpress never creates or configures buckets (their lifecycle, encryption and
access policy belong to whoever runs the deployment). Blobs are stored under `prefix/`, so one bucket can
hold several deployments or other data.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

from pixpress.config import Settings
from pixpress.errors import ServiceUnavailable, backend_unavailable
from pixpress.storage.base import CHUNK_BYTES, BlobInfo, BlobNotFound, BlobStream

# Enough connections for the API's thread pool touching storage at once; botocore's default is 10.
MAX_POOL_CONNECTIONS = 32
_MISSING_CODES = frozenset({"NoSuchKey", "NotFound", "404"})


class S3Storage:
    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 60.0,
        max_attempts: int = 3,
    ) -> None:
        if not bucket:
            raise ValueError("PIXPRESS_STORAGE_URL must name a bucket: s3://bucket/prefix")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url or None
        self.region = region
        self._credentials = (access_key_id or None, secret_access_key or None)
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self.max_attempts = max_attempts
        self._lock = threading.Lock()
        self._client: tuple[int, Any] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, bucket: str, prefix: str) -> S3Storage:
        return cls(
            bucket=bucket,
            prefix=prefix,
            endpoint_url=settings.s3_endpoint_url or None,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id or None,
            secret_access_key=settings.s3_secret_access_key or None,
            connect_timeout_s=settings.s3_connect_timeout_s,
            read_timeout_s=settings.s3_read_timeout_s,
            max_attempts=settings.s3_max_attempts,
        )

    @property
    def client(self) -> Any:
        """One client per process, made on first use: a forked worker never reuses its parent's sockets."""
        with self._lock:
            if self._client is None or self._client[0] != os.getpid():
                self._client = (os.getpid(), self._new_client())
            return self._client[1]

    def _new_client(self) -> Any:
        import boto3  # only deployments using S3 pay for importing boto3
        from botocore.config import Config

        custom_endpoint = self.endpoint_url is not None
        config = Config(
            connect_timeout=self.connect_timeout_s,
            read_timeout=self.read_timeout_s,
            retries={"total_max_attempts": self.max_attempts, "mode": "standard"},
            max_pool_connections=MAX_POOL_CONNECTIONS,
            # MinIO, Ceph and test servers are addressed by path (http://host:9000/bucket/key): their
            # buckets have no DNS names of their own.
            s3={"addressing_style": "path" if custom_endpoint else "auto"},
            # Many S3-compatible servers reject the CRC checksums boto3 sends by default since 1.36;
            # against them only send checksums where the operation requires one.
            request_checksum_calculation="when_required" if custom_endpoint else "when_supported",
            response_checksum_validation="when_required" if custom_endpoint else "when_supported",
        )
        access_key_id, secret_access_key = self._credentials
        # A session of its own: boto3's default session is shared module state and not thread-safe.
        session = boto3.session.Session(
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=self.region,
        )
        return session.client("s3", endpoint_url=self.endpoint_url, config=config)

    def object_key(self, key: str) -> str:
        """The key in the bucket of the blob `key` (under the prefix)."""
        if not key or key.startswith("/") or any(part in ("", ".", "..") for part in key.split("/")):
            raise ValueError(f"invalid blob key: {key!r}")
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        with reachable():
            self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=data)

    def get(self, key: str) -> bytes:
        with closing(self._get_object(key)["Body"]) as body:
            data: bytes = body.read()
        return data

    def open(self, key: str) -> BlobStream:
        response = self._get_object(key)
        body = response["Body"]
        return BlobStream(
            size_bytes=int(response["ContentLength"]),
            chunks=body.iter_chunks(chunk_size=CHUNK_BYTES),
            close=body.close,
        )

    def _get_object(self, key: str) -> Any:
        from botocore.exceptions import ClientError

        try:
            with reachable():
                return self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if _error_code(exc) in _MISSING_CODES:
                raise BlobNotFound(key) from exc
            raise

    def delete(self, key: str) -> None:
        # S3 answers 204 for a key that is not there: deleting twice is fine.
        with reachable():
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            with reachable():
                self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if _error_code(exc) in _MISSING_CODES:
                return False
            raise
        return True

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        if any(part in (".", "..") for part in prefix.split("/")):
            raise ValueError(f"invalid blob prefix: {prefix!r}")
        base = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=base + prefix
        )
        with reachable():
            for page in pages:
                for item in page.get("Contents", []):
                    yield BlobInfo(key=item["Key"][len(base) :], modified_at=item["LastModified"])

    def ping(self) -> None:
        """HeadBucket: raises when the server is unreachable, the bucket is missing or access is denied."""
        with reachable():
            self.client.head_bucket(Bucket=self.bucket)


@contextmanager
def reachable() -> Iterator[None]:
    """Report an S3 server that cannot be reached (connection refused or reset, timeouts, 5xx after
    botocore's retries) as ServiceUnavailable with reason storage_unavailable: a backend down, not a bug.
    Errors about the request itself (missing key or bucket, access denied) pass through unchanged."""
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    try:
        yield
    except (BotoConnectionError, HTTPClientError) as exc:
        raise storage_unavailable() from exc
    except ClientError as exc:
        if int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0) >= 500:
            raise storage_unavailable() from exc
        raise


def storage_unavailable() -> ServiceUnavailable:
    return backend_unavailable("storage_unavailable", "The file storage is unreachable; retry later.")


def _error_code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
