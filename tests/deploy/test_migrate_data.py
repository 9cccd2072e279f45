"""From the embedded default to this topology with existing data: a one-machine `pixpress serve`
(SQLite and files) gets uploads, is stopped, and `pixpress migrate-data` moves its rows and files into a
fresh topology before that topology's pixpress starts; the results made on one machine download through
the topology's nginx, the token's usage carries over, the ledger checks."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from scripts.deploy_local.topology import Topology

from scripts.deploy_local import topology as deploy
from tests.deploy.conftest import client, record_figures, small_photos
from tests.e2e.server import serve

TOKEN = "site-load-token-0001"


@pytest.fixture
def fresh_run_dir() -> Iterator[Path]:
    run_dir = Path(tempfile.mkdtemp(prefix="pixpress-migrated-"))
    run_dir.chmod(0o755)  # PostgreSQL runs as its own user
    yield run_dir
    deploy.down(run_dir, purge=True)


def test_one_machine_data_moves_into_the_topology(top: Topology, tmp_path: Path, fresh_run_dir: Path) -> None:
    one_machine = serve(
        tmp_path,
        env={
            "PIXPRESS_LICENSE_API_URL": f"http://127.0.0.1:{top.ports['licence']}",
            "PIXPRESS_LICENSE_API_KEY": top.licence_key,
        },
    )
    results = {}
    try:
        for photo in small_photos(3, seed=31):
            answer = httpx.post(
                f"{one_machine.url}/api/optimize/submit?wait=30",
                headers={"X-Token": TOKEN},
                files={"file": ("p.jpg", photo)},
                timeout=60,
            )
            assert answer.status_code == 200 and answer.json()["data"]["status"] == "done", answer.text
            task_id = answer.json()["data"]["task_id"]
            results[task_id] = httpx.get(
                f"{one_machine.url}/api/optimize/download/{task_id}", headers={"X-Token": TOKEN}
            ).content
        used_mb = httpx.get(f"{one_machine.url}/api/optimize/quota", headers={"X-Token": TOKEN}).json()[
            "data"
        ]["used_mb"]
    finally:
        one_machine.stop()  # every pixpress process stopped before the move

    outputs: list[str] = []

    def move(fresh: Topology) -> None:
        moved = deploy.pixpress_command(fresh, "migrate-data", "--from-data-dir", str(tmp_path / "data"))
        outputs.append(moved.stdout.strip())

    fresh = deploy.up(fresh_run_dir, before_pixpress=move)
    with client(fresh) as http:
        for task_id, content in results.items():
            download = http.get(f"/api/optimize/download/{task_id}", headers={"X-Token": TOKEN})
            assert download.status_code == 200 and download.content == content
        quota = http.get("/api/optimize/quota", headers={"X-Token": TOKEN}).json()["data"]
        assert quota["used_mb"] == used_mb
        more = http.post(
            "/api/optimize/submit?wait=30",
            headers={"X-Token": TOKEN},
            files={"file": ("after.jpg", small_photos(1, seed=41)[0])},
        )
        assert more.status_code == 200 and more.json()["data"]["status"] == "done", more.text
    assert "ledger ok" in deploy.pixpress_command(fresh, "admin", "check-ledger").stdout
    record_figures(
        "migrate-data", f"pixpress migrate-data from a one-machine data dir: {' / '.join(outputs)}"
    )
