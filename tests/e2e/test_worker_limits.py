"""A real `pixpress serve` keeps going when a task would take its worker down: an image over the
worker's memory cap fails as image_too_large, a task stuck in a long C call past its time limit ends
its worker process (which is replaced), neither is charged (not even with no free failures left: they
are not the file's doing), and a token whose uploads keep failing is still served."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import ServerProcess, serve
from tests.e2e.test_service import TOKEN, submit, wait_done

pytestmark = pytest.mark.slow

OTHER_SITE = {"X-Token": "another-site-token"}


def used_mb(server: ServerProcess, headers: dict[str, str]) -> float:
    return float(httpx.get(f"{server.url}/api/optimize/quota", headers=headers).json()["data"]["used_mb"])


def test_over_the_memory_cap_fails_uncharged_and_the_token_is_still_served(
    tmp_path: Path, corpus: Path
) -> None:
    server = serve(
        tmp_path, env={"PIXPRESS_WORKER_MEMORY_MB": "250", "PIXPRESS_FREE_FAILURES_PER_PERIOD": "0"}
    )
    try:
        photo = (corpus / "photo" / "dog_exif_extended_xmp_icc.jpg").read_bytes()  # 12 MP: ~1 GB at peak
        for keep_metadata in ("icc", "none"):  # other options: two uploads, not a reuse of the first
            answer = submit(server, photo, filename="big.jpg", keep_metadata=keep_metadata).json()["data"]
            status = wait_done(server, answer["task_id"], timeout_s=120)
            assert status["status"] == "failed" and status["error"]["code"] == "image_too_large", status
            assert status["error"]["charged"] is False
        assert used_mb(server, TOKEN) == 0  # both refunded: a valid image, too big for this worker

        small = (corpus / "photo" / "kodim05.png").read_bytes()
        accepted = submit(server, small)  # never refused for the failures before it
        assert accepted.status_code == 200, accepted.text
        assert wait_done(server, accepted.json()["data"]["task_id"], timeout_s=120)["status"] == "done"

        # The worker carried on: another site's small image goes through.
        answer = httpx.post(
            f"{server.url}/api/optimize/submit",
            headers=OTHER_SITE,
            files={"file": ("small.png", small)},
            timeout=60,
        ).json()["data"]
        assert wait_done(server, answer["task_id"], headers=OTHER_SITE)["status"] == "done"
    finally:
        server.stop()


def test_a_task_stuck_in_a_c_call_ends_its_worker_which_is_replaced(tmp_path: Path, corpus: Path) -> None:
    """A 12-MP AVIF encode is one long call into the AV1 encoder: no deadline check reaches it."""
    server = serve(tmp_path, env={"PIXPRESS_TASK_TIME_LIMIT_S": "1", "PIXPRESS_TASK_KILL_GRACE_S": "1"})
    try:
        photo = (corpus / "photo" / "dog_exif_extended_xmp_icc.jpg").read_bytes()
        started = time.monotonic()
        task_id = submit(server, photo, filename="big.jpg", format="avif", quality="60").json()["data"]
        status = wait_done(server, task_id["task_id"], timeout_s=120)
        assert status["status"] == "failed" and status["error"]["code"] == "task_timeout", status
        assert time.monotonic() - started < 60
        assert used_mb(server, TOKEN) == 0
        # A fresh worker process takes the next task (limit 1 s: a tiny image).
        small = submit(server, (corpus / "graphic" / "imagedraw_polygon_kite_RGB.png").read_bytes())
        assert wait_done(server, small.json()["data"]["task_id"], timeout_s=60)["status"] in (
            "done",
            "failed",
        )
    finally:
        server.stop()
