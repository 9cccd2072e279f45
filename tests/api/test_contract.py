"""Every JSON answer of a real run through the app fits the schema /openapi.json documents for its route
and status, and every answer that has data documents one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.api.conftest import ADMIN, SITE, SITE_TOKEN
from tests.api.contract import answer_schema, validate

SIZES = "thumbnail:150x150:crop,medium:300x300"


@pytest.fixture
def openapi(client: TestClient) -> dict[str, Any]:
    return dict(client.get("/openapi.json").json())


def check(openapi: dict[str, Any], path: str, answer: Response, *, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = dict(answer.json())
    validate(answer_schema(openapi, path, answer.request.method, status), body)
    return body


def test_every_json_route_documents_its_answer_and_errors(openapi: dict[str, Any]) -> None:
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            if path in ("/metrics", "/api/optimize/download/{task_id}"):
                continue  # text and bytes
            ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
            assert ok.get("$ref", "").startswith("#/components/schemas/Envelope"), (method, path)
            errors = [status for status in operation["responses"] if status[0] in "45"]
            assert errors, (method, path)
            for status in errors:
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema["$ref"] == "#/components/schemas/ErrorEnvelope", (method, path, status)


def test_a_real_run_answers_as_documented(client: TestClient, openapi: dict[str, Any], corpus: Path) -> None:
    check(openapi, "/health", client.get("/health"))
    check(openapi, "/ready", client.get("/ready"))
    assert "checks" in check(openapi, "/ready", client.get("/ready", headers=ADMIN))["data"]

    photo = ("kodim03.png", (corpus / "photo" / "kodim03.png").read_bytes())
    submit = "/api/optimize/submit"
    queued = check(openapi, submit, client.post(submit, headers=SITE, files={"file": photo}))["data"]
    assert set(queued) == {"task_id", "status", "quota_info", "idempotent_replay", "reused"}
    fields = {"sizes": SIZES, "format": "auto", "accept": "webp,avif"}
    sized = check(openapi, submit, client.post(submit, headers=SITE, files={"file": photo}, data=fields))
    task_id = sized["data"]["task_id"]
    client.app.state.container.runner.run(task_id)  # type: ignore[attr-defined]  # no worker here

    status = "/api/optimize/status/{task_id}"
    done = check(openapi, status, client.get(f"/api/optimize/status/{task_id}", headers=SITE))["data"]
    assert done["status"] == "done" and done["variants"] and done["sizes"][0]["variants"]
    waited = client.post(f"{submit}?wait=1", headers=SITE, files={"file": photo})
    assert "original_filename" in check(openapi, submit, waited)["data"]  # still queued: its status too
    queued_status = client.get(f"/api/optimize/status/{queued['task_id']}", headers=SITE)
    assert "download_url" not in check(openapi, status, queued_status)["data"]

    download = client.get(f"/api/optimize/download/{task_id}?size=thumbnail&variant=webp", headers=SITE)
    assert download.status_code == 200 and download.headers["content-type"] == "image/webp"
    delete = "/api/optimize/task/{task_id}"
    check(openapi, delete, client.delete(f"/api/optimize/task/{task_id}", headers=SITE))

    check(openapi, "/api/optimize/quota", client.get("/api/optimize/quota", headers=SITE))
    check(openapi, "/api/optimize/refresh-quota", client.post("/api/optimize/refresh-quota", headers=SITE))
    usage = "/api/admin/usage"
    history = check(openapi, usage, client.post(usage, headers=ADMIN, json={"token": SITE_TOKEN}))["data"]
    assert history["current_period"]["charged_bytes"] > 0
    check(openapi, usage, client.get(usage, headers=ADMIN, params={"token": SITE_TOKEN}))
    reset = "/api/optimize/reset-usage"
    check(openapi, reset, client.post(reset, headers=ADMIN, json={"token": SITE_TOKEN}))
    # Just reset: no ledger entry in the new period yet, and still the same keys.
    history = check(openapi, usage, client.post(usage, headers=ADMIN, json={"token": SITE_TOKEN}))["data"]
    assert history["current_period"]["charged_bytes"] == 0 == history["current_period"]["refunded_bytes"]


def test_error_answers_are_documented_envelopes(client: TestClient, openapi: dict[str, Any]) -> None:
    status = "/api/optimize/status/{task_id}"
    for answer, code in (
        (client.get("/api/optimize/status/nope"), 401),
        (client.get("/api/optimize/status/nope", headers=SITE), 404),
        (client.post("/api/optimize/reset-usage", headers=SITE, json={"token": "x"}), 403),
        (client.post("/api/optimize/submit?wait=99", headers=SITE), 422),
        (client.post("/api/optimize/submit", headers=SITE, files={"file": ("a.txt", b"text")}), 415),
    ):
        path = status if "status" in str(answer.request.url) else answer.request.url.path
        body = check(openapi, path, answer, status=code)
        assert body["success"] is False and body["error"]["code"]
