"""The ASGI middleware and the error envelope on a small app of their own."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel

from pixpress.api.envelope import Envelope, install_error_handlers, ok
from pixpress.api.middleware import BodyLimitMiddleware, QuotaHeadersMiddleware, RequestIdMiddleware
from pixpress.errors import QuotaExceeded
from pixpress.metrics import record


@dataclass
class Quota:
    quota_mb: float = 1000
    used_mb: float = 1.5
    remaining_mb: float = 998.5
    quota_bytes: int = 1000 * 1024 * 1024
    remaining_bytes: int = 1046478848


class Size(BaseModel):
    size: int


class Item(BaseModel):
    item: str


class Empty(BaseModel):
    pass


def make_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/upload")
    async def upload(request: Request) -> Envelope[Size]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return ok(Size(size=size))

    @app.get("/quota")
    def quota(request: Request) -> Envelope[Empty]:
        request.state.quota = Quota()
        return ok(Empty())

    @app.get("/items/{item_id}")
    def item(item_id: str) -> Envelope[Item]:
        return ok(Item(item=item_id))

    @app.get("/over")
    def over(request: Request) -> dict[str, object]:
        request.state.quota = Quota(used_mb=1000, remaining_mb=0, remaining_bytes=0)
        raise QuotaExceeded(details={"quota_info": {"used_mb": 1000}})

    @app.get("/boom")
    def boom() -> dict[str, object]:
        raise RuntimeError("secret detail")

    app.mount("/static", PlainTextResponse("file"), name="static")
    app.add_middleware(QuotaHeadersMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=1000)
    app.add_middleware(RequestIdMiddleware)
    return app


@pytest.fixture
def client() -> TestClient:
    return TestClient(make_app(), raise_server_exceptions=False)


def test_body_under_the_limit_passes(client: TestClient) -> None:
    assert client.post("/upload", content=b"x" * 1000).json()["data"]["size"] == 1000


def test_declared_oversize_body_is_refused_before_reading(client: TestClient) -> None:
    answer = client.post("/upload", content=b"x" * 200_000)
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "file_too_large"


def test_streamed_oversize_body_is_cut_off(client: TestClient) -> None:
    def chunks():
        for _ in range(100):
            yield b"x" * 10_000

    answer = client.post("/upload", content=chunks())
    assert answer.status_code == 413
    assert answer.headers["connection"] == "close"


def test_request_id_echoed_or_generated(client: TestClient) -> None:
    assert client.get("/quota", headers={"X-Request-ID": "abc-1"}).headers["x-request-id"] == "abc-1"
    generated = client.get("/quota", headers={"X-Request-ID": "bad id with spaces\n"}).headers["x-request-id"]
    assert len(generated) == 32 and " " not in generated


def test_quota_headers_on_success_and_on_errors(client: TestClient) -> None:
    answer = client.get("/quota")
    assert answer.headers["x-quota-limit-mb"] == "1000.00"
    assert answer.headers["x-quota-used-mb"] == "1.50"
    assert answer.headers["x-quota-remaining-mb"] == "998.50"
    over = client.get("/over")
    assert over.status_code == 429
    assert over.json() == {
        "success": False,
        "error": {
            "code": "quota_exceeded",
            "message": "The monthly quota of this token is used up.",
            "quota_info": {"used_mb": 1000},
        },
    }
    assert over.headers["x-quota-remaining-mb"] == "0.00"


def test_unexpected_errors_are_a_500_envelope_without_details(client: TestClient) -> None:
    answer = client.get("/boom")
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal_error"
    assert "secret" not in answer.text


def test_unknown_route_uses_the_envelope(client: TestClient) -> None:
    answer = client.get("/nope")
    assert answer.status_code == 404 and answer.json()["success"] is False


def test_ietf_ratelimit_fields_with_the_quota_headers(client: TestClient) -> None:
    answer = client.get("/quota")
    assert answer.headers["ratelimit-policy"] == '"monthly";q=1048576000;w=2592000;qu="content-bytes"'
    assert answer.headers["ratelimit"] == '"monthly";r=1046478848'
    over = client.get("/over")
    assert over.headers["ratelimit"] == '"monthly";r=0'
    assert "ratelimit" not in client.get("/items/1").headers  # not authenticated: no quota to tell


def requests_counted(route: str, status: str) -> float:
    labels = {"method": "GET", "route": route, "status": status}
    return record.REGISTRY.get_sample_value("pixpress_http_requests_total", labels) or 0.0


def test_requests_are_counted_by_route_template_not_path(client: TestClient) -> None:
    before = requests_counted("/items/{item_id}", "200")
    unmatched = requests_counted("<unmatched>", "404")
    failed = requests_counted("/boom", "500")
    client.get("/items/abc")
    client.get("/items/def")
    client.get("/nowhere/123")
    client.get("/boom")
    assert requests_counted("/items/{item_id}", "200") == before + 2
    assert requests_counted("<unmatched>", "404") == unmatched + 1
    assert requests_counted("/boom", "500") == failed + 1


def test_a_mounted_app_is_counted_under_its_prefix(client: TestClient) -> None:
    before = requests_counted("/static", "200")
    assert client.get("/static/css/site.css").text == "file"
    assert requests_counted("/static", "200") == before + 1
