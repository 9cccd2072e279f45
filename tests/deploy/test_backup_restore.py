"""Backup and restore: pg_dump of the database and a copy of the bucket taken from the running
topology, restored into a fresh topology (its own ports and folders) before its pixpress starts; an
earlier result downloads from the restored topology, byte for byte."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from scripts.deploy_local.backup import backup, restore
from scripts.deploy_local.topology import Topology

from scripts.deploy_local import topology as deploy
from tests.deploy.conftest import client, record_figures, small_photos

TOKEN = "site-load-token-0001"


@pytest.fixture
def restored_run_dir() -> Iterator[Path]:
    # Not under pytest's tmp_path (mode 0700): PostgreSQL runs as its own user and must reach its folder.
    run_dir = Path(tempfile.mkdtemp(prefix="pixpress-restored-"))
    run_dir.chmod(0o755)
    yield run_dir
    deploy.down(run_dir, purge=True)


def test_restore_into_a_fresh_topology(top: Topology, tmp_path: Path, restored_run_dir: Path) -> None:
    with client(top) as http:
        submitted = http.post(
            "/api/optimize/submit?wait=30",
            headers={"X-Token": TOKEN},
            files={"file": ("before-backup.jpg", small_photos(1, seed=23)[0])},
        )
        assert submitted.status_code == 200 and submitted.json()["data"]["status"] == "done", submitted.text
        task_id = submitted.json()["data"]["task_id"]
        original = http.get(f"/api/optimize/download/{task_id}", headers={"X-Token": TOKEN})
        assert original.status_code == 200
        used_mb = http.get("/api/optimize/quota", headers={"X-Token": TOKEN}).json()["data"]["used_mb"]

    began = time.monotonic()
    dump_bytes, objects = backup(top, tmp_path / "backup")
    backed_up_s = time.monotonic() - began
    put: list[int] = []
    began = time.monotonic()
    fresh = deploy.up(
        restored_run_dir, before_pixpress=lambda fresh: put.append(restore(fresh, tmp_path / "backup"))
    )
    restored_s = time.monotonic() - began
    assert fresh.ports["https"] != top.ports["https"]
    assert put == [objects]

    with client(fresh) as http:
        status = http.get(f"/api/optimize/status/{task_id}", headers={"X-Token": TOKEN})
        assert status.status_code == 200 and status.json()["data"]["status"] == "done"
        assert status.json()["data"]["download_url"].startswith(fresh.url)
        download = http.get(f"/api/optimize/download/{task_id}", headers={"X-Token": TOKEN})
        assert download.status_code == 200 and download.content == original.content
        quota = http.get("/api/optimize/quota", headers={"X-Token": TOKEN}).json()["data"]
        assert quota["used_mb"] == used_mb
    assert "ledger ok" in deploy.pixpress_command(fresh, "admin", "check-ledger").stdout
    record_figures(
        "backup-restore",
        f"backup: pg_dump -Fc {dump_bytes / 1024:.0f} KB and {objects} files of the bucket "
        f"in {backed_up_s:.1f} s; a fresh topology up with them restored in {restored_s:.1f} s; the earlier "
        "result downloaded from it byte for byte, the token's usage and the ledger as before",
    )
