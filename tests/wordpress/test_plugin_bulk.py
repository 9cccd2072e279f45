"""Bulk pixpress over an existing library with a small quota: the run stops with the quota used up
(paused_quota, the rest still queued and not failed), the vendor's monthly reset, a resume, and the
end of the run through WP-Cron with the page closed. Each image goes up once with its sizes (the
server's `sizes`): charged exactly once, the original's bytes, never again after the resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.conftest import CORPUS
from tests.wordpress.conftest import WordPress
from tests.wordpress.plugin import (
    Pixpress,
    bulk_nonce,
    configure,
    files_on_disk,
    in_flight,
    login,
    queued,
    record,
    run_queue_until_empty,
    wait_for,
)

IMAGES = ["rocket.jpg", "paris_exif_xmp_icc.jpg", "chelsea.png", "seine_sdr_gainmap_srgb.jpg"]
TOKEN = "site-token-bulk-0002"
MB = 1024 * 1024


def _tick(
    admin: httpx.Client, nonce: str, action: str = "pixpress_bulk_tick", **fields: str
) -> dict[str, Any]:
    response = admin.post("/wp-admin/admin-ajax.php", data={"action": action, "nonce": nonce, **fields})
    assert response.status_code == 200, response.text[:2000]
    body = response.json()
    assert body["success"], body
    status: dict[str, Any] = body["data"]
    return status


def _tick_until_not_running(admin: httpx.Client, nonce: str, *, ticks: int = 40) -> dict[str, Any]:
    status: dict[str, Any] = {}
    for _ in range(ticks):
        status = _tick(admin, nonce)
        if status["state"] != "running":
            return status
    raise AssertionError(f"still running after {ticks} ticks: {status}")


def test_bulk_stops_on_quota_and_resumes_after_the_reset_sending_nothing_twice(
    plugin: WordPress, pixpress_server: Pixpress
) -> None:
    paths = [CORPUS / "photo" / name for name in IMAGES]
    # The library exists before pixpress is set up for it: uploads are not optimized on their own.
    configure(plugin, auto_optimize=False, webp=False, avif=False, mode="lossy")
    uploaded = [int(plugin.upload_media(path)["id"]) for path in paths]
    assert not set(uploaded) & set(queued(plugin))

    candidates: list[int] = plugin.php_json("return Pixpress_Bulk::candidates();")
    assert set(uploaded) <= set(candidates)
    originals = {
        (attachment_id, name): path.read_bytes()
        for attachment_id in candidates
        for name, path in files_on_disk(plugin, attachment_id).items()
    }
    # One upload per image: its original, the sizes made from it by the server.
    total_bytes = sum(len(data) for (_, name), data in originals.items() if name == "full")
    # Room for about half of the images this month.
    pixpress_server.add_token(TOKEN, round(total_bytes * 0.5 / MB, 4))
    configure(plugin, token=TOKEN)

    admin = login(plugin, plugin.admin_user, plugin.admin_password)
    page = admin.get("/wp-admin/upload.php", params={"page": "pixpress-bulk"})
    assert page.status_code == 200
    for element in (
        "pixpress-bulk-progress",
        "pixpress-bulk-start",
        "pixpress-bulk-pause",
        "pixpress-bulk-resume",
    ):
        assert f'id="{element}"' in page.text, element
    assert 'id="pixpress-bulk-message"' in page.text
    nonce = bulk_nonce(page.text)

    started = _tick(admin, nonce, "pixpress_bulk_control", command="start")
    assert started["state"] == "running"
    assert started["total"] == len(candidates)

    stopped = _tick_until_not_running(admin, nonce)
    assert stopped["state"] == "paused_quota", stopped
    # WP-Cron (spawned by these requests) may hold an image when a tick meets the quota: it finishes
    # that one, which the progress counts then.
    assert wait_for(lambda: in_flight(plugin) == 0, timeout_s=300)
    stopped = _tick(admin, nonce, "pixpress_bulk_status")
    assert stopped["state"] == "paused_quota", stopped
    assert "quota" in stopped["message"].lower()
    assert stopped["pause"]["reason"] == "quota"
    assert 0 < stopped["done"] < len(candidates), stopped
    assert stopped["counts"]["failed"] == 0
    waiting = queued(plugin)
    assert waiting, "nothing left in the queue at the quota stop"
    for attachment_id in candidates:
        rec = record(plugin, attachment_id)
        assert rec.get("status") != "failed", rec
        assert all(f["status"] != "failed" for f in (rec.get("files") or {}).values()), rec
    charged_first, _ = pixpress_server.charged(TOKEN)
    assert 0 < charged_first <= total_bytes * 0.5 + 1

    # The state lives on the server side: a reload shows it; a tick while paused sends nothing.
    reloaded = admin.get("/wp-admin/upload.php", params={"page": "pixpress-bulk"})
    assert 'id="pixpress-bulk-state" data-state="paused_quota"' in reloaded.text
    assert _tick(admin, nonce)["state"] == "paused_quota"
    assert pixpress_server.charged(TOKEN)[0] == charged_first

    # The monthly reset, then resume: a tick from the page, the rest by WP-Cron with the page closed.
    # Half the library per month: a second month may be needed, each stop a clean paused_quota.
    for _month in range(3):
        pixpress_server.reset_usage(TOKEN)
        resumed = _tick(admin, nonce, "pixpress_bulk_control", command="resume")
        assert resumed["state"] == "running"
        _tick(admin, nonce)
        if run_queue_until_empty(plugin):
            break
        status = _tick(admin, nonce, "pixpress_bulk_status")
        assert status["state"] == "paused_quota", status
        assert status["counts"]["failed"] == 0

    final = _tick(admin, nonce, "pixpress_bulk_status")
    assert final["state"] == "done", final
    assert final["percent"] == 100
    assert final["counts"]["failed"] == 0
    assert queued(plugin) == []

    sent = 0
    for attachment_id in candidates:
        rec = record(plugin, attachment_id)
        assert rec["status"] in ("optimized", "skipped"), rec
        for name, path in files_on_disk(plugin, attachment_id).items():
            entry = rec["files"][name]
            assert entry["status"] in ("optimized", "no_gain"), entry
            original = originals[(attachment_id, name)]
            assert entry["before"] == len(original)
            assert path.stat().st_size == entry["after"] <= len(original)
            assert entry["via"] == "sizes", entry
            sent += entry["sent_bytes"]
            if entry["status"] == "optimized":
                backup = plugin.uploads_dir / "pixpress-backup" / Path(entry["file"])
                assert backup.read_bytes() == original
    # Each image was sent once, none again after the reset (a repeat would show as a replay, 0 bytes).
    charged_bytes, uploads = pixpress_server.charged(TOKEN)
    assert sent == total_bytes
    assert charged_bytes == total_bytes
    assert uploads == len(candidates)

    # A second run finds nothing to do and sends nothing.
    again = _tick(admin, nonce, "pixpress_bulk_control", command="start")
    assert again["state"] == "done"
    assert pixpress_server.charged(TOKEN) == (charged_bytes, uploads)
