"""Run a periodic job once per deployment: only the process holding the job's lease runs it."""

from __future__ import annotations

from collections.abc import Callable

from pixpress.coordination.leases import Leases


class LeaderJob:
    def __init__(
        self, *, leases: Leases, name: str, owner: str, ttl_s: float, run: Callable[[], int]
    ) -> None:
        self.leases = leases
        self.name = name
        self.owner = owner
        self.ttl_s = ttl_s
        self.run_job = run

    def __call__(self) -> int:
        """The job's result when this process leads, else -1 (another process runs it)."""
        if not self.leases.acquire(self.name, owner=self.owner, ttl_s=self.ttl_s):
            return -1
        return self.run_job()
