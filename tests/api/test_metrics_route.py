"""GET /metrics in process: admin token only, failed attempts limited like the admin calls."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from pixpress.config import Settings
from tests.api.conftest import ADMIN, ADMIN_TOKEN, SITE


def test_metrics_need_an_admin_token(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=SITE).json()["error"]["code"] == "admin_required"
    answer = client.get("/metrics", headers=ADMIN)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "pixpress_queue_depth 0.0" in answer.text
    bearer = client.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert bearer.status_code == 200  # what Prometheus's `authorization` sends


def test_failed_attempts_are_limited(client: TestClient) -> None:
    # api_settings allows 3 failed checks per minute and address.
    codes = [client.get("/metrics", headers={"X-Token": f"guess-{n}"}).status_code for n in range(4)]
    assert codes == [403, 403, 403, 429]
    # Over the limit nothing is compared: the admin token too waits out the minute (docs/security.md).
    assert client.get("/metrics", headers=ADMIN).status_code == 429


def test_metrics_can_be_turned_off(api_settings: Settings, make_client: Callable[..., TestClient]) -> None:
    client = make_client(api_settings.model_copy(update={"metrics_enabled": False}))
    assert client.get("/metrics", headers=ADMIN).status_code == 404
