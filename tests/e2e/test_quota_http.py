"""Licence-token quotas over HTTP: a real `pixpress serve` talking to the reference licence server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests import hostile
from tests.e2e.server import ServerProcess, free_port, serve

pytestmark = pytest.mark.slow
MB = 1024 * 1024
ADMIN = {"X-Token": "admin-secret-token-0123"}
API_KEY = "licence-api-key"

TOKENS_TOML = """
[tokens."test-token-123"]
quota_mb = 1000
subscription_type = "premium"
expires_at = "2099-12-31T23:59:59Z"

[tokens."test-token-456"]
quota_mb = 1000
subscription_type = "premium"
expires_at = "2099-12-31T23:59:59Z"

[tokens."small-token"]
quota_mb = 50
subscription_type = "basic"
expires_at = "2099-12-31T23:59:59Z"

[tokens."expired-token"]
quota_mb = 1000
subscription_type = "basic"
expires_at = "2020-01-01T00:00:00Z"

[tokens."revoked-token"]
valid = false
quota_mb = 0
"""


def exact_size_png(size_bytes: int, *, variant: int = 0) -> bytes:
    """A real 16x16 PNG padded with a private ancillary chunk to exactly size_bytes; each `variant` has
    other bytes (the same bytes and options from one token are a free re-upload of the first task)."""
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes(v for x in range(16) for v in (x * 16, y * 16, 128)) for y in range(16))
    head = b"\x89PNG\r\n\x1a\n" + hostile.png_chunk(b"IHDR", ihdr)
    idat = hostile.png_chunk(b"IDAT", zlib.compress(raw))
    iend = hostile.png_chunk(b"IEND", b"")
    padding = size_bytes - len(head) - len(idat) - len(iend) - 12
    marker = variant.to_bytes(8, "big")
    return head + hostile.png_chunk(b"prVt", marker + b"\x00" * (padding - len(marker))) + idat + iend


class LicenceServer(ServerProcess):
    def set_mode(self, mode: str) -> None:
        httpx.post(f"{self.url}/_faults", json={"mode": mode}, timeout=5).raise_for_status()

    def calls(self, token: str) -> int:
        stats = httpx.get(f"{self.url}/_stats", timeout=5).json()
        return int(stats.get("requests_by_token", stats).get(token, 0))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, LicenceServer]]:
    tmp = tmp_path_factory.mktemp("quota")
    tokens = tmp / "tokens.toml"
    tokens.write_text(TOKENS_TOML)
    port = free_port()
    licence = LicenceServer(
        ["license-server", "--tokens", str(tokens), "--api-key", API_KEY, "--port", str(port)],
        env={},
        log_path=tmp / "licence.log",
        port=port,
    ).start(ready_path="/_stats")
    api = serve(
        tmp,
        env={
            "PIXPRESS_LICENSE_API_URL": licence.url,
            "PIXPRESS_LICENSE_API_KEY": API_KEY,
            "PIXPRESS_QUOTA_CACHE_TTL_S": "1",
            "PIXPRESS_QUOTA_REFRESH_INTERVAL_S": "2",
            "PIXPRESS_QUOTA_FORCED_REFRESH_INTERVAL_S": "1",
            "PIXPRESS_LICENSE_CIRCUIT_OPEN_S": "1",
        },
    )
    try:
        yield api, licence
    finally:
        api.stop()
        licence.stop()


def headers(token: str) -> dict[str, str]:
    return {"X-Token": token}


def test_the_three_sample_responses(stack: tuple[ServerProcess, LicenceServer]) -> None:
    api, _ = stack
    quota = httpx.get(f"{api.url}/api/optimize/quota", headers=headers("test-token-123")).json()
    assert quota["success"] is True
    assert {
        k: quota["data"][k] for k in ("token", "quota_mb", "used_mb", "remaining_mb", "last_used_at")
    } == {
        "token": "test-token-123",
        "quota_mb": 1000,
        "used_mb": 0,
        "remaining_mb": 1000,
        "last_used_at": None,
    }
    submitted = httpx.post(
        f"{api.url}/api/optimize/submit",
        headers=headers("test-token-456"),
        files={"file": ("one-mb.png", exact_size_png(MB))},
    ).json()
    assert submitted["success"] is True
    assert submitted["data"]["quota_info"] == {"used_mb": 1, "remaining_mb": 999, "limit_mb": 1000}
    reset = httpx.post(
        f"{api.url}/api/optimize/reset-usage", headers=ADMIN, json={"token": "test-token-456"}
    ).json()
    assert reset == {
        "success": True,
        "message": "Usage reset successfully",
        "data": {
            "token": "test-token-456",
            "old_usage_mb": 1,
            "new_usage_mb": 0,
            "quota_mb": 1000,
            "remaining_mb": 1000,
        },
    }
    history = httpx.post(f"{api.url}/api/admin/usage", headers=ADMIN, json={"token": "test-token-456"})
    assert history.status_code == 200 and history.json()["success"] is True


def test_concurrent_submits_at_the_quota_boundary(stack: tuple[ServerProcess, LicenceServer]) -> None:
    api, _ = stack

    def send(i: int) -> int:
        return httpx.post(
            f"{api.url}/api/optimize/submit",
            headers=headers("small-token"),
            files={"file": (f"{i}.png", exact_size_png(MB, variant=i))},
            timeout=120,
        ).status_code

    with ThreadPoolExecutor(max_workers=24) as pool:
        codes = list(pool.map(send, range(200)))
    assert codes.count(200) == 50, codes
    assert codes.count(429) == 150
    quota = httpx.get(f"{api.url}/api/optimize/quota", headers=headers("small-token")).json()["data"]
    assert quota["used_mb"] == 50.0 and quota["remaining_mb"] == 0


def test_quota_exceeded_carries_quota_info(stack: tuple[ServerProcess, LicenceServer]) -> None:
    api, _ = stack
    answer = httpx.post(
        f"{api.url}/api/optimize/submit",
        headers=headers("small-token"),
        files={"file": ("x.png", exact_size_png(MB))},
    )
    if answer.status_code == 200:  # the boundary test may not have run first
        return
    assert answer.status_code == 429
    error = answer.json()["error"]
    assert error["code"] == "quota_exceeded" and set(error["quota_info"]) == {
        "used_mb",
        "remaining_mb",
        "limit_mb",
    }


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [
        ("expired-token", 403, "subscription_expired"),
        ("revoked-token", 401, "invalid_token"),
        ("nobody-knows-me", 401, "invalid_token"),
    ],
)
def test_refused_tokens(
    stack: tuple[ServerProcess, LicenceServer], token: str, status: int, code: str
) -> None:
    api, _ = stack
    answer = httpx.get(f"{api.url}/api/optimize/quota", headers=headers(token))
    assert answer.status_code == status and answer.json()["error"]["code"] == code


def test_admin_calls_need_an_admin_token(stack: tuple[ServerProcess, LicenceServer]) -> None:
    api, _ = stack
    answer = httpx.post(
        f"{api.url}/api/optimize/reset-usage",
        headers=headers("test-token-123"),
        json={"token": "test-token-123"},
    )
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "admin_required"


def test_licence_server_down_known_token_keeps_working(
    stack: tuple[ServerProcess, LicenceServer], corpus: Path
) -> None:
    api, licence = stack
    assert httpx.get(f"{api.url}/api/optimize/quota", headers=headers("test-token-123")).status_code == 200
    licence.set_mode("error")
    try:
        time.sleep(2.5)  # past the cache TTL and the refresh interval
        known = httpx.get(f"{api.url}/api/optimize/quota", headers=headers("test-token-123"))
        assert known.status_code == 200 and known.json()["data"]["source"] == "database_fallback"
        submit = httpx.post(
            f"{api.url}/api/optimize/submit",
            headers=headers("test-token-123"),
            files={"file": ("logo.png", (corpus / "graphic" / "logo.png").read_bytes())},
        )
        assert submit.status_code == 200
        unknown = httpx.get(f"{api.url}/api/optimize/quota", headers=headers("test-token-never-seen"))
        assert unknown.status_code == 503 and unknown.json()["error"]["code"] == "license_server_unavailable"
    finally:
        licence.set_mode("ok")
    deadline = time.monotonic() + 15
    while True:
        answer = httpx.post(f"{api.url}/api/optimize/refresh-quota", headers=headers("test-token-123"))
        if answer.status_code == 200 and answer.json()["data"]["source"] == "license_api":
            break
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.5)


def test_the_documented_curl_reset_works_as_written(stack: tuple[ServerProcess, LicenceServer]) -> None:
    """What `curl -X POST .../reset-usage -H "X-Token: ..." -d '{"token": ...}'` sends, byte for byte:
    no Content-Type given, curl labels the JSON application/x-www-form-urlencoded."""
    api, _ = stack
    answer = httpx.post(
        f"{api.url}/api/optimize/reset-usage",
        content=b'{"token": "test-token-123"}',
        headers={
            "X-Token": ADMIN["X-Token"],
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "curl/7.88.1",
            "Accept": "*/*",
        },
        timeout=30,
    ).json()
    assert answer["success"] is True and answer["message"] == "Usage reset successfully", answer
    assert answer["data"]["token"] == "test-token-123"
