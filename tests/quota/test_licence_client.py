"""Edge cases of the licence-server answer, on httpx.MockTransport (fast, no server)."""

from __future__ import annotations

import json

import httpx
import pytest

from pixpress.quota.licence_client import LicenceClient, LicenceServerFailed


def client_answering(handler) -> LicenceClient:  # type: ignore[no-untyped-def]
    return LicenceClient(
        base_url="http://licence.test/",
        api_key="k",
        timeout_s=2,
        client=httpx.Client(transport=httpx.MockTransport(handler)),
    )


def test_sends_the_contract() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "valid": True,
                "quota_mb": 5000,
                "subscription_type": "premium",
                "expires_at": "2025-12-31T23:59:59Z",
            },
        )

    answer = client_answering(handler).check("tok")
    assert answer.valid and answer.quota_mb == 5000 and answer.expires_at is not None
    assert str(seen[0].url) == "http://licence.test/user-quota"
    assert seen[0].headers["authorization"] == "Bearer k"
    assert json.loads(seen[0].content) == {"token": "tok"}


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>"),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, json={"valid": "yes"}),
        httpx.Response(200, json={"valid": True, "quota_mb": -5}),
        httpx.Response(200, json={"valid": True, "quota_mb": "lots"}),
        httpx.Response(200, json={"valid": True, "quota_mb": 10, "expires_at": "soon"}),
        httpx.Response(500, json={"error": "x"}),
        httpx.Response(401, json={"error": "bad key"}),
        httpx.Response(404, html="<html><h1>Not Found</h1></html>"),
        httpx.Response(404, json={"error": "not found"}),
        httpx.Response(404, json={"valid": True, "quota_mb": 10}),
        httpx.Response(200, content=b'{"valid": false}', headers={"content-type": "text/html"}),
        httpx.Response(200, content=b'{"valid": false}'),  # no content type at all
        httpx.Response(200, json={"status": "ok"}),
        httpx.Response(502, html="<html>Bad Gateway</html>"),
    ],
)
def test_nonsense_is_a_server_failure_not_an_invalid_token(response: httpx.Response) -> None:
    with pytest.raises(LicenceServerFailed):
        client_answering(lambda _request: response).check("tok")


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, json={"valid": False}),
        httpx.Response(404, json={"valid": False}),  # some servers answer an unknown token so
        httpx.Response(
            200, content=b'{"valid": false}', headers={"content-type": "application/json; charset=utf-8"}
        ),
    ],
)
def test_valid_false_in_well_formed_json_is_an_answer(response: httpx.Response) -> None:
    assert not client_answering(lambda _r: response).check("tok").valid


def test_one_retry_on_connection_error() -> None:
    attempts = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"valid": True, "quota_mb": 1})

    assert client_answering(handler).check("tok").quota_mb == 1
    assert attempts == 2
