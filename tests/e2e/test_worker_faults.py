"""A worker killed mid-task (kill -9) does not leave its task in processing forever; results expire."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
import pyvips

from tests.e2e.server import ServerProcess, serve
from tests.e2e.test_service import TOKEN, submit, wait_done

pytestmark = pytest.mark.slow


def big_photo(corpus: Path, megapixels: float = 40) -> bytes:
    """A large real photo (a corpus JPEG enlarged), slow enough to kill its worker mid-task."""
    source = pyvips.Image.new_from_buffer(
        (corpus / "photo" / "dog_exif_extended_xmp_icc.jpg").read_bytes(), ""
    )
    scale = (megapixels * 1e6 / (source.width * source.height)) ** 0.5
    return bytes(source.resize(scale).jpegsave_buffer(Q=92))


def worker_processes(server: ServerProcess) -> list[int]:
    """The Huey worker processes: descendants of the consumer, the API's only child."""
    return [pid for pid in server.descendants() if _parent(pid) != server.process.pid]  # type: ignore[union-attr]


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_killed_worker_task_is_retried_and_finishes_once(tmp_path: Path, corpus: Path) -> None:
    server = serve(tmp_path, env={"PIXPRESS_TASK_LEASE_S": "3", "PIXPRESS_LEASE_CHECK_INTERVAL_S": "1"})
    try:
        task_id = submit(server, big_photo(corpus), filename="big.jpg").json()["data"]["task_id"]
        deadline = time.monotonic() + 30
        while (
            httpx.get(f"{server.url}/api/optimize/status/{task_id}", headers=TOKEN).json()["data"]["status"]
            != "processing"
        ):
            assert time.monotonic() < deadline, "task never started"
            time.sleep(0.05)
        victims = worker_processes(server)
        assert victims, "no worker process found"
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        status = wait_done(server, task_id, timeout_s=120)
        assert status["status"] == "done", status
        used = httpx.get(f"{server.url}/api/optimize/quota", headers=TOKEN).json()["data"]["used_mb"]
        assert used == pytest.approx(status["original_size"] / 1048576, abs=0.01)  # charged once
        assert "re-queued" in server.log_path.read_text()
    finally:
        server.stop()


def test_results_expire_and_files_are_deleted(tmp_path: Path, corpus: Path) -> None:
    server = serve(tmp_path, env={"PIXPRESS_RESULT_TTL_S": "2", "PIXPRESS_CLEANUP_INTERVAL_S": "1"})
    try:
        body = submit(server, (corpus / "graphic" / "logo.png").read_bytes(), wait=30).json()
        task_id = body["data"]["task_id"]
        assert body["data"]["status"] == "done"
        deadline = time.monotonic() + 30
        while httpx.get(f"{server.url}/api/optimize/status/{task_id}", headers=TOKEN).status_code != 404:
            assert time.monotonic() < deadline, "expired task still there"
            time.sleep(0.2)
        assert not list((tmp_path / "data" / "files").rglob(f"*{task_id}*"))
    finally:
        server.stop()


def test_graceful_shutdown_finishes_running_work(tmp_path: Path, corpus: Path) -> None:
    server = serve(tmp_path)
    body = submit(server, (corpus / "photo" / "kodim04.png").read_bytes()).json()
    code = server.stop(signal.SIGTERM)
    assert code == 0, server.log()
    restarted = serve(tmp_path)
    try:
        status = wait_done(restarted, body["data"]["task_id"], timeout_s=60)
        assert status["status"] == "done"
    finally:
        restarted.stop()
