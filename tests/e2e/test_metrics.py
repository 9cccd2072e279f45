"""GET /metrics during a real run: a real `pixpress serve` (API, consumer and a worker process), scraped
after uploads that succeed, fail in the worker, are refused at submit or exceed the quota, and a reset.
Every counter must add up to what the run did and to the ledger the admin usage call reads."""

from __future__ import annotations

import signal
import struct
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import hostile
from tests.e2e.server import STARTUP_TIMEOUT_S, ServerProcess, free_port, serve

pytestmark = pytest.mark.slow
ADMIN = {"X-Token": "admin-secret-token-0123"}
SITE = {"X-Token": "metrics-site-token"}
SMALL = {"X-Token": "metrics-small-token"}
PHOTOS = ("photo/kodim03.png", "photo/rocket.jpg", "graphic/logo.png")
TOKENS_TOML = """
[tokens."metrics-site-token"]
quota_mb = 1000

[tokens."metrics-small-token"]
quota_mb = 0.1
"""


def corrupt_idat(png: bytes) -> bytes:
    """Every chunk well formed (lengths, CRCs), the compressed pixels garbage: accepted at submit, where
    only the structure is read, and failing in the worker's decode."""
    out, pos = [png[:8]], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, payload = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IDAT":
            payload = payload[:2] + bytes(b ^ 0x5A for b in payload[2:])
        out.append(hostile.png_chunk(kind, payload))
        pos += 12 + length
    return b"".join(out)


@pytest.fixture(scope="module")
def listen_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, listen_port: int) -> Iterator[ServerProcess]:
    tmp: Path = tmp_path_factory.mktemp("metrics")
    tokens = tmp / "tokens.toml"
    tokens.write_text(TOKENS_TOML)
    process = serve(
        tmp,
        env={"PIXPRESS_TOKENS_FILE": str(tokens), "PIXPRESS_METRICS_ADDRESS": f"127.0.0.1:{listen_port}"},
    )
    try:
        yield process
    finally:
        process.stop()


def submit(server: ServerProcess, data: bytes, headers: dict[str, str], name: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/optimize/submit",
        params={"wait": 30},
        headers=headers,
        files={"file": (name, data, "application/octet-stream")},
        timeout=60,
    )


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def value(scraped: list[tuple[str, dict[str, str], float]], name: str, **labels: str) -> float:
    """The sum of the samples named `name` whose labels include `labels` (0 when there is none)."""
    return sum(v for n, have, v in scraped if n == name and labels.items() <= have.items())


