"""The failed-token limit over HTTP: a real `pixpress serve` deciding who the client is."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import wait_for_a_fresh_minute
from tests.e2e.server import ServerProcess, free_port

pytestmark = pytest.mark.slow
LIMIT = 3
SITE_TOKEN = "site-token-0123456789"
TOKENS = f'[tokens."{SITE_TOKEN}"]\nquota_mb = 100\n'


def start(tmp_path: Path, env: dict[str, str]) -> ServerProcess:
    tokens = tmp_path / "tokens.toml"
    tokens.write_text(TOKENS)
    port = free_port()
    server = ServerProcess(
        ["serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
        env={
            "PIXPRESS_ENVIRONMENT": "test",
            "PIXPRESS_DATA_DIR": str(tmp_path / "data"),
            "PIXPRESS_TOKENS_FILE": str(tokens),
            "PIXPRESS_FAILED_TOKEN_CHECKS_PER_MINUTE": str(LIMIT),
            **env,
        },
        log_path=tmp_path / "serve.log",
        port=port,
    )
    return server.start()


@pytest.fixture
def untrusting(tmp_path: Path) -> Iterator[ServerProcess]:
    # The old deploy/docker-compose.yml setting: must no longer make X-Forwarded-For believed.
    server = start(tmp_path, {"FORWARDED_ALLOW_IPS": "*"})
    yield server
    server.stop()


@pytest.fixture
def behind_balancer(tmp_path: Path) -> Iterator[ServerProcess]:
    server = start(tmp_path, {"PIXPRESS_TRUSTED_PROXIES": "127.0.0.1"})
    yield server
    server.stop()


def quota(server: ServerProcess, token: str, forwarded_for: str) -> httpx.Response:
    headers = {"X-Token": token, "X-Forwarded-For": forwarded_for}
    return httpx.get(f"{server.url}/api/optimize/quota", headers=headers, timeout=10)


def guess_until_limited(server: ServerProcess, forwarded_for: Iterator[str]) -> int:
    """Wrong tokens until 429; twice the limit allows for a minute window turning over meanwhile."""
    for attempt in range(2 * LIMIT + 2):
        status = quota(server, f"guess-{attempt}", next(forwarded_for)).status_code
        if status == 429:
            return attempt
        assert status == 401
    raise AssertionError("guessing was never limited")


def test_a_fresh_forwarded_address_per_request_does_not_escape_the_limit(untrusting: ServerProcess) -> None:
    wait_for_a_fresh_minute()
    spoofed = (f"203.0.113.{i}" for i in itertools.count(1))
    assert guess_until_limited(untrusting, spoofed) >= LIMIT
    refused = quota(untrusting, "guess-x", "198.51.100.99")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


def test_behind_a_trusted_balancer_the_address_it_saw_is_counted(behind_balancer: ServerProcess) -> None:
    site = "203.0.113.9"
    wait_for_a_fresh_minute()
    assert quota(behind_balancer, SITE_TOKEN, site).status_code == 200
    # Someone elsewhere writes the site's address before the one the balancer appends: counted as himself.
    guess_until_limited(behind_balancer, itertools.repeat(f"{site}, 198.51.100.7"))
    assert quota(behind_balancer, "guess-x", site).status_code == 401
    # Someone behind the site's own address fails in its name: its valid token still works.
    guess_until_limited(behind_balancer, itertools.repeat(site))
    answer = quota(behind_balancer, SITE_TOKEN, site)
    assert answer.status_code == 200 and answer.json()["data"]["quota_mb"] == 100
