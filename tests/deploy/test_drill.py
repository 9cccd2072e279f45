"""The fault drill: 4 clients upload 200 small photos through nginx while a worker is SIGKILLed, an API
process is restarted, Redis is restarted, PostgreSQL is restarted (fast shutdown) and the S3 server
refuses writes for 10 s. Afterwards every accepted upload is done or failed with a stable code, exactly
once; charges equal the done uploads; no file in the bucket lacks its task; the only 5xx answers are
503 service_unavailable inside an outage window."""

from __future__ import annotations

import time
from collections import Counter

import httpx
from scripts.deploy_local.topology import (
    Topology,
    postgres_ready,
    ready_through_nginx,
    redis_ready,
    refuse_s3_writes,
)

from tests.deploy.checks import (
    bucket_report,
    count,
    ledger_clean,
    processing,
    stable_codes,
    task_rows,
    used_bytes,
)
from tests.deploy.conftest import client, record_figures, small_photos, wait_until, wait_until_or_not
from tests.deploy.drill import Uploads, Window, timed

PHOTOS = 200
CLIENTS = 4
FIRST_BATCH = 20
S3_OUTAGE_S = 10.0
# After a fault ends, clients may still meet its 503s while pools reconnect and Retry-After runs out.
SETTLE_S = 10.0
TOKENS = [f"site-{i}-drill-token" for i in range(1, CLIENTS + 1)]


def api_ready(port: int) -> bool:
    return httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200


