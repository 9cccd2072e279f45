"""PIXPRESS_METRICS_ADDRESS's listener and the scrape text."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pixpress.metrics import exposition
from pixpress.metrics.listener import MetricsListener


@pytest.fixture
def listener() -> Iterator[MetricsListener]:
    server = MetricsListener("127.0.0.1", 0, pending=lambda: 3).start()
    yield server
    server.stop()


def test_serves_metrics_only(listener: MetricsListener) -> None:
    base = f"http://127.0.0.1:{listener.port}"
    answer = httpx.get(f"{base}/metrics?x=1")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == exposition.CONTENT_TYPE
    assert "pixpress_queue_depth 3.0" in answer.text
    assert "# TYPE pixpress_upload_bytes_total counter" in answer.text
    assert httpx.get(f"{base}/").status_code == 404


def test_an_unreachable_queue_leaves_its_sample_out() -> None:
    def down() -> int:
        raise ConnectionError("redis down")

    text = exposition.render(pending=down).decode()
    assert "pixpress_queue_depth" not in text
    assert "pixpress_http_requests" in text
