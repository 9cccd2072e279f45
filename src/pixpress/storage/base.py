"""The storage protocol every backend implements. Keys are relative paths like 'ab/abcd.../input'."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# Downloads are read in pieces of at most this: memory per download stays flat whatever the result's size.
CHUNK_BYTES = 256 * 1024


class BlobNotFound(KeyError):
    """No blob under that key (deleted, expired, or never written)."""


@dataclass(frozen=True)
class BlobInfo:
    """One stored blob as a listing sees it (the cleanup sweeps blobs without a task row by age)."""

    key: str
    modified_at: datetime  # UTC


class BlobStream:
    """An opened blob, read as chunks of at most CHUNK_BYTES; closed when read to the end or by close()."""

    def __init__(self, *, size_bytes: int, chunks: Iterator[bytes], close: Callable[[], None]) -> None:
        self.size_bytes = size_bytes
        self._chunks = chunks
        self._close = close
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._chunks
        finally:
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._close()


class BlobStorage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def open(self, key: str) -> BlobStream:
        """The blob for reading in chunks (downloads); raises BlobNotFound here, not while reading."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob; a missing key is not an error."""
        ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Every blob whose key starts with `prefix`, in no particular order, read lazily."""
        ...

    def ping(self) -> None:
        """Raise if the backend cannot be reached (used by /ready)."""
        ...
