"""The resume file of a bulk run: which files are done, so a rerun skips them and sends none twice.

One JSON document, by default `.pixpress-state.json` in the current directory (`--state-file`):

    {"version": 2, "done": {"/abs/path/photo.jpg": {
        "3f2a...": {                                      # the job: options + output kind it was sent with
            "size": 3296423, "mtime_ns": ..., "sha256": "...",  # the file as it was sent
            "task_id": "...", "outputs": ["/abs/out/photo.jpg"],  # in place: output_size/_mtime_ns/_sha256
    }}}}

`"failed": {path: {job: n}}` counts the tasks the server failed through no fault of the file (an
internal error, a lost worker): the next run sends it under a new Idempotency-Key instead of being handed
the same failed task again.

A file counts as done for a job when that job's entry exists and the file is unchanged (same size and
mtime, or failing that the same sha256), or, in place, when it is the output written there. Written after
every file, atomically (write, then rename), so an interrupted run loses nothing it finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

STATE_VERSION = 2
DEFAULT_STATE_FILE = Path(".pixpress-state.json")


def fingerprint(path: Path) -> dict[str, Any]:
    """size, mtime_ns and sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest.hexdigest()}


def output_facts(path: Path, data: bytes) -> dict[str, Any]:
    """What an in-place result looks like on disk, so the next run recognises it."""
    stat = path.stat()
    return {
        "output_size": stat.st_size,
        "output_mtime_ns": stat.st_mtime_ns,
        "output_sha256": hashlib.sha256(data).hexdigest(),
    }


class StateFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.done: dict[str, dict[str, dict[str, Any]]] = {}  # path -> job -> facts
        self.failed: dict[str, dict[str, int]] = {}  # path -> job -> server-side failures so far
        if path.exists():
            try:
                document = json.loads(path.read_text() or "{}")
            except ValueError as exc:
                raise StateFileError(f"{path} is not a pixpress state file ({exc}); move it away") from exc
            if isinstance(document, dict) and document.get("version") == STATE_VERSION:
                self.done = dict(document.get("done", {}))
                self.failed = dict(document.get("failed", {}))

    def is_done(self, file: Path, *, job: str) -> bool:
        entry = self.done.get(_key(file), {}).get(job)
        if entry is None:
            return False
        stat = file.stat()
        for prefix in ("", "output_"):
            if (stat.st_size, stat.st_mtime_ns) == (
                entry.get(prefix + "size"),
                entry.get(prefix + "mtime_ns"),
            ):
                return True
        sha256 = fingerprint(file)["sha256"]
        return sha256 in (entry.get("sha256"), entry.get("output_sha256"))

    def outputs(self) -> set[Path]:
        """Every file a recorded run wrote (outputs and siblings), so a rerun never sends them."""
        found: set[Path] = set()
        for jobs in self.done.values():
            for entry in jobs.values():
                found.update(Path(name) for name in entry.get("outputs", []))
        return found

    def mark_done(self, file: Path, *, source: dict[str, Any], job: str, **facts: Any) -> None:
        with self._lock:
            self.done.setdefault(_key(file), {})[job] = {**source, **facts}
            self._write()

    def failures(self, file: Path, *, job: str) -> int:
        """How often the server failed this file through no fault of its own (a rerun tries anew)."""
        return self.failed.get(_key(file), {}).get(job, 0)

    def mark_failed(self, file: Path, *, job: str) -> None:
        with self._lock:
            jobs = self.failed.setdefault(_key(file), {})
            jobs[job] = jobs.get(job, 0) + 1
            self._write()

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".pixpress-state-")
        try:
            with os.fdopen(fd, "w") as handle:
                document = {"version": STATE_VERSION, "done": self.done, "failed": self.failed}
                json.dump(document, handle, indent=1)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class StateFileError(Exception):
    pass


def _key(file: Path) -> str:
    return str(file.resolve())
