"""The one-line recording calls, on this process's own registry (no group directory in tests)."""

from __future__ import annotations

import enum

import pytest

from pixpress.metrics import record


def sample(name: str, **labels: str) -> float:
    return record.REGISTRY.get_sample_value(name, labels) or 0.0


class Fmt(enum.Enum):
    WEBP = "webp"


def test_http_request_counts_by_template_and_observes_latency() -> None:
    before = sample("pixpress_http_requests_total", method="GET", route="/t/{id}", status="200")
    seconds_before = sample("pixpress_http_request_duration_seconds_sum", method="GET", route="/t/{id}")
    record.http_request("GET", "/t/{id}", 200, 0.25)
    assert sample("pixpress_http_requests_total", method="GET", route="/t/{id}", status="200") == before + 1
    assert sample(
        "pixpress_http_request_duration_seconds_sum", method="GET", route="/t/{id}"
    ) == pytest.approx(seconds_before + 0.25)
    unmatched = sample("pixpress_http_requests_total", method="GET", route="<unmatched>", status="404")
    record.http_request("GET", None, 404, 0.001)
    assert (
        sample("pixpress_http_requests_total", method="GET", route="<unmatched>", status="404")
        == unmatched + 1
    )


def test_tasks_by_outcome_code_and_format() -> None:
    done = sample("pixpress_tasks_total", outcome="done", error_code="", format="webp")
    out = sample("pixpress_result_bytes_total", format="webp")
    failed = sample("pixpress_tasks_total", outcome="failed", error_code="task_timeout", format="")
    record.task_done(output_format="webp", result_bytes=1234)
    record.task_failed("task_timeout")
    assert sample("pixpress_tasks_total", outcome="done", error_code="", format="webp") == done + 1
    assert sample("pixpress_result_bytes_total", format="webp") == out + 1234
    assert (
        sample("pixpress_tasks_total", outcome="failed", error_code="task_timeout", format="") == failed + 1
    )


def test_money_counters() -> None:
    names = (
        "pixpress_upload_bytes_total",
        "pixpress_quota_charges_total",
        "pixpress_quota_charged_bytes_total",
        "pixpress_quota_resets_total",
        "pixpress_quota_reset_bytes_total",
    )
    before = {name: sample(name) for name in names}
    refunds = sample("pixpress_quota_refunds_total", reason="worker_lost")
    refunded = sample("pixpress_quota_refunded_bytes_total", reason="worker_lost")
    record.upload_charged(1000)
    record.refunded("worker_lost", 1000)
    record.reset(4000)
    after = {name: sample(name) - before[name] for name in names}
    assert after == {
        "pixpress_upload_bytes_total": 1000,
        "pixpress_quota_charges_total": 1,
        "pixpress_quota_charged_bytes_total": 1000,
        "pixpress_quota_resets_total": 1,
        "pixpress_quota_reset_bytes_total": 4000,
    }
    assert sample("pixpress_quota_refunds_total", reason="worker_lost") == refunds + 1
    assert sample("pixpress_quota_refunded_bytes_total", reason="worker_lost") == refunded + 1000


def test_licence_calls_and_circuit_gauge() -> None:
    failed = sample("pixpress_licence_calls_total", outcome="failed")
    record.licence_call("failed", circuit_open=True)
    assert sample("pixpress_licence_calls_total", outcome="failed") == failed + 1
    assert sample("pixpress_licence_circuit_open") == 1
    record.licence_call("ok", circuit_open=False)
    assert sample("pixpress_licence_circuit_open") == 0


def test_timed_labels_by_the_named_argument_and_counts_failures_too() -> None:
    @record.timed(record.ENCODE_SECONDS, label_arg="fmt")
    def encode(image: object, fmt: Fmt | None, quality: int) -> int:
        if quality < 0:
            raise ValueError("bad quality")
        return quality

    webp = sample("pixpress_encode_duration_seconds_count", format="webp")
    none = sample("pixpress_encode_duration_seconds_count", format="none")
    assert encode(None, Fmt.WEBP, 80) == 80
    assert encode(None, fmt=None, quality=5) == 5
    with pytest.raises(ValueError):
        encode(None, Fmt.WEBP, -1)
    assert encode.__name__ == "encode"  # wrapped, not replaced
    assert sample("pixpress_encode_duration_seconds_count", format="webp") == webp + 2
    assert sample("pixpress_encode_duration_seconds_count", format="none") == none + 1


def test_worker_restarts() -> None:
    before = sample("pixpress_worker_restarts_total")
    record.worker_restarted()
    assert sample("pixpress_worker_restarts_total") == before + 1
