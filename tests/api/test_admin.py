"""Admin calls and readiness: tokens out of URLs, failed admin tokens limited, /ready saying little."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from pixpress.config import Settings
from tests.api.conftest import ADMIN, SITE, SITE_TOKEN


def test_usage_takes_the_customer_token_in_a_post_body(client: TestClient) -> None:
    assert client.get("/api/optimize/quota", headers=SITE).status_code == 200
    answer = client.post("/api/admin/usage", json={"token": SITE_TOKEN}, headers=ADMIN)
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert data["token"] == SITE_TOKEN and data["quota_mb"] == 100 and data["past_periods"] == []
    assert "deprecation" not in answer.headers
    missing = client.post("/api/admin/usage", json={}, headers=ADMIN)
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "token"
    assert client.post("/api/admin/usage", json={"token": SITE_TOKEN}, headers=SITE).status_code == 403


def test_the_get_with_the_token_in_the_url_still_works_marked_deprecated(client: TestClient) -> None:
    answer = client.get("/api/admin/usage", params={"token": SITE_TOKEN}, headers=ADMIN)
    assert answer.status_code == 200 and answer.json()["data"]["quota_mb"] == 100
    assert answer.headers["deprecation"].startswith("@")
    operations = client.get("/openapi.json").json()["paths"]["/api/admin/usage"]
    assert operations["get"]["deprecated"] is True and not operations["post"].get("deprecated")


def test_failed_admin_tokens_are_limited_per_address(client: TestClient) -> None:
    for attempt in range(3):
        refused = client.post(
            "/api/optimize/reset-usage", json={"token": SITE_TOKEN}, headers={"X-Token": f"guess-{attempt}"}
        )
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "admin_required"
    limited = client.post("/api/admin/usage", json={"token": SITE_TOKEN}, headers={"X-Token": "guess-3"})
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    # Over the limit nothing is compared: the real admin token gets the same 429 everywhere, or a 429
    # would tell a guesser "wrong" and guessing would be bounded only by the request rate.
    for method, path in [
        ("POST", "/api/admin/usage"),
        ("POST", "/api/optimize/reset-usage"),
        ("GET", "/ready"),
        ("GET", "/metrics"),
    ]:
        real = client.request(method, path, json={"token": SITE_TOKEN}, headers=ADMIN)
        assert real.status_code == 429 and real.json()["error"]["code"] == "rate_limited", (path, real.text)
    assert client.get("/ready").status_code == 200  # without a token: nothing to compare


def test_the_admin_token_works_from_an_address_under_the_limit(client: TestClient) -> None:
    assert client.post("/api/admin/usage", json={"token": SITE_TOKEN}, headers=ADMIN).status_code == 200
    assert client.get("/metrics", headers=ADMIN).status_code == 200


def test_ready_tells_anyone_only_ready_or_not(client: TestClient) -> None:
    answer = client.get("/ready")
    assert answer.status_code == 200
    assert answer.json() == {"success": True, "data": {"status": "ready"}}
    detailed = client.get("/ready", headers=ADMIN).json()["data"]
    assert detailed["checks"] == {"database": "ok", "storage": "ok", "queue": "ok"}
    assert client.get("/ready", headers=SITE).status_code == 403  # a token that is not an admin's


def test_not_ready_names_no_check_and_no_exception_unless_admin(
    api_settings: Settings, make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    files = tmp_path / "files"
    client = make_client(api_settings.model_copy(update={"storage_url": files.as_uri()}))
    assert client.get("/ready").status_code == 200
    files.rename(tmp_path / "gone")  # the storage's folder vanished: its ping fails
    answer = client.get("/ready")
    assert answer.status_code == 503
    assert answer.json() == {
        "success": False,
        "error": {"code": "service_unavailable", "message": "Not ready."},
    }
    detailed = client.get("/ready", headers=ADMIN)
    assert detailed.status_code == 503
    assert detailed.json()["error"]["checks"]["storage"] == "error: FileNotFoundError"
