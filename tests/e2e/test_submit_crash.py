"""A real `pixpress serve` killed in the middle of a submit: no money goes missing.

PIXPRESS_TEST_FAULT=kill_after_charge makes the API process os._exit() right after the upload is charged
(inside the submit's unit of work, before its commit). After a restart: no charge without a task, the used
bytes equal the tasks' charges, the upload's orphan blob is swept by the cleanup, and the ledger checks out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.e2e.server import serve
from tests.e2e.test_quota_http import exact_size_png

pytestmark = pytest.mark.slow
TOKEN = "site-token-crash-test"
MB = 1024 * 1024


def submit(url: str, data: bytes) -> httpx.Response:
    files = {"file": ("one-mb.png", data, "image/png")}
    return httpx.post(f"{url}/api/optimize/submit", headers={"X-Token": TOKEN}, files=files, timeout=30)


def money(data_dir: Path) -> dict[str, int]:
    """The token's used bytes, its tasks' charges, and charges that have neither task nor refund."""
    engine = create_engine(f"sqlite:///{data_dir / 'pixpress.db'}")
    try:
        with engine.connect() as conn:
            used = conn.execute(text("SELECT COALESCE(SUM(used_bytes), 0) FROM licences")).scalar_one()
            tasks = conn.execute(text("SELECT COALESCE(SUM(charged_bytes), 0) FROM tasks")).scalar_one()
            lost = conn.execute(
                text(
                    "SELECT COUNT(*) FROM usage_ledger c WHERE c.kind = 'charge'"
                    " AND c.task_id NOT IN (SELECT id FROM tasks)"
                    " AND c.task_id NOT IN (SELECT task_id FROM usage_ledger WHERE kind = 'refund')"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return {"used_bytes": int(used), "task_bytes": int(tasks), "charges_without_task": int(lost)}


def input_blobs(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "files").glob("*/*/input"))


def pixpress(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pixpress", *args],
        env={
            **os.environ,
            "PIXPRESS_ENVIRONMENT": "test",
            "PIXPRESS_DATA_DIR": str(tmp_path / "data"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_api_process_killed_after_the_charge_loses_no_money(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    crashing = serve(tmp_path, env={"PIXPRESS_TEST_FAULT": "kill_after_charge"})
    try:
        with pytest.raises(httpx.TransportError):  # the process died mid-request
            submit(crashing.url, exact_size_png(MB))
        assert crashing.process is not None
        assert crashing.process.wait(30) == 137, crashing.log()
    finally:
        crashing.stop()

    api = serve(tmp_path)
    try:
        after_crash = money(data_dir)
        assert after_crash["charges_without_task"] == 0, after_crash
        assert after_crash["used_bytes"] == after_crash["task_bytes"], after_crash
        assert len(input_blobs(data_dir)) == 1  # the upload was written before the unit of work

        swept = pixpress(tmp_path, "cleanup", PIXPRESS_ORPHAN_BLOB_GRACE_S="0")
        assert swept.returncode == 0, swept.stdout + swept.stderr
        assert input_blobs(data_dir) == []

        assert submit(api.url, exact_size_png(MB)).status_code == 200  # the server works on
        after_submit = money(data_dir)
        assert after_submit["used_bytes"] == after_submit["task_bytes"] == MB, after_submit
        checked = pixpress(tmp_path, "admin", "check-ledger")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "ledger ok" in checked.stdout
    finally:
        api.stop()
