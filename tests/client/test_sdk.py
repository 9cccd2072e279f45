"""The SDK's retry and error policy, on httpx.MockTransport."""

from __future__ import annotations

import httpx
import pytest

from pixpress.client import (
    AuthError,
    Client,
    ConnectionFailed,
    QuotaExceededError,
    RateLimitedError,
    ServerUnavailableError,
)


def error(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, json={"success": False, "error": {"code": code, "message": code}}, headers=headers
    )


def submitted(task_id: str = "t1") -> httpx.Response:
    quota = {"used_mb": 1, "remaining_mb": 9, "limit_mb": 10}
    return httpx.Response(
        200, json={"success": True, "data": {"task_id": task_id, "status": "queued", "quota_info": quota}}
    )


def client_with(responses: list[httpx.Response], seen: list[httpx.Request], sleeps: list[float]) -> Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return responses.pop(0)

    return Client("http://pixpress.test", "tok", transport=httpx.MockTransport(handler), sleep=sleeps.append)


def test_retries_honour_retry_after_and_reuse_the_idempotency_key() -> None:
    seen: list[httpx.Request] = []
    sleeps: list[float] = []
    client = client_with(
        [
            error(429, "too_many_pending", {"Retry-After": "3"}),
            error(503, "license_server_unavailable"),
            submitted(),
        ],
        seen,
        sleeps,
    )
    result = client.submit(b"\x89PNG\r\n\x1a\n", filename="a.png", mode="glossy")
    assert result.task_id == "t1" and result.quota is not None and result.quota.remaining_mb == 9
    assert sleeps[0] == 3
    keys = {request.headers["idempotency-key"] for request in seen}
    assert len(seen) == 3 and len(keys) == 1
    assert all(request.headers["x-token"] == "tok" for request in seen)


def test_quota_exceeded_is_never_retried() -> None:
    seen: list[httpx.Request] = []
    client = client_with([error(429, "quota_exceeded")], seen, [])
    with pytest.raises(QuotaExceededError) as raised:
        client.submit(b"x", filename="a.png")
    assert raised.value.code == "quota_exceeded" and raised.value.status == 429
    assert len(seen) == 1


def test_retries_are_bounded() -> None:
    seen: list[httpx.Request] = []
    sleeps: list[float] = []
    client = client_with([error(429, "rate_limited", {"Retry-After": "1"}) for _ in range(10)], seen, sleeps)
    with pytest.raises(RateLimitedError):
        client.quota()
    assert len(seen) == client.retry.max_attempts


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (401, "invalid_token", AuthError),
        (403, "admin_required", AuthError),
        (500, "internal_error", ServerUnavailableError),
    ],
)
def test_typed_errors_carry_the_code(status: int, code: str, kind: type) -> None:
    client = client_with([error(status, code)] * 10, [], [])
    with pytest.raises(kind) as raised:
        client.quota()
    assert raised.value.code == code


def test_unreachable_server_is_a_connection_error() -> None:
    client = Client("http://127.0.0.1:9", "tok", timeout_s=1, sleep=lambda _s: None)
    with pytest.raises(ConnectionFailed) as raised:
        client.quota()
    assert "cannot reach" in raised.value.message


def test_unknown_option_is_refused_locally() -> None:
    client = client_with([], [], [])
    with pytest.raises(TypeError):
        client.submit(b"x", colour="red")
