"""The app with the dashboard on (create_app + TestClient), and a signed-in client."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pixpress.config import Settings
from tests.api.conftest import make_client

__all__ = ["make_client"]

ADMIN_TOKEN = "admin-token-0123456789"
SITE_TOKEN = "site-token-0123456789"
OTHER_TOKEN = "other-site-token-0123"
SECRET = "dashboard-secret-0123456789-abcdefghij"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def dash_settings(settings: Settings, tmp_path: Path) -> Settings:
    tokens = tmp_path / "tokens.toml"
    tokens.write_text(
        f'[tokens."{SITE_TOKEN}"]\nquota_mb = 100\nsubscription_type = "premium"\n'
        f'expires_at = "2099-12-31T23:59:59Z"\n\n[tokens."{OTHER_TOKEN}"]\nquota_mb = 5\n'
    )
    return settings.model_copy(
        update={
            "tokens_file": tokens,
            "admin_tokens": ADMIN_TOKEN,
            "storage_url": "memory://",
            "failed_token_checks_per_minute": 3,
            "dashboard_enabled": True,
            "dashboard_secret": SECRET,
        }
    )


@pytest.fixture
def client(dash_settings: Settings, make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(dash_settings)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def sign_in(client: TestClient, token: str = ADMIN_TOKEN) -> str:
    """Sign in through the form; the CSRF token of the new session."""
    form = client.get("/admin/login")
    answer = client.post(
        "/admin/login", data={"csrf_token": csrf_of(form.text), "token": token}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/admin", answer.text
    return csrf_of(client.get("/admin").text)


@pytest.fixture(autouse=True)
def _one_rate_window(frozen_rate_window: float) -> None:
    """Failed-check counts of a test stay in one one-minute window (tests/conftest.py)."""
