"""The whole app in process (create_app + TestClient) on SQLite, the embedded queue and a tokens file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pixpress.app import create_app
from pixpress.config import Settings
from pixpress.container import Container
from tests.storage.conftest import make_s3_storage, s3_bucket, s3_client, s3_endpoint

# moto's S3 server fixtures, for the download route on the S3 backend.
__all__ = ["make_s3_storage", "s3_bucket", "s3_client", "s3_endpoint"]

ADMIN_TOKEN = "admin-token-0123456789"
SITE_TOKEN = "site-token-0123456789"
ADMIN = {"X-Token": ADMIN_TOKEN}
SITE = {"X-Token": SITE_TOKEN}


@pytest.fixture
def api_settings(settings: Settings, tmp_path: Path) -> Settings:
    tokens = tmp_path / "tokens.toml"
    tokens.write_text(f'[tokens."{SITE_TOKEN}"]\nquota_mb = 100\n')
    return settings.model_copy(
        update={
            "tokens_file": tokens,
            "admin_tokens": ADMIN_TOKEN,
            "storage_url": "memory://",
            "failed_token_checks_per_minute": 3,
        }
    )


@pytest.fixture
def make_client() -> Iterator[Callable[..., TestClient]]:
    """A started app (lifespan run) per call: `make_client(settings, storage=...)`; all stopped afterwards."""
    started: list[TestClient] = []

    def make(settings: Settings, **overrides: Any) -> TestClient:
        container = Container(settings)
        for name, value in overrides.items():  # e.g. storage=...: replaces the container's own
            setattr(container, name, value)
        client = TestClient(create_app(settings, container=container), client=("203.0.113.9", 50000))
        started.append(client.__enter__())
        return client

    yield make
    for client in started:
        client.__exit__(None, None, None)


@pytest.fixture
def client(api_settings: Settings, make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(api_settings)


@pytest.fixture(autouse=True)
def _one_rate_window(frozen_rate_window: float) -> None:
    """Failed-check counts of a test stay in one one-minute window (tests/conftest.py)."""
