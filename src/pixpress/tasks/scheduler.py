"""Periodic jobs on one daemon thread: in a worker process the lease checks, the cleanup, the ledger check
and scheduled resets; in an API process the licence re-check of the tokens it served (only it sees them).

Huey's own periodic tasks tick once a minute at best; a lease check must be finer than the lease.
Jobs that must run once per deployment take a leader lock inside their own body.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

log = logging.getLogger("pixpress.scheduler")


@dataclass
class Job:
    name: str
    interval_s: float
    run: Callable[[], object]
    next_at: float = field(default=0.0)


class PeriodicJobs:
    def __init__(
        self,
        jobs: list[Job],
        *,
        tick_s: float = 1.0,
        around: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        self.jobs = jobs
        self.tick_s = tick_s
        self.around = around  # what each run happens inside (the consumer: tasks/fork_guard.py)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="pixpress-periodic", daemon=True)

    def start(self) -> None:
        now = time.monotonic()
        for job in self.jobs:
            job.next_at = now + min(job.interval_s, 5.0)  # first run soon after start
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def run_due(self) -> None:
        now = time.monotonic()
        for job in self.jobs:
            if now < job.next_at:
                continue
            job.next_at = now + job.interval_s
            try:
                with self.around():
                    job.run()
            except Exception:
                log.exception("periodic job %s failed", job.name)

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_s):
            self.run_due()
