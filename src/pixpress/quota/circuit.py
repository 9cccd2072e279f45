"""A circuit breaker: stop calling a server that keeps failing, probe it again after a growing pause."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int,
        open_s: float,
        max_open_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.base_open_s = open_s
        self.max_open_s = max_open_s
        self.clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until = 0.0
        self._pause_s = open_s
        self._probing = False

    def allow(self) -> bool:
        """May a call go out now? While open, none; once the pause ends, one probe at a time."""
        with self._lock:
            if self._failures < self.failure_threshold:
                return True
            if self.clock() < self._open_until or self._probing:
                return False
            self._probing = True
            return True

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._pause_s = self.base_open_s
            self._probing = False

    def record_failure(self) -> None:
        with self._lock:
            was_probe = self._probing
            self._probing = False
            self._failures += 1
            if self._failures >= self.failure_threshold:
                if was_probe:  # still down: wait longer before the next probe
                    self._pause_s = min(self._pause_s * 2, self.max_open_s)
                self._open_until = self.clock() + self._pause_s

    @property
    def state(self) -> str:
        """closed (calls go out), open (none do), or half_open (the pause is over: one probe may go)."""
        with self._lock:
            if self._failures < self.failure_threshold:
                return "closed"
            return "open" if self.clock() < self._open_until else "half_open"

    @property
    def consecutive_failures(self) -> int:
        with self._lock:
            return self._failures

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._failures >= self.failure_threshold and self.clock() < self._open_until
