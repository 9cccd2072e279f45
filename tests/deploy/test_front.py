"""nginx in front: the quota contract and the admin reset call of the system pixpress replaces, TLS, the
body limit, and the client's address as pixpress sees it (a forged X-Forwarded-For is not believed)."""

from __future__ import annotations

import itertools

import httpx
import pytest
from scripts.deploy_local.topology import Topology

from tests.conftest import wait_for_a_fresh_minute
from tests.deploy.conftest import client, small_photos
from tests.e2e.test_quota_http import exact_size_png

MB = 1024 * 1024
SMALL = "site-small-token-001"  # 5 MB a month at the reference licence server
RESET = "site-reset-token-001"
FAILED_CHECKS_PER_MINUTE = 20  # PIXPRESS_FAILED_TOKEN_CHECKS_PER_MINUTE's default


def test_quota_contract_through_nginx(top: Topology, front: httpx.Client) -> None:
    before = front.get("/api/optimize/quota", headers={"X-Token": SMALL}).json()
    assert before["success"] is True
    assert {"token", "quota_mb", "used_mb", "remaining_mb", "last_used_at"} <= set(before["data"])
    assert before["data"]["quota_mb"] == 5
    start_used = before["data"]["used_mb"]
    answers = [  # two different files: the same bytes again would be a free re-upload of the first
        front.post(
            "/api/optimize/submit",
            headers={"X-Token": SMALL},
            files={"file": (f"{i}.png", exact_size_png(3 * MB, variant=i))},
        )
        for i in range(2)
    ]
    if start_used == 0:
        assert answers[0].status_code == 200, answers[0].text
        assert answers[0].json()["data"]["quota_info"] == {"used_mb": 3, "remaining_mb": 2, "limit_mb": 5}
    refused = answers[1].json()
    assert answers[1].status_code == 429 and refused["error"]["code"] == "quota_exceeded"


def test_the_admin_reset_call_through_nginx(top: Topology, front: httpx.Client) -> None:
    photo = small_photos(1)[0]
    submitted = front.post(
        "/api/optimize/submit", headers={"X-Token": RESET}, files={"file": ("p.jpg", photo)}
    )
    assert submitted.status_code == 200, submitted.text
    used_mb = submitted.json()["data"]["quota_info"]["used_mb"]
    reset = front.post(
        "/api/optimize/reset-usage", headers={"X-Token": top.admin_token}, json={"token": RESET}
    )
    assert reset.status_code == 200, reset.text
    body = reset.json()
    assert body["success"] is True and body["message"] == "Usage reset successfully"
    assert body["data"]["token"] == RESET and body["data"]["old_usage_mb"] == used_mb
    assert body["data"]["new_usage_mb"] == 0 and body["data"]["remaining_mb"] == body["data"]["quota_mb"]
    not_admin = front.post("/api/optimize/reset-usage", headers={"X-Token": RESET}, json={"token": RESET})
    assert not_admin.status_code == 403 and not_admin.json()["error"]["code"] == "admin_required"


def test_tls_only_and_the_body_limit(top: Topology, front: httpx.Client) -> None:
    with pytest.raises(httpx.ConnectError):  # a certificate nobody signed is refused...
        httpx.get(f"{top.url}/health", timeout=5)
    assert front.get("/health").status_code == 200  # ...and accepted when it is the one we trust
    plain = httpx.get(top.url.replace("https://", "http://") + "/health", timeout=5)
    assert plain.status_code == 400  # nginx: a plain HTTP request sent to the HTTPS port
    too_big = front.post(
        "/api/optimize/submit", headers={"X-Token": SMALL}, files={"file": ("big.png", b"\0" * (27 * MB))}
    )
    assert too_big.status_code == 413  # nginx's client_max_body_size, before pixpress reads anything


def test_the_client_address_is_the_one_nginx_saw(top: Topology) -> None:
    """Wrong tokens from 127.0.0.2, each with a different forged X-Forwarded-For, are all counted for
    127.0.0.2: it is limited. 127.0.0.3 is not: pixpress does not see every client as nginx."""
    wait_for_a_fresh_minute()
    forged = (f"203.0.113.{i}" for i in itertools.count(1))
    with client(top, "127.0.0.2") as guesser, client(top, "127.0.0.3") as bystander:
        statuses = []
        for attempt in range(2 * FAILED_CHECKS_PER_MINUTE + 2):
            answer = guesser.get(
                "/api/optimize/quota",
                headers={"X-Token": f"guess-{attempt}", "X-Forwarded-For": next(forged)},
            )
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                break
        assert statuses[-1] == 429 and set(statuses[:-1]) == {401}, statuses
        assert len(statuses) > FAILED_CHECKS_PER_MINUTE
        limited = guesser.get(
            "/api/optimize/quota", headers={"X-Token": "guess-x", "X-Forwarded-For": "198.51.100.7"}
        )
        assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
        other = bystander.get("/api/optimize/quota", headers={"X-Token": "guess-y"})
        assert other.status_code == 401 and other.json()["error"]["code"] == "invalid_token"
        # A site whose token is valid is never refused for its address's failures.
        valid = guesser.get("/api/optimize/quota", headers={"X-Token": RESET})
        assert valid.status_code == 200
