"""Per-process licence-server counters and the circuit's state, as the dashboard shows them."""

from __future__ import annotations

from pixpress.quota.call_stats import CallStats
from pixpress.quota.circuit import CircuitBreaker
from tests.quota.test_circuit import Clock


def test_calls_in_the_last_minute_and_the_last_error() -> None:
    clock = Clock()
    stats = CallStats(clock=clock)
    stats.record_success()
    stats.record_failure("licence server unreachable")
    clock.now = 30
    stats.record_success()
    snapshot = stats.snapshot()
    assert (snapshot.calls_last_minute, snapshot.failures_last_minute) == (3, 1)
    assert snapshot.last_error == "licence server unreachable" and snapshot.last_error_at is not None
    clock.now = 61
    later = stats.snapshot()
    assert (later.calls_last_minute, later.failures_last_minute) == (1, 0)
    assert (later.calls_total, later.failures_total) == (3, 1) and later.last_error is not None


def test_the_circuit_says_closed_open_then_half_open() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, open_s=10, max_open_s=60, clock=clock)
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "closed" and breaker.consecutive_failures == 1
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now = 10.5
    assert breaker.state == "half_open"
    breaker.record_success()
    assert breaker.state == "closed" and breaker.consecutive_failures == 0
