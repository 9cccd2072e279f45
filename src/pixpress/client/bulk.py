"""A bulk run: many files, N concurrent uploads, resumable, stopping cleanly on quota or Ctrl-C."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pixpress.client.errors import ConnectionFailed, PixpressClientError, QuotaExceededError
from pixpress.client.outputs import OutputPlan, replace_keeping_backup, write_atomically
from pixpress.client.state import StateFile, fingerprint
from pixpress.client.sync import Client


@dataclass
class FileOutcome:
    path: Path
    status: str  # done | failed | skipped
    bytes_in: int = 0
    bytes_out: int = 0
    message: str = ""


@dataclass
class Summary:
    outcomes: list[FileOutcome] = field(default_factory=list)
    stopped_reason: str | None = None  # quota_exceeded | interrupted | server_unreachable

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def bytes_in(self) -> int:
        return sum(o.bytes_in for o in self.outcomes if o.status == "done")

    @property
    def bytes_out(self) -> int:
        return sum(o.bytes_out for o in self.outcomes if o.status == "done")


class Reporter(Protocol):
    def start(self, total_files: int, total_bytes: int) -> None: ...

    def file_done(self, outcome: FileOutcome) -> None: ...

    def stop(self) -> None: ...


class BulkRun:
    def __init__(
        self,
        *,
        client: Client,
        plan: OutputPlan,
        state: StateFile,
        options: dict[str, Any],
        concurrency: int,
        reporter: Reporter,
        roots: dict[Path, Path],
    ) -> None:
        self.client = client
        self.plan = plan
        self.state = state
        self.options = options
        self.concurrency = max(1, concurrency)
        self.reporter = reporter
        self.roots = roots  # file -> the folder it was found under (for output_dir layout)
        self.stop = threading.Event()
        self.summary = Summary()
        self._lock = threading.Lock()

    def run(self, files: list[Path]) -> Summary:
        pending = []
        for path in files:
            if self.state.is_done(path):
                self._record(FileOutcome(path, "skipped", message="already done"))
            else:
                pending.append(path)
        self.reporter.start(len(pending), sum(p.stat().st_size for p in pending))
        queue = iter(pending)
        try:
            with ThreadPoolExecutor(self.concurrency) as pool:
                running: set[Future[None]] = set()
                try:
                    while True:
                        while len(running) < self.concurrency and not self.stop.is_set():
                            upcoming = next(queue, None)
                            if upcoming is None:
                                break
                            running.add(pool.submit(self._one, upcoming))
                        if not running:
                            break
                        _, running = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                except KeyboardInterrupt:
                    self.summary.stopped_reason = self.summary.stopped_reason or "interrupted"
                    self.stop.set()
                    wait(running)  # the uploads under way finish and are recorded
                    raise
        finally:
            self.reporter.stop()
        return self.summary

    def _one(self, path: Path) -> None:
        if self.stop.is_set():
            return
        source = fingerprint(path)
        try:
            outcome = self._optimize(path, source)
        except QuotaExceededError as exc:
            self._halt("quota_exceeded")
            outcome = FileOutcome(path, "failed", source["size"], message=f"{exc.code}: {exc.message}")
        except ConnectionFailed as exc:
            self._halt("server_unreachable")
            outcome = FileOutcome(path, "failed", source["size"], message=exc.message)
        except PixpressClientError as exc:
            outcome = FileOutcome(path, "failed", source["size"], message=f"{exc.code}: {exc.message}")
        except OSError as exc:
            outcome = FileOutcome(path, "failed", source["size"], message=f"cannot write: {exc}")
        self._record(outcome)

    def _optimize(self, path: Path, source: dict[str, Any]) -> FileOutcome:
        # The key is derived from the content: a rerun after a crash is charged once by the server.
        key = f"bulk-{source['sha256'][:40]}-{_options_key(self.options, self.plan)}"
        if self.plan.siblings:
            options = {**self.options, "format": "auto", "accept": ",".join(self.plan.siblings)}
            submitted = self.client.submit(path, idempotency_key=key, wait_s=10, **options)
            status = submitted.status if submitted.status.finished else self.client.wait(submitted.task_id)
            _raise_if_failed(status.raw)
            written = 0
            for fmt in self.plan.siblings:
                data = self.client.download(status.task_id, variant=fmt)
                write_atomically(OutputPlan.sibling(path, fmt), data)
                written += len(data)
            self.state.mark_done(path, source=source, task_id=status.task_id)
            return FileOutcome(path, "done", source["size"], written)
        submitted = self.client.submit(path, idempotency_key=key, wait_s=10, **self.options)
        status = submitted.status if submitted.status.finished else self.client.wait(submitted.task_id)
        _raise_if_failed(status.raw)
        data = self.client.download(status.task_id)
        if self.plan.in_place:
            replace_keeping_backup(path, data)
            output_sha = hashlib.sha256(data).hexdigest()
            self.state.mark_done(path, source=source, task_id=status.task_id, output_sha256=output_sha)
        else:
            target = self.plan.target(path, self.roots.get(path), status.format)
            write_atomically(target, data)
            self.state.mark_done(path, source=source, task_id=status.task_id, output=str(target))
        return FileOutcome(path, "done", source["size"], len(data))

    def interrupt(self) -> None:
        """Ctrl-C: send nothing new; the uploads under way finish and are recorded."""
        self._halt("interrupted")

    def _halt(self, reason: str) -> None:
        with self._lock:
            self.summary.stopped_reason = self.summary.stopped_reason or reason
        self.stop.set()

    def _record(self, outcome: FileOutcome) -> None:
        with self._lock:
            self.summary.outcomes.append(outcome)
        if outcome.status != "skipped":
            self.reporter.file_done(outcome)


def _raise_if_failed(status: dict[str, Any]) -> None:
    if status.get("status") == "failed":
        error = status.get("error") or {}
        raise PixpressClientError(str(error.get("code", "failed")), str(error.get("message", "")), status=200)


def _options_key(options: dict[str, Any], plan: OutputPlan) -> str:
    text = repr(sorted((k, str(v)) for k, v in options.items())) + repr(plan.siblings)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
