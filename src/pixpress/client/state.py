"""The resume file of a bulk run: which files are done, so a rerun skips them and sends none twice."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

STATE_VERSION = 1


def fingerprint(path: Path) -> dict[str, Any]:
    stat = path.stat()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"size": stat.st_size, "sha256": digest}


class StateFile:
    """JSON: {"version": 1, "done": {"/abs/path": {"size", "sha256", "output", ...}}}. Written after
    every file, atomically (write then rename), so an interrupted run loses nothing it finished."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.done: dict[str, dict[str, Any]] = {}
        if path.exists():
            document = json.loads(path.read_text() or "{}")
            if document.get("version") == STATE_VERSION:
                self.done = dict(document.get("done", {}))

    def is_done(self, file: Path) -> bool:
        """Done and unchanged since (same size and content), or the output written in place."""
        entry = self.done.get(str(file.resolve()))
        if entry is None:
            return False
        current = fingerprint(file)
        return current["sha256"] in (entry.get("sha256"), entry.get("output_sha256"))

    def mark_done(self, file: Path, *, source: dict[str, Any], **facts: Any) -> None:
        with self._lock:
            self.done[str(file.resolve())] = {**source, **facts}
            self._write()

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".pixpress-state-")
        with os.fdopen(fd, "w") as handle:
            json.dump({"version": STATE_VERSION, "done": self.done}, handle, indent=1)
        os.replace(tmp, self.path)
