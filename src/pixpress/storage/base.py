"""The storage protocol every backend implements. Keys are relative paths like 'ab/abcd.../input'."""

from __future__ import annotations

from typing import Protocol


class BlobNotFound(KeyError):
    """No blob under that key (deleted, expired, or never written)."""


class BlobStorage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None:
        """Remove the blob; a missing key is not an error."""
        ...

    def exists(self, key: str) -> bool: ...

    def ping(self) -> None:
        """Raise if the backend cannot be reached (used by /ready)."""
        ...
