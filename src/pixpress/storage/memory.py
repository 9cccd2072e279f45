"""An in-memory storage for fast unit tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

from pixpress.storage.base import CHUNK_BYTES, BlobInfo, BlobNotFound, BlobStream


class MemoryStorage:
    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._modified: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes) -> None:
        with self._lock:
            self._blobs[key] = bytes(data)
            self._modified[key] = datetime.now(UTC)

    def get(self, key: str) -> bytes:
        with self._lock:
            try:
                return self._blobs[key]
            except KeyError as exc:
                raise BlobNotFound(key) from exc

    def open(self, key: str) -> BlobStream:
        data = self.get(key)
        chunks = (data[start : start + CHUNK_BYTES] for start in range(0, len(data), CHUNK_BYTES))
        return BlobStream(size_bytes=len(data), chunks=chunks, close=lambda: None)

    def delete(self, key: str) -> None:
        with self._lock:
            self._blobs.pop(key, None)
            self._modified.pop(key, None)

    def exists(self, key: str) -> bool:
        with self._lock:
            return key in self._blobs

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        with self._lock:
            listed = [BlobInfo(key, at) for key, at in self._modified.items() if key.startswith(prefix)]
        yield from listed

    def touch(self, key: str, modified_at: datetime) -> None:
        """Tests: pretend a blob was written at `modified_at`."""
        with self._lock:
            if key in self._blobs:
                self._modified[key] = modified_at

    def ping(self) -> None:
        return None