def test_metrics_add_up_to_the_run(server: ServerProcess, corpus: Path, listen_port: int) -> None:
    assert httpx.get(f"{server.url}/metrics").status_code == 401  # token_missing
    assert httpx.get(f"{server.url}/metrics", headers=SITE).status_code == 403  # admin_required

    accepted_bytes = result_bytes = 0
    for name in PHOTOS:
        data = (corpus / name).read_bytes()
        answer = submit(server, data, SITE, Path(name).name)
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"]["status"] == "done", answer.text
        accepted_bytes += len(data)
        result_bytes += answer.json()["data"]["optimized_size"]
    broken = corrupt_idat((corpus / "photo" / "kodim05.png").read_bytes())
    failed = submit(server, broken, SITE, "broken.png")
    assert failed.status_code == 200 and failed.json()["data"]["status"] == "failed", failed.text
    assert failed.json()["data"]["error"]["code"] == "invalid_image"
    accepted_bytes += len(broken)
    truncated = hostile.cut_before_rows((corpus / "photo" / "rocket.jpg").read_bytes())
    assert submit(server, truncated, SITE, "truncated.jpg").status_code == 422  # refused, not charged
    over = submit(server, (corpus / "photo" / "kodim03.png").read_bytes(), SMALL, "big.png")
    assert over.status_code == 429 and over.json()["error"]["code"] == "quota_exceeded"
    unknown = httpx.get(f"{server.url}/api/optimize/status/no-such-task", headers=SITE)
    assert unknown.status_code == 404
    assert httpx.get(f"{server.url}/no/such/path/12345").status_code == 404
    reset = httpx.post(
        f"{server.url}/api/optimize/reset-usage", headers=ADMIN, json={"token": SITE["X-Token"]}
    )
    assert reset.status_code == 200
    usage = httpx.post(f"{server.url}/api/admin/usage", headers=ADMIN, json={"token": SITE["X-Token"]})
    periods = [usage.json()["data"]["current_period"], *usage.json()["data"]["past_periods"]]

    scraped = samples(httpx.get(f"{server.url}/metrics", headers=ADMIN).text)

    submit_route = {"route": "/api/optimize/submit", "method": "POST"}
    assert value(scraped, "pixpress_http_requests_total", **submit_route, status="200") == len(PHOTOS) + 1
    assert value(scraped, "pixpress_http_requests_total", **submit_route, status="422") == 1
    assert value(scraped, "pixpress_http_requests_total", **submit_route, status="429") == 1
    assert value(scraped, "pixpress_http_requests_total", route="/api/optimize/status/{task_id}") == 1
    assert value(scraped, "pixpress_http_requests_total", route="<unmatched>", status="404") == 1
    assert value(scraped, "pixpress_http_requests_total", route="/metrics", status="401") == 1
    assert value(scraped, "pixpress_http_requests_total", route="/metrics", status="403") == 1
    assert value(scraped, "pixpress_http_requests_total", route="/api/optimize/reset-usage") == 1
    assert value(scraped, "pixpress_http_request_duration_seconds_count", **submit_route) == len(PHOTOS) + 3
    # The worker processes' figures, added up with the API's.
    assert value(scraped, "pixpress_tasks_total", outcome="done") == len(PHOTOS)
    assert value(scraped, "pixpress_tasks_total", outcome="failed", error_code="invalid_image") == 1
    assert value(scraped, "pixpress_result_bytes_total") == result_bytes
    assert value(scraped, "pixpress_encode_duration_seconds_count") >= len(PHOTOS)
    assert value(scraped, "pixpress_upload_bytes_total") == accepted_bytes
    # The money: what the ledger says, the metrics say.
    assert value(scraped, "pixpress_quota_charges_total") == sum(p.get("uploads", 0) for p in periods) == 4
    assert value(scraped, "pixpress_quota_charged_bytes_total") == sum(
        p.get("charged_bytes", 0) for p in periods
    )
    assert value(scraped, "pixpress_quota_charged_bytes_total") == accepted_bytes
    assert value(scraped, "pixpress_quota_refunds_total", reason="invalid_image") == 1
    refunded = sum(p.get("refunded_bytes", 0) for p in periods)
    assert value(scraped, "pixpress_quota_refunded_bytes_total", reason="invalid_image") == refunded
    assert refunded == len(broken)
    assert value(scraped, "pixpress_quota_resets_total") == 1
    closed = usage.json()["data"]["past_periods"][0]
    assert (
        value(scraped, "pixpress_quota_reset_bytes_total")
        == closed["used_bytes"]
        == accepted_bytes - refunded
    )
    assert value(scraped, "pixpress_queue_depth") == 0
    assert value(scraped, "pixpress_worker_restarts_total") == 0
    assert value(scraped, "pixpress_licence_calls_total") == 0  # a tokens file: no licence server

    # The plain listener serves the same group's figures, without a token.
    listened = samples(httpx.get(f"http://127.0.0.1:{listen_port}/metrics").text)
    for name in ("pixpress_tasks_total", "pixpress_quota_charged_bytes_total", "pixpress_upload_bytes_total"):
        assert value(listened, name) == value(scraped, name)


def test_ratelimit_fields_on_authenticated_answers(server: ServerProcess) -> None:
    answer = httpx.get(f"{server.url}/api/optimize/quota", headers=SMALL)
    quota_bytes = int(0.1 * 1024 * 1024)
    assert answer.headers["ratelimit-policy"] == f'"monthly";q={quota_bytes};w=2592000;qu="content-bytes"'
    assert answer.headers["ratelimit"] == f'"monthly";r={quota_bytes}'
    assert "ratelimit" not in httpx.get(f"{server.url}/health").headers


def test_a_worker_alone_serves_its_group_on_its_address(tmp_path: Path) -> None:
    """A worker machine has no API: its `pixpress worker` serves /metrics on PIXPRESS_METRICS_ADDRESS,
    in a fresh group directory of its own under PIXPRESS_METRICS_DIR."""
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    stale = metrics_dir / "group-1" / ".group.lock"  # a group that ended long ago
    stale.parent.mkdir(parents=True)
    stale.write_text("")
    worker = ServerProcess(
        ["worker", "--concurrency", "1"],
        env={
            "PIXPRESS_ENVIRONMENT": "test",
            "PIXPRESS_DATA_DIR": str(tmp_path / "data"),
            "PIXPRESS_METRICS_DIR": str(metrics_dir),
            "PIXPRESS_METRICS_ADDRESS": f"127.0.0.1:{port}",
        },
        log_path=tmp_path / "worker.log",
        port=port,
    )
    try:
        worker.start(ready_path="/metrics")
        scraped = samples(httpx.get(f"{worker.url}/metrics", timeout=STARTUP_TIMEOUT_S).text)
        assert value(scraped, "pixpress_queue_depth") == 0
        assert value(scraped, "pixpress_worker_restarts_total") == 0
        assert worker.process is not None
        assert [p.name for p in metrics_dir.iterdir()] == [f"group-{worker.process.pid}"]
    finally:
        worker.stop(signal.SIGINT)
