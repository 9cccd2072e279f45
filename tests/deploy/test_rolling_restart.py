"""A rolling restart under load, as docs/deploy.md describes it: the workers one at a time (SIGINT,
running tasks finish), then the API processes one at a time (out of nginx's rotation first, restarted,
back in once ready). No task is lost and no valid request is refused."""

from __future__ import annotations

import time

import httpx
from scripts.deploy_local.topology import Topology, drain, ready_through_nginx

from tests.deploy.checks import task_rows
from tests.deploy.conftest import client, record_figures, small_photos, wait_until
from tests.deploy.drill import Uploads

PHOTOS = 80
TOKENS = ["site-load-token-0001", "site-4-drill-token"]
DRAIN_S = 1.0  # nginx's old workers finish what they had; the new ones send nothing to the drained port


def api_ready(port: int) -> bool:
    return httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200


def test_a_rolling_restart_under_load(top: Topology) -> None:
    uploads = Uploads(top, small_photos(PHOTOS, seed=7), TOKENS, pace_s=0.25)
    steps: list[str] = []
    began = time.monotonic()
    try:
        uploads.start()
        uploads.release(PHOTOS)
        wait_until("uploads under way", lambda: uploads.resolved() >= 5, 60, 0.1)
        for unit in top.worker_units:
            before = time.monotonic()
            top.ctl("restart", unit)  # KillSignal=SIGINT: the running task finishes first
            steps.append(f"{unit}: {time.monotonic() - before:.1f} s")
        for unit, port_name in zip(top.api_units, ("api1", "api2"), strict=True):
            port = top.ports[port_name]
            before = time.monotonic()
            drain(top, {port})
            time.sleep(DRAIN_S)
            top.ctl("restart", unit)
            wait_until(f"{unit} ready", lambda port=port: api_ready(port), 120, 0.2)
            drain(top, set())
            steps.append(f"{unit}: {time.monotonic() - before:.1f} s out of rotation")
        uploads.join(300)
    finally:
        drain(top, set())
    assert ready_through_nginx(top)

    refused = [a for a in uploads.answers if a.status != 200]
    assert not refused, refused  # every request answered, first time
    assert sorted(uploads.task_ids) == list(range(PHOTOS))

    def all_done() -> bool:
        rows = task_rows(top, f"drill-{uploads.run_id}-")
        return len(rows) == PHOTOS and all(row.status == "done" for row in rows)

    wait_until("every task done", all_done, 300, 2.0)
    rows = task_rows(top, f"drill-{uploads.run_id}-")
    assert all(row.charges == 1 and row.refunds == 0 for row in rows)
    with client(top) as http:
        index = PHOTOS - 1
        download = http.get(
            f"/api/optimize/download/{uploads.task_ids[index]}",
            headers={"X-Token": TOKENS[index % len(TOKENS)]},
        )
        assert download.status_code == 200 and download.content
    record_figures(
        "rolling-restart",
        f"{PHOTOS} uploads by {len(TOKENS)} clients during the restart of "
        f"{len(top.worker_units)} workers then {len(top.api_units)} API processes "
        f"({time.monotonic() - began:.0f} s in all): {len(uploads.answers)} submit calls, all 200; "
        f"{PHOTOS} tasks done, none lost, none run twice ({sum(r.attempts > 1 for r in rows)})\n"
        + "\n".join(f"  {step}" for step in steps),
    )
