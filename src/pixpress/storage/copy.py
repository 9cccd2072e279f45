"""Copy every stored file from one backend to another (the data dir's files into the bucket)."""

from __future__ import annotations

from pixpress.storage.base import BlobStorage


def copy_blobs(*, source: BlobStorage, target: BlobStorage) -> int:
    """Files copied; a file already in the target under the same key is written again (same bytes)."""
    copied = 0
    for blob in source.list(""):
        target.put(blob.key, source.get(blob.key))
        copied += 1
    return copied
