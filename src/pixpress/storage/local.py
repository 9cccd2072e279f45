"""Blobs as files under one directory (also right for a shared network filesystem)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from pixpress.storage.base import CHUNK_BYTES, BlobInfo, BlobNotFound, BlobStream


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"blob key escapes the storage root: {key!r}")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees a half-written blob.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise BlobNotFound(key) from exc

    def open(self, key: str) -> BlobStream:
        try:
            handle = self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise BlobNotFound(key) from exc
        # Blobs are replaced by rename, never rewritten: the open file stays whole (even if deleted now).
        size = os.fstat(handle.fileno()).st_size
        return BlobStream(
            size_bytes=size, chunks=iter(partial(handle.read, CHUNK_BYTES), b""), close=handle.close
        )

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # tidy the task's folder once empty

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        folder = self._path(prefix.rsplit("/", 1)[0]) if "/" in prefix else self.root
        for directory, _dirs, files in os.walk(folder):
            for name in files:
                path = Path(directory, name)
                key = path.relative_to(self.root).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    mtime = path.stat().st_mtime
                except FileNotFoundError:  # deleted while listing
                    continue
                yield BlobInfo(key=key, modified_at=datetime.fromtimestamp(mtime, UTC))

    def ping(self) -> None:
        probe = self.root / ".ping"
        probe.write_bytes(b"ok")
        probe.unlink()
