"""Media > Bulk pixpress in a real browser (Debian's chromium, driven by playwright): log in through
wp-login.php, click Start, watch the progress bar advance with the page's AJAX ticks, reload midway,
see the run stop on the month's quota (paused_quota, the quota message), reset the quota on the
pixpress server as its admin, click Resume and see the run done. Each image goes up once.

Skips (with the reason) when playwright or /usr/bin/chromium is missing, unless
PIXPRESS_REQUIRE_BROWSER=1. Screenshots go to PIXPRESS_SCREENSHOTS_DIR (docs/wordpress for the
docs), else to the test's tmp dir.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image

from tests.browser import chromium
from tests.conftest import CORPUS
from tests.wordpress.conftest import WordPress
from tests.wordpress.plugin import Pixpress, configure, files_on_disk, metadata, queued, record, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

# Claimed by id: two of them fit in the quota chosen below, the other two after the monthly reset.
IMAGES = ["rocket.jpg", "chelsea.png", "paris_exif_xmp_icc.jpg", "seine_sdr_gainmap_srgb.jpg"]
TOKEN = "site-token-browser-0006"
MB = 1024 * 1024
# One attachment per tick (the budget is checked after each), none by WP-Cron meanwhile: the bar
# moves with the page's own AJAX ticks, in the order of the queue.
# The bulk page's ticks are the only worker here: no WP-Cron run, no loopback runner (tested in
# test_plugin_pipeline.py), so each tick's images and the quota stop are the test's to count.
TEST_FILTERS = (
    "<?php add_filter('pixpress_tick_budget_s', function () { return 0.1; });"
    " add_filter('pixpress_cron_budget_s', function () { return 0.0; });"
    " add_filter('pixpress_loopback_runner', '__return_false');\n"
)
pytestmark = pytest.mark.timeout(1500)


@pytest.fixture(scope="session")  # first of the session fixtures: a skip comes before WordPress starts
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def test_filters(plugin: WordPress) -> Iterator[None]:
    path = plugin.content_dir / "mu-plugins" / "pixpress-test-browser.php"
    path.write_text(TEST_FILTERS)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        # The site is shared by the session: later tests' uploads must not be queued behind their back.
        configure(plugin, auto_optimize=False, webp=False, avif=False)


def _quota_between(fulls: list[int]) -> tuple[int, int]:
    """(k, quota bytes): the first k images fit and the next does not; after a reset, the rest fit."""
    total = sum(fulls)
    for k in range(1, len(fulls)):
        done = sum(fulls[:k])
        low, high = max(done, total - done), done + fulls[k]  # the quota: low <= q < high
        if low < high:
            return k, (low + high) // 2
    raise AssertionError(f"no quota splits these uploads in two months: {fulls}")


def _progress(page: Page) -> int:
    return int(page.eval_on_selector("#pixpress-bulk-progress", "bar => bar.value"))


def _state(page: Page) -> str:
    return str(page.get_attribute("#pixpress-bulk-state", "data-state"))


def test_bulk_page_in_a_browser(
    browser: Browser,
    plugin: WordPress,
    pixpress_server: Pixpress,
    screenshots: Path,
    test_filters: None,
) -> None:
    paths = [CORPUS / "photo" / name for name in IMAGES]
    configure(plugin, auto_optimize=False, webp=False, avif=False, mode="lossy")
    uploaded = [int(plugin.upload_media(path)["id"]) for path in paths]
    candidates: list[int] = plugin.php_json("return Pixpress_Bulk::candidates();")
    assert set(uploaded) <= set(candidates)
    fulls = {i: files_on_disk(plugin, i)["full"].read_bytes() for i in candidates}
    before = {(i, n): p.stat().st_size for i in candidates for n, p in files_on_disk(plugin, i).items()}
    first_month, quota_bytes = _quota_between([len(fulls[i]) for i in candidates])
    pixpress_server.add_token(TOKEN, quota_bytes / MB)
    # Set up for the library that is there: WebP and AVIF copies too, new uploads from now on.
    configure(plugin, token=TOKEN, webp=True, avif=True, picture=True, auto_optimize=True)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    offline: list[str] = []
    ticks: list[dict[str, Any]] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        source = str(message.location.get("url") or "")
        if "Failed to load resource" in message.text and source and not source.startswith(plugin.url):
            offline.append(source)  # WordPress's own off-site resources (avatars): no internet here
            return
        errors.append(f"{message.page.url if message.page else '?'}: {message.text} ({source})")

    def on_response(response: Any) -> None:
        body = response.request.post_data or ""
        if "admin-ajax.php" in response.url and "action=pixpress_bulk_tick" in body:
            try:
                ticks.append(response.json()["data"])
            except Exception:  # the reload cut this one off: its body is gone with the old page
                ticks.append({"state": "?", "done": -1})

    context.on("console", on_console)
    context.on("weberror", lambda error: errors.append(f"page error: {error.error}"))
    context.on("response", on_response)
    page = context.new_page()
    try:
        # Through the real login form.
        page.goto(f"{plugin.url}/wp-login.php")
        page.fill("#user_login", plugin.admin_user)
        page.fill("#user_pass", plugin.admin_password)
        page.click("#wp-submit")
        page.wait_for_url("**/wp-admin/**")
        assert page.locator("#wpadminbar").is_visible()

        page.goto(f"{plugin.url}/wp-admin/options-general.php?page=pixpress")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").first.inner_text().strip().lower().startswith("pixpress")
        page.screenshot(path=str(screenshots / "settings.png"), full_page=True)

        bulk_url = f"{plugin.url}/wp-admin/upload.php?page=pixpress-bulk"
        page.goto(bulk_url)
        assert page.is_enabled("#pixpress-bulk-start") and not page.is_enabled("#pixpress-bulk-resume")
        page.click("#pixpress-bulk-start")
        page.wait_for_function(
            "() => document.getElementById('pixpress-bulk-progress').value > 0", timeout=600_000
        )
        first = _progress(page)
        assert 0 < first < 100 and _state(page) == "running", (first, _state(page))
        assert page.locator("#pixpress-bulk-progress-text").inner_text().startswith(f"1 of {len(candidates)}")
        page.screenshot(path=str(screenshots / "bulk-running.png"), full_page=True)

        # A reload midway (once the tick in flight has sent its image, so that the reloaded page's
        # first tick comes after it): the progress is the server's, the page picks the run up.
        assert wait_for(lambda: pixpress_server.charged(TOKEN)[1] >= min(2, first_month), timeout_s=600)
        page.reload()
        assert int(page.get_attribute("#pixpress-bulk-progress", "value") or 0) >= first
        assert _state(page) in ("running", "paused_quota")

        page.wait_for_selector('#pixpress-bulk-state[data-state="paused_quota"]', timeout=600_000)
        # The tick cut off by the reload finishes its image on the server; a reload shows it.
        expected = 100 * first_month // len(candidates)
        assert wait_for(lambda: plugin.php_json("return Pixpress_Bulk::status();")["done"] == first_month)
        page.reload()
        assert _state(page) == "paused_quota"
        stopped = _progress(page)
        assert stopped == expected, stopped
        message = page.locator("#pixpress-bulk-message").inner_text()
        assert "quota" in message.lower(), message
        assert page.is_enabled("#pixpress-bulk-resume") and not page.is_enabled("#pixpress-bulk-start")
        assert page.locator("#pixpress-bulk-state").inner_text() == "Paused: quota used up"
        page.screenshot(path=str(screenshots / "bulk-quota.png"), full_page=True)
        charged_first = pixpress_server.charged(TOKEN)
        assert charged_first == (sum(len(fulls[i]) for i in candidates[:first_month]), first_month)
        assert len(queued(plugin)) == len(candidates) - first_month

        # The vendor's monthly reset (the pixpress admin), then Resume on the page.
        pixpress_server.reset_usage(TOKEN)
        page.click("#pixpress-bulk-resume")
        page.wait_for_selector('#pixpress-bulk-state[data-state="done"]', timeout=600_000)
        assert _progress(page) == 100
        assert (
            page.locator("#pixpress-bulk-progress-text")
            .inner_text()
            .startswith(f"{len(candidates)} of {len(candidates)}")
        )
        assert page.locator("#pixpress-count-optimized").inner_text() == str(len(candidates))
        # The quota table and the pause note (printed at the reload, during the pause) follow the run.
        assert not page.locator("#pixpress-paused").is_visible()
        second_month = sum(len(fulls[i]) for i in candidates[first_month:])
        assert page.locator("#pixpress-quota-used").inner_text() == f"{second_month / MB:.2f} MB"
        page.screenshot(path=str(screenshots / "bulk-done.png"), full_page=True)
    finally:
        context.close()

    assert not errors, errors
    assert all("pixpress" not in url for url in offline), offline
    # The bar moved with the ticks: one image a tick, some while running, the last one done.
    read = [t for t in ticks if t["state"] != "?"]
    done_counts = [int(t["done"]) for t in read]
    assert len(ticks) >= len(candidates) and len(ticks) - len(read) <= 1, ticks
    assert done_counts == sorted(done_counts) and done_counts[-1] == len(candidates), done_counts
    assert len(set(done_counts)) >= 3, done_counts  # it moved step by step, not all at once
    assert {t["state"] for t in read} >= {"running", "paused_quota", "done"}, [t["state"] for t in read]

    # Every image went up once (the original's bytes), sizes included; nothing was sent twice.
    assert queued(plugin) == []
    # (The reset starts a new period; the admin usage keeps the old one among past_periods.)
    assert pixpress_server.charged(TOKEN) == (sum(len(b) for b in fulls.values()), len(candidates))
    siblings = 0
    for attachment_id in candidates:
        rec = record(plugin, attachment_id)
        assert rec["status"] == "optimized", rec
        meta = metadata(plugin, attachment_id)
        for name, path in files_on_disk(plugin, attachment_id).items():
            entry = rec["files"][name]
            assert entry["via"] == "sizes" and entry["status"] in ("optimized", "no_gain"), entry
            assert entry["sent_bytes"] == (len(fulls[attachment_id]) if name == "full" else 0)
            assert path.stat().st_size == entry["after"] <= before[(attachment_id, name)]
            size = meta if name == "full" else meta["sizes"][name]
            with Image.open(io.BytesIO(path.read_bytes())) as image:
                image.load()
                assert image.size == (size["width"], size["height"]), (attachment_id, name)
            for fmt in ("webp", "avif"):
                sibling = Path(f"{path}.{fmt}")
                assert (fmt in entry["siblings"]) == sibling.is_file(), (attachment_id, name, fmt)
                if sibling.is_file():
                    assert entry["siblings"][fmt] == sibling.stat().st_size < entry["after"]
                    assert {"webp": b"WEBP", "avif": b"ftypavif"}[fmt] in sibling.read_bytes()[:16]
                    siblings += 1
    assert siblings >= len(candidates), siblings  # copies came with the sizes from the same uploads
