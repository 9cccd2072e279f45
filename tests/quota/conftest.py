"""A real reference licence server on loopback, run in a thread, for the quota tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from pixpress.config import Settings
from pixpress.db.session import Database
from pixpress.license_server import FaultSwitch, create_license_app
from pixpress.quota import QuotaService
from tests.e2e.server import free_port

API_KEY = "test-licence-key"
TOKENS = """
[tokens."premium-token"]
quota_mb = 5000
subscription_type = "premium"
expires_at = "2099-12-31T23:59:59Z"

[tokens."small-token"]
quota_mb = 50
subscription_type = "basic"

[tokens."expired-token"]
quota_mb = 100
expires_at = "2020-01-01T00:00:00Z"

[tokens."revoked-token"]
valid = false
"""


@dataclass
class LicenceServer:
    url: str
    faults: FaultSwitch
    tokens_file: Path
    server: uvicorn.Server
    thread: threading.Thread

    def calls(self, token: str | None = None) -> int:
        stats = httpx.get(f"{self.url}/_stats").json()
        return int(stats["requests"] if token is None else stats["requests_by_token"].get(token, 0))

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def write_tokens(self, text: str) -> None:
        self.tokens_file.write_text(text)
        # mtime granularity: make sure the change is seen
        later = time.time() + 2
        import os

        os.utime(self.tokens_file, (later, later))


def start_licence_server(tokens_file: Path, port: int | None = None) -> LicenceServer:
    faults = FaultSwitch()
    port = port or free_port()
    config = uvicorn.Config(
        create_license_app(tokens_file, API_KEY, faults), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "licence server did not start"
        time.sleep(0.02)
    return LicenceServer(f"http://127.0.0.1:{port}", faults, tokens_file, server, thread)


@pytest.fixture
def licence_server(tmp_path: Path) -> Iterator[LicenceServer]:
    tokens = tmp_path / "tokens.toml"
    tokens.write_text(TOKENS)
    server = start_licence_server(tokens)
    yield server
    server.stop()


@pytest.fixture
def quota_settings(settings: Settings, licence_server: LicenceServer) -> Settings:
    return settings.model_copy(
        update={
            "license_api_url": licence_server.url,
            "license_api_key": API_KEY,
            "license_circuit_open_s": 0.3,
            "admin_tokens": "admin-token-0123456789",
            # Most tests here force re-checks back to back; test_refresh_limit.py tests the limit itself.
            "quota_forced_refresh_interval_s": 0,
        }
    )


@pytest.fixture
def make_service(database: Database) -> Iterator[Callable[[Settings], QuotaService]]:
    """QuotaServices on the test database, closed after the test (each holds an HTTP client)."""
    made: list[QuotaService] = []

    def make(settings: Settings) -> QuotaService:
        made.append(QuotaService(settings=settings, database=database))
        return made[-1]

    yield make
    for service in made:
        service.close()


@pytest.fixture
def service(quota_settings: Settings, make_service: Callable[[Settings], QuotaService]) -> QuotaService:
    return make_service(quota_settings)


@pytest.fixture(autouse=True)
def _one_rate_window(frozen_rate_window: float) -> None:
    """Failed-check counts of a test stay in one one-minute window (tests/conftest.py)."""
