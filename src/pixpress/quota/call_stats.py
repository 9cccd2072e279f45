"""Counters of licence-server calls for the operator's dashboard: kept in process, per process.

Each API process calls the licence server on its own, so each counts its own calls; nothing here is
shared between processes or survives a restart.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

WINDOW_S = 60.0
MAX_KEPT_CALLS = 100_000  # bounds memory under a storm of calls; older ones fall out first
MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class CallSnapshot:
    calls_last_minute: int
    failures_last_minute: int
    calls_total: int
    failures_total: int
    last_error: str | None
    last_error_at: datetime | None


class CallStats:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._recent: deque[tuple[float, bool]] = deque(maxlen=MAX_KEPT_CALLS)  # (when, failed)
        self._calls_total = 0
        self._failures_total = 0
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None

    def record_success(self) -> None:
        with self._lock:
            self._recent.append((self.clock(), False))
            self._calls_total += 1

    def record_failure(self, error: str) -> None:
        with self._lock:
            self._recent.append((self.clock(), True))
            self._calls_total += 1
            self._failures_total += 1
            self._last_error = error[:MAX_ERROR_CHARS]
            self._last_error_at = datetime.now(UTC)

    def snapshot(self) -> CallSnapshot:
        with self._lock:
            cutoff = self.clock() - WINDOW_S
            while self._recent and self._recent[0][0] < cutoff:
                self._recent.popleft()
            return CallSnapshot(
                calls_last_minute=len(self._recent),
                failures_last_minute=sum(1 for _, failed in self._recent if failed),
                calls_total=self._calls_total,
                failures_total=self._failures_total,
                last_error=self._last_error,
                last_error_at=self._last_error_at,
            )


@dataclass(frozen=True)
class LicenceHealth:
    """Where quotas come from and how the licence server has been answering this process."""

    source: str  # license_api | tokens_file | default
    circuit_state: str  # closed | open | half_open (always closed without a licence server)
    consecutive_failures: int
    calls: CallSnapshot
