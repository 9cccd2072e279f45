"""The instruments, and the one-line calls that record into them from where the facts are known.

Names follow Prometheus conventions (`_total` counters, `_seconds` and `_bytes` units). Label values
come from small fixed sets (route templates, error codes, formats, refund reasons), never from a client's
path, token or file name, so the number of series stays bounded.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

P = ParamSpec("P")
R = TypeVar("R")

# Our own registry: in one process it is what a scrape reads; with a group directory the files are.
REGISTRY = CollectorRegistry(auto_describe=True)

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
WORK_BUCKETS_S = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
UNMATCHED_ROUTE = "<unmatched>"

HTTP_REQUESTS = Counter(
    "pixpress_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "pixpress_http_request_duration_seconds",
    "Time to answer an HTTP request (to the end of the body), by method and route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS_S,
    registry=REGISTRY,
)
TASKS = Counter(
    "pixpress_tasks",
    "Tasks finished, by outcome (done, failed), error code (failed) and output format (done).",
    ["outcome", "error_code", "format"],
    registry=REGISTRY,
)
ENCODE_SECONDS = Histogram(
    "pixpress_encode_duration_seconds",
    "Time of one encoder call, by format (quality-search probes included).",
    ["format"],
    buckets=WORK_BUCKETS_S,
    registry=REGISTRY,
)
QUALITY_SEARCH_SECONDS = Histogram(
    "pixpress_quality_search_duration_seconds",
    "Time of one quality search (its encodes and scores), by format.",
    ["format"],
    buckets=WORK_BUCKETS_S,
    registry=REGISTRY,
)
UPLOAD_BYTES = Counter(
    "pixpress_upload_bytes", "Bytes of the uploads accepted (a task created).", registry=REGISTRY
)
RESULT_BYTES = Counter(
    "pixpress_result_bytes",
    "Bytes of the results made (main image), by format.",
    ["format"],
    registry=REGISTRY,
)
CHARGES = Counter("pixpress_quota_charges", "Uploads charged to a token's quota.", registry=REGISTRY)
CHARGED_BYTES = Counter("pixpress_quota_charged_bytes", "Bytes charged to quotas.", registry=REGISTRY)
REFUNDS = Counter(
    "pixpress_quota_refunds",
    "Charges given back, by reason (a task's error code).",
    ["reason"],
    registry=REGISTRY,
)
REFUNDED_BYTES = Counter(
    "pixpress_quota_refunded_bytes", "Bytes given back, by reason.", ["reason"], registry=REGISTRY
)
FAILURES_CHARGED = Counter(
    "pixpress_quota_failures_charged",
    "Failed tasks whose charge was kept (past the token's free failures), by error code.",
    ["reason"],
    registry=REGISTRY,
)
REUSES = Counter(
    "pixpress_quota_reuses",
    "Identical uploads answered with an earlier result, uncharged.",
    registry=REGISTRY,
)
RESETS = Counter("pixpress_quota_resets", "Usage resets (a period closed).", registry=REGISTRY)
RESET_BYTES = Counter("pixpress_quota_reset_bytes", "Usage the resets set back to 0.", registry=REGISTRY)
LICENCE_CALLS = Counter(
    "pixpress_licence_calls",
    "Licence checks, by outcome: ok (an answer, valid or not), failed (down, slow, nonsense), "
    "circuit_open (not sent: the circuit breaker is open).",
    ["outcome"],
    registry=REGISTRY,
)
LICENCE_CIRCUIT_OPEN = Gauge(
    "pixpress_licence_circuit_open",
    "1 while the licence-server circuit breaker of a live process of this group is open or probing.",
    registry=REGISTRY,
    multiprocess_mode="livemax",
)
WORKER_RESTARTS = Counter(
    "pixpress_worker_restarts",
    "Worker processes that ended (crash, runaway task, memory kept) and were replaced.",
    registry=REGISTRY,
)


def http_request(method: str, route: str | None, status: int, duration_s: float) -> None:
    template = route or UNMATCHED_ROUTE
    HTTP_REQUESTS.labels(method, template, str(status)).inc()
    HTTP_SECONDS.labels(method, template).observe(duration_s)


def task_done(*, output_format: str, result_bytes: int) -> None:
    TASKS.labels("done", "", output_format).inc()
    RESULT_BYTES.labels(output_format).inc(result_bytes)


def task_failed(error_code: str) -> None:
    TASKS.labels("failed", error_code, "").inc()


def upload_charged(size_bytes: int) -> None:
    """An upload accepted and charged (after the commit of its charge and task row)."""
    UPLOAD_BYTES.inc(size_bytes)
    CHARGES.inc()
    CHARGED_BYTES.inc(size_bytes)


def refunded(reason: str, size_bytes: int) -> None:
    REFUNDS.labels(reason).inc()
    REFUNDED_BYTES.labels(reason).inc(size_bytes)


def failure_charged(reason: str) -> None:
    FAILURES_CHARGED.labels(reason).inc()


def reused() -> None:
    REUSES.inc()


def reset(old_usage_bytes: int) -> None:
    RESETS.inc()
    RESET_BYTES.inc(old_usage_bytes)


def licence_call(outcome: str, *, circuit_open: bool) -> None:
    LICENCE_CALLS.labels(outcome).inc()
    LICENCE_CIRCUIT_OPEN.set(1 if circuit_open else 0)


def worker_restarted() -> None:
    WORKER_RESTARTS.inc()


def timed(histogram: Histogram, *, label_arg: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: observe each call's seconds in `histogram`, labelled by the argument named `label_arg`
    (an enum's value, or its text). Failed calls count too: they took the time."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                label = _label(signature.bind_partial(*args, **kwargs).arguments.get(label_arg))
                histogram.labels(label).observe(time.perf_counter() - started)

        return wrapper

    return decorate


def _label(value: Any) -> str:
    if value is None:
        return "none"
    return str(getattr(value, "value", value))
