"""Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2...). The bucket must exist."""

from __future__ import annotations

import os
import threading
from typing import Any

from pixpress.config import Settings
from pixpress.storage.base import BlobNotFound

CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 60
MAX_ATTEMPTS = 3


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
    ) -> None:
        if not bucket:
            raise ValueError("PIXPRESS_STORAGE_URL must name a bucket: s3://bucket/prefix")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client_args: dict[str, Any] = {
            "endpoint_url": endpoint_url or None,
            "region_name": region,
            "aws_access_key_id": access_key_id or None,
            "aws_secret_access_key": secret_access_key or None,
        }
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
        )

    @property
    def client(self) -> Any:
        """One client per process: a forked worker must not reuse its parent's connections."""
        with self._lock:
            if self._client is None or self._client[0] != os.getpid():
                import boto3
                from botocore.config import Config

                config = Config(
                    connect_timeout=CONNECT_TIMEOUT_S,
                    read_timeout=READ_TIMEOUT_S,
                    retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
                    # Path-style addressing for endpoints such as MinIO and test servers.
                    s3={"addressing_style": "path" if self._client_args["endpoint_url"] else "auto"},
                )
                self._client = (os.getpid(), boto3.client("s3", config=config, **self._client_args))
            return self._client[1]

    def _key(self, key: str) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"invalid blob key: {key!r}")
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise BlobNotFound(key) from exc
            raise
        body: bytes = response["Body"].read()
        return body

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))  # absent keys are fine in S3

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def ping(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)
