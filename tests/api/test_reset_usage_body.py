"""The vendor's documented monthly reset, exactly as curl sends it: JSON in the body, labelled
application/x-www-form-urlencoded because `-d` sets no Content-Type. It must reset, not answer 422."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN, ADMIN_TOKEN, SITE, SITE_TOKEN

# What `curl -X POST .../api/optimize/reset-usage -H "X-Token: ..." -d '{"token": "..."}'` sends.
CURL_HEADERS = {
    "X-Token": ADMIN_TOKEN,
    "User-Agent": "curl/8.5.0",
    "Accept": "*/*",
    "Content-Type": "application/x-www-form-urlencoded",
}
CURL_BODY = b'{"token": "' + SITE_TOKEN.encode() + b'"}'


def used_mb(client: TestClient) -> float:
    return float(client.get("/api/optimize/quota", headers=SITE).json()["data"]["used_mb"])


def spend(client: TestClient, corpus: Path) -> None:
    logo = (corpus / "photo" / "kodim03.png").read_bytes()
    assert (
        client.post("/api/optimize/submit", headers=SITE, files={"file": ("a.png", logo)}).status_code == 200
    )
    assert used_mb(client) > 0


def test_the_documented_curl_call_resets_usage(client: TestClient, corpus: Path) -> None:
    spend(client, corpus)
    answer = client.post("/api/optimize/reset-usage", content=CURL_BODY, headers=CURL_HEADERS)
    assert answer.status_code == 200, answer.text
    assert answer.json()["message"] == "Usage reset successfully"
    assert answer.json()["data"]["token"] == SITE_TOKEN and answer.json()["data"]["old_usage_mb"] > 0
    assert used_mb(client) == 0


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"token": "%s"}', "application/json"),
        (b'{"token": "%s"}', None),
        (b'{"token": "%s"}', "text/plain"),
        (b"token=%s", "application/x-www-form-urlencoded"),
    ],
)
def test_the_token_as_json_whatever_the_type_or_as_a_form_field(
    client: TestClient, corpus: Path, content: bytes, content_type: str | None
) -> None:
    spend(client, corpus)
    headers = {**ADMIN, **({"Content-Type": content_type} if content_type else {})}
    answer = client.post("/api/optimize/reset-usage", content=content % SITE_TOKEN.encode(), headers=headers)
    assert answer.status_code == 200, answer.text
    assert used_mb(client) == 0


def test_a_multipart_form_field_and_the_usage_call_too(client: TestClient) -> None:
    form = client.post("/api/optimize/reset-usage", files={"token": (None, SITE_TOKEN)}, headers=ADMIN)
    assert form.status_code == 200, form.text
    usage = client.post("/api/admin/usage", content=CURL_BODY, headers=CURL_HEADERS)
    assert usage.status_code == 200 and usage.json()["data"]["token"] == SITE_TOKEN


@pytest.mark.parametrize(
    "body", [b"", b"{}", b'{"token": ""}', b'{"token": 5}', b"[1]", b"\xff\xfe", b"tok=x"]
)
def test_no_token_is_invalid_option(client: TestClient, body: bytes) -> None:
    answer = client.post(
        "/api/optimize/reset-usage",
        content=body,
        headers={**ADMIN, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 422
    assert answer.json()["error"] == {
        "code": "invalid_option",
        "message": 'Send the customer token as {"token": ...}.',
        "field": "token",
    }
