"""A bulk run: many files, N concurrent uploads, resumable, stopping cleanly on quota or Ctrl-C."""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pixpress.client.errors import ConnectionFailed, PixpressClientError, QuotaExceededError
from pixpress.client.models import TaskStatus, failure_of
from pixpress.client.outputs import OutputPlan, replace_keeping_backup, write_atomically
from pixpress.client.state import StateFile, fingerprint, output_facts
from pixpress.client.sync import Client

SUBMIT_WAIT_S = 10.0
# Failures that sending the same file again would only repeat (and, found after the upload, be charged
# for again): a rerun gets the same failed task back under the same Idempotency-Key.
THE_FILES_FAULT = frozenset(
    {"invalid_image", "image_too_large", "file_too_large", "unsupported_format", "invalid_option"}
)


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
    not_sent: int = 0  # files left for a rerun when the run stopped early
    abandoned: int = 0  # uploads under way when a second Ctrl-C stopped at once

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


class OutputClash(Exception):
    """Two files of one run would write the same output file."""


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path))


def job_key(options: dict[str, Any], plan: OutputPlan) -> str:
    """What a file was sent with (options and the kind of output): a change means sending it again."""
    kind = (
        "siblings:" + ",".join(plan.siblings) if plan.siblings else ("in_place" if plan.in_place else "dir")
    )
    text = repr(sorted((k, str(v)) for k, v in options.items())) + kind
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class BulkRun:
    """Sends `files` through `client`, `concurrency` at a time. Stops sending new files (the uploads under
    way finish and are recorded) on quota_exceeded, on a server that cannot be reached, or `interrupt()`."""

    def __init__(
        self,
        *,
        client: Client,
        plan: OutputPlan,
        state: StateFile,
        options: dict[str, Any],
        concurrency: int,
        reporter: Reporter,
        roots: dict[Path, Path] | None = None,
    ) -> None:
        self.client = client
        self.plan = plan
        self.state = state
        self.options = options
        self.job = job_key(options, plan)
        self.concurrency = max(1, concurrency)
        self.reporter = reporter
        self.roots = roots or {}  # file -> the folder it was found under (for the output_dir layout)
        self.stop = threading.Event()
        self.summary = Summary()
        self._lock = threading.Lock()
        self._claims: dict[Path, Path] = {}  # output -> the source that writes it in this run

    def todo(self, files: list[Path]) -> list[Path]:
        return [path for path in files if not self.state.is_done(path, job=self.job)]

    def run(self, files: list[Path], *, refused: dict[Path, str] | None = None) -> Summary:
        """Send what is not done yet. `refused`: files not to send, each recorded as failed with why.

        `interrupt()` (the first Ctrl-C) lets the uploads under way finish and be recorded; a
        KeyboardInterrupt raised in here (the second one) abandons them and propagates: their results
        are not recorded, and a rerun sends them again, charged once thanks to their Idempotency-Key."""
        refused = refused or {}
        pending = [path for path in self.todo(files) if path not in refused]
        self._claim_outputs(pending)
        waiting = set(pending)
        for path in files:
            if path in refused:
                self._record(FileOutcome(path, "failed", message=refused[path]), report=False)
            elif path not in waiting:
                self._record(FileOutcome(path, "skipped", message="already done"))
        self.reporter.start(len(pending), sum(p.stat().st_size for p in pending))
        try:
            self._send(pending)
        except KeyboardInterrupt:
            self._halt("interrupted")
            raise
        finally:
            self.reporter.stop()
        return self.summary

    def _send(self, pending: list[Path]) -> None:
        queue = iter(pending)
        started = 0
        running: set[Future[None]] = set()
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="pixpress-upload")
        try:
            while True:
                while len(running) < self.concurrency and not self.stop.is_set():
                    upcoming = next(queue, None)
                    if upcoming is None:
                        break
                    running.add(pool.submit(self._one, upcoming))
                    started += 1
                if not running:
                    break
                _, running = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)  # nothing runs here unless abandoned
            with self._lock:
                self.summary.not_sent += len(pending) - started
                self.summary.abandoned = len(running)

    def _claim_outputs(self, pending: list[Path]) -> None:
        """The names each file expects: a format the server surprises us with must not take another's."""
        fmt = self.options.get("format")
        for path in pending:
            for output in self.plan.outputs_of(
                path, self.roots.get(path), None if fmt == "original" else fmt
            ):
                self._claims.setdefault(_absolute(output), path)

    def interrupt(self) -> None:
        """Ctrl-C: send nothing new; the uploads under way finish and are recorded."""
        self._halt("interrupted")

    def _one(self, path: Path) -> None:
        size = 0
        try:
            if self.stop.is_set():  # stopped while this one waited for a free slot
                with self._lock:
                    self.summary.not_sent += 1
                return
            source = fingerprint(path)
            size = int(source["size"])
            outcome = self._optimize(path, source)
        except QuotaExceededError as exc:
            self._halt("quota_exceeded")
            outcome = FileOutcome(path, "failed", size, message=f"{exc.code}: {exc.message}")
        except ConnectionFailed as exc:
            self._halt("server_unreachable")
            outcome = FileOutcome(path, "failed", size, message=exc.message)
        except PixpressClientError as exc:
            outcome = FileOutcome(path, "failed", size, message=f"{exc.code}: {exc.message}")
        except OutputClash as exc:
            outcome = FileOutcome(path, "failed", size, message=str(exc))
        except OSError as exc:
            outcome = FileOutcome(path, "failed", size, message=f"file error: {exc}")
        except Exception as exc:  # a bug or a malformed answer: this file fails, the run goes on
            outcome = FileOutcome(path, "failed", size, message=f"unexpected {exc.__class__.__name__}: {exc}")
        self._record(outcome)

    def _optimize(self, path: Path, source: dict[str, Any]) -> FileOutcome:
        # The key comes from the content and the job: a rerun after a crash is charged once by the server.
        key = f"bulk-{source['sha256'][:40]}-{self.job}"
        if failures := self.state.failures(path, job=self.job):
            key += f"-retry{failures}"  # the task under the plain key failed on the server's side
        options = dict(self.options)
        if self.plan.siblings:
            options.update(format="auto", accept=",".join(self.plan.siblings))
        status = self._finished(path, key, options)
        if self.plan.siblings:
            written, outputs = 0, []
            # A format the server dropped (never bigger: larger than the original's) gets no sibling;
            # a browser offered none takes the original, which is smaller.
            made = {v.get("format") for v in status.variants} or {status.format}
            for fmt in (f for f in self.plan.siblings if f in made):
                data = self.client.download(status.task_id, variant=fmt)
                target = OutputPlan.sibling(path, fmt)
                self._write(path, target, data)
                written += len(data)
                outputs.append(str(target.resolve()))
            self.state.mark_done(path, source=source, job=self.job, task_id=status.task_id, outputs=outputs)
            return FileOutcome(path, "done", source["size"], written)
        data = self.client.download(status.task_id)
        if self.plan.in_place:
            replace_keeping_backup(path, data)
            facts = output_facts(path, data)
            sizes = self._write_sizes(path, path, status)
            self.state.mark_done(
                path, source=source, job=self.job, task_id=status.task_id, outputs=sizes, **facts
            )
        else:
            target = self.plan.target(path, self.roots.get(path), status.format)
            self._write(path, target, data)
            outputs = [str(target.resolve()), *self._write_sizes(path, target, status)]
            self.state.mark_done(path, source=source, job=self.job, task_id=status.task_id, outputs=outputs)
        return FileOutcome(path, "done", source["size"], len(data))

    def _write_sizes(self, source: Path, output: Path, status: TaskStatus) -> list[str]:
        """Each size (--sizes) next to the output as NAME-SIZE.EXT; recorded so a rerun never sends them."""
        written = []
        for size in status.sizes:
            target = OutputPlan.size_file(output, size.name, size.format)
            self._write(source, target, self.client.download(status.task_id, size=size.name))
            written.append(str(target.resolve()))
        return written

    def _finished(self, path: Path, key: str, options: dict[str, Any]) -> TaskStatus:
        submitted = self.client.submit(path, idempotency_key=key, wait_s=SUBMIT_WAIT_S, **options)
        status = submitted.status if submitted.status.finished else self.client.wait(submitted.task_id)
        if (failure := failure_of(status)) is not None:
            if failure.code not in THE_FILES_FAULT:
                self.state.mark_failed(path, job=self.job)
            raise failure
        return status

    def _write(self, source: Path, target: Path, data: bytes) -> None:
        with self._lock:
            owner = self._claims.setdefault(_absolute(target), source)
        if owner != source:
            raise OutputClash(f"not written: {target} is the output of {owner}")
        write_atomically(target, data)

    def _halt(self, reason: str) -> None:
        with self._lock:
            self.summary.stopped_reason = self.summary.stopped_reason or reason
        self.stop.set()

    def _record(self, outcome: FileOutcome, *, report: bool = True) -> None:
        with self._lock:
            self.summary.outcomes.append(outcome)
        if report and outcome.status != "skipped":
            self.reporter.file_done(outcome)