def test_the_fault_drill(top: Topology) -> None:
    photos = small_photos(PHOTOS)
    used_before = used_bytes(top, TOKENS)
    uploads = Uploads(top, photos, TOKENS)
    worker = top.worker_units[0]
    api_port = top.ports["api1"]
    starts_before = next(u for u in top.ctl("status")["units"] if u["unit"] == worker)["starts"]

    busy_when_killed: list[bool] = []

    def kill_worker() -> None:
        # Both workers holding a task: the one killed (consumer and worker process) is mid-task.
        busy = wait_until_or_not(lambda: processing(top) >= len(top.worker_units), 30)
        busy_when_killed.append(busy)
        top.ctl("kill", worker, signal="SIGKILL")

    def worker_back() -> bool:
        unit = next(u for u in top.ctl("status")["units"] if u["unit"] == worker)
        return bool(unit["starts"] > starts_before and unit["state"] == "active")

    def s3_outage() -> None:
        refuse_s3_writes(top, True)
        time.sleep(S3_OUTAGE_S)
        refuse_s3_writes(top, False)

    faults = [
        ("worker SIGKILLed", kill_worker, worker_back),
        ("API process restarted", lambda: top.ctl("restart", top.api_units[0]), lambda: api_ready(api_port)),
        ("Redis restarted", lambda: top.ctl("restart", "redis.service"), lambda: redis_ready(top)),
        (
            "PostgreSQL restarted (fast)",
            lambda: top.ctl("restart", "postgresql.service"),
            lambda: postgres_ready(top),
        ),
        (f"S3 refuses writes {S3_OUTAGE_S:.0f} s", s3_outage, lambda: ready_through_nginx(top)),
    ]
    per_fault = (PHOTOS - FIRST_BATCH) // len(faults)
    windows: list[Window] = []
    try:
        uploads.start()
        uploads.release(FIRST_BATCH)
        wait_until("the first uploads", lambda: uploads.resolved() >= FIRST_BATCH // 2)
        for name, action, back in faults:
            uploads.release(per_fault)
            time.sleep(0.5)  # the batch is on its way when the fault hits
            windows.append(timed(uploads, name, action, back))
            wait_until("pixpress ready through nginx", lambda: ready_through_nginx(top), 120, 0.2)
            time.sleep(2.0)
        uploads.join(300)
    finally:
        refuse_s3_writes(top, False)
    submitted_s = uploads.now()

    # Every upload was accepted in the end (clients retry 503s with the same Idempotency-Key).
    missing = sorted(set(range(PHOTOS)) - set(uploads.task_ids))
    assert not missing, {i: [a for a in uploads.answers if a.index == i] for i in missing}
    task_ids = set(uploads.task_ids.values())
    assert len(task_ids) == PHOTOS  # one task per upload, replays included

    def all_finished() -> list[dict[str, object]] | None:
        views = []
        with client(top) as http:
            for index, task_id in uploads.task_ids.items():
                view = http.get(
                    f"/api/optimize/status/{task_id}", headers={"X-Token": TOKENS[index % CLIENTS]}
                ).json()["data"]
                if view["status"] not in ("done", "failed"):
                    return None
                views.append(view)
        return views

    views = wait_until("every task finished", all_finished, 300, 2.0)
    finished_s = uploads.now()

    # Each exactly once, with a stable error code when failed; the killed worker's task ran again.
    if busy_when_killed == [True]:
        assert any(row.attempts > 1 for row in task_rows(top, f"drill-{uploads.run_id}-"))
    rows = task_rows(top, f"drill-{uploads.run_id}-")
    assert sorted(row.id for row in rows) == sorted(task_ids)
    assert {str(view["task_id"]) for view in views} == task_ids
    codes = stable_codes()
    for row in rows:
        assert row.status in ("done", "failed"), row
        assert row.charges == 1, row
        if row.status == "done":
            assert row.refunds == 0 and row.error_code is None, row
        else:
            assert row.error_code in codes and row.refunds == 1, row
            assert row.refunded_bytes == row.charged_bytes, row
    done = [row for row in rows if row.status == "done"]
    size_of = {uploads.task_ids[i]: len(photos[i]) for i in uploads.task_ids}
    assert all(row.original_size == size_of[row.id] for row in rows)
    # Charges equal the sum of done uploads, and the ledger agrees with every token's usage.
    assert used_bytes(top, TOKENS) - used_before == sum(row.original_size for row in done)
    ledger = ledger_clean(top)

    # Only 503 service_unavailable, and only inside an outage window.
    def window_of(at_s: float) -> Window | None:
        """The latest fault begun by then whose window (until ready again, plus SETTLE_S) holds it."""
        return next((w for w in reversed(windows) if w.start_s <= at_s <= w.recovered_s + SETTLE_S), None)

    server_errors = [a for a in uploads.answers if a.status >= 500 or a.status == 0]
    for answer in server_errors:
        assert answer.status == 503 and answer.code == "service_unavailable", answer
        assert window_of(answer.at_s) is not None, (answer, windows)

    # No file in the bucket without its task, once the cleanup has had its grace period.
    report = wait_until(
        "no orphan files", lambda: (r := bucket_report(top)) and not r.without_task and r, 120, 3
    )
    orphans_gone_s = uploads.now()
    assert not report.without_task

    by_window = Counter((w.name if (w := window_of(a.at_s)) else "-", a.reason) for a in server_errors)
    attempts = Counter(a.index for a in uploads.answers)
    failed_codes = count([r.error_code for r in rows if r.error_code])
    run_twice = sum(1 for r in rows if r.attempts > 1)
    refunds = sum(r.refunds for r in rows)
    done_bytes = sum(r.original_size for r in done)
    transport_errors = sum(1 for a in uploads.answers if a.status == 0)
    lines = [
        f"{PHOTOS} uploads ({sum(map(len, photos)) / 1024:.0f} KB) by {CLIENTS} clients, "
        f"{len(uploads.answers)} submit calls ({sum(n - 1 for n in attempts.values())} retries), "
        f"all accepted in {submitted_s:.1f} s",
        "faults (start -> end -> ready again, seconds from the start):",
        *(f"  {w.name}: {w.start_s:.1f} -> {w.end_s:.1f} -> {w.recovered_s:.1f}" for w in windows),
        "503 service_unavailable by window and reason: "
        + (", ".join(f"{name} / {reason}: {n}" for (name, reason), n in sorted(by_window.items())) or "none"),
        f"other 5xx: 0; transport errors: {transport_errors}",
        f"tasks: {len(done)} done, {len(rows) - len(done)} failed ({failed_codes}); "
        f"all finished {finished_s:.1f} s after the start; tasks run twice: {run_twice} "
        f"(the worker was killed {'mid-task' if busy_when_killed == [True] else 'possibly idle'})",
        f"charges: {len(rows)} (one per task), refunds: {refunds} (one per failed task); "
        f"usage +{done_bytes} bytes = the done uploads; {ledger}",
        f"bucket: {report.objects} files, 0 without a task at {orphans_gone_s:.1f} s; "
        f"files of a superseded attempt (kept until the task expires): {len(report.other_attempts)}",
    ]
    record_figures("drill", "\n".join(lines))
