"""The scheduled reset in a real `pixpress serve`: its worker's leader job closes a token's period once,
on a clock that PIXPRESS_TEST_NOW (tests only) starts far in the future, past the token's anniversary."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.server import ServerProcess, serve
from tests.e2e.test_quota_http import exact_size_png

pytestmark = pytest.mark.slow
ADMIN = {"X-Token": "admin-secret-token-0123"}
SITE = {"X-Token": "site-token-reset-e2e"}
SIZE_BYTES = 300_000


def upload(server: ServerProcess, *, variant: int = 0) -> None:
    files = {"file": ("a.png", exact_size_png(SIZE_BYTES, variant=variant), "image/png")}
    answer = httpx.post(f"{server.url}/api/optimize/submit", headers=SITE, files=files, timeout=30)
    assert answer.status_code == 200, answer.text


def usage(server: ServerProcess) -> dict[str, Any]:
    answer = httpx.post(
        f"{server.url}/api/admin/usage", headers=ADMIN, json={"token": SITE["X-Token"]}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


def test_a_real_worker_closes_the_period_once_on_its_anniversary(tmp_path: Path) -> None:
    env = {
        "PIXPRESS_RESET_SCHEDULE": "anniversary",
        "PIXPRESS_RESET_CHECK_INTERVAL_S": "0.5",
        "PIXPRESS_TEST_NOW": "2099-06-15T12:00:00Z",
    }
    server = serve(tmp_path, env=env)
    try:
        upload(server)  # the first charge, today: every month since is an anniversary by 2099
        deadline = time.monotonic() + 30
        while not (data := usage(server))["statements"]:
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.2)
        [statement] = data["statements"]
        assert (statement["charged_bytes"], statement["uploads"], statement["closed_by"]) == (
            SIZE_BYTES,
            1,
            "schedule",
        )
        assert statement["due_at"].startswith("2099-0") and statement["period_ended_at"].startswith(
            "2099-06-15"
        )
        assert data["used_mb"] == 0 and data["reset_schedule"] == "anniversary"

        upload(server, variant=1)  # charged in the new period, which is not due until next month
        time.sleep(3)  # several checks of the job
        data = usage(server)
        assert len(data["statements"]) == 1
        assert data["used_mb"] == round(SIZE_BYTES / 1024 / 1024, 2)
    finally:
        server.stop()
