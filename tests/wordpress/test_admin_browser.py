"""The admin side in a real browser (Debian's chromium, driven by playwright), as a new site owner walks
it: activate the plugin on the Plugins screen and land in the first-run wizard (URL, token, the
connection test, WebP/AVIF on), upload a photo through Media > Add New and see it optimized, run
Bulk pixpress with the bar moving while a tick works, pause and resume, stop on the month's quota
(the bulk page and the Media Library rows say so), the vendor's reset, done with the library's
savings, restore through the Media Library's bulk actions, and the grid view's status badges with the
details modal's before/after slider.

Skips (with the reason) when playwright or /usr/bin/chromium is missing, unless
PIXPRESS_REQUIRE_BROWSER=1. Screenshots go to PIXPRESS_SCREENSHOTS_DIR (docs/wordpress for the
docs), else to the test's tmp dir.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser import chromium
from tests.conftest import CORPUS
from tests.wordpress.conftest import WordPress
from tests.wordpress.plugin import (
    Pixpress,
    configure,
    files_on_disk,
    queued,
    record,
    run_queue_until_empty,
    wait_for,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

# Claimed by id: the bulk's month takes the first two, refuses the third; the rest fit after the reset.
LIBRARY = ["seine_sdr_gainmap_srgb.jpg", "rocket.jpg", "kodim06.png", "kodim05.png", "paris_exif_xmp_icc.jpg"]
UPLOAD = CORPUS / "photo" / "paris_exif_xmp_icc.jpg"
TOKEN = "site-token-admin-browser-0012"
# The licence the bulk runs on: its quota is set before its first use (the server caches a token's quota).
BULK_TOKEN = "site-token-admin-browser-bulk-0013"
MB = 1024 * 1024
# Long ticks (several images each: the first one ends on the quota), and no WP-Cron queue runs while
# the bulk page works: what moves the bar is the page itself.
# The bulk page's ticks are the only worker here: no WP-Cron run, no loopback runner (tested in
# test_plugin_pipeline.py), so each tick's images and the quota stop are the test's to count.
BULK_FILTERS = (
    "<?php add_filter('pixpress_tick_budget_s', function () { return %s; });"
    " add_filter('pixpress_cron_budget_s', function () { return 0.0; });"
    " add_filter('pixpress_loopback_runner', '__return_false');\n"
)
# Wraps fetch to time the bulk page's ticks, and samples the bar every 100 ms (one clock: the page's).
PAGE_PROBE = """
window.__pxTicks = []; window.__pxBar = []; window.__pxPolls = [];
const pxFetch = window.fetch;
window.fetch = function (url, options) {
  const body = String((options && options.body) || '');
  const tick = body.includes('action=pixpress_bulk_tick');
  if (body.includes('action=pixpress_bulk_status')) { window.__pxPolls.push(Date.now()); }
  const entry = tick ? { start: Date.now(), end: null } : null;
  if (entry) { window.__pxTicks.push(entry); }
  const answer = pxFetch.apply(this, arguments);
  if (entry) { answer.then(() => { entry.end = Date.now(); }, () => { entry.end = Date.now(); }); }
  return answer;
};
setInterval(() => {
  const bar = document.getElementById('pixpress-bulk-progress');
  if (bar) { window.__pxBar.push([Date.now(), Number(bar.value)]); }
}, 100);
"""
pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")  # before WordPress starts: a skip comes first
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def fresh_site(plugin: WordPress, pixpress_server: Pixpress) -> Iterator[WordPress]:
    """The plugin deactivated and never set up, as a new site owner has it; everything put back after."""
    plugin.php(
        "deactivate_plugins('pixpress/pixpress.php');"
        "foreach (['pixpress_settings', 'pixpress_wizard', 'pixpress_bulk', 'pixpress_paused'] as $o) {"
        " delete_option($o); }"
        "delete_transient('pixpress_connection'); delete_transient('pixpress_quota');"
    )
    mu_plugin = plugin.content_dir / "mu-plugins" / "pixpress-test-admin-browser.php"
    last_before: int = plugin.php_json(
        'global $wpdb; return (int) $wpdb->get_var("SELECT MAX(ID) FROM {$wpdb->posts}");'
    )
    try:
        yield plugin
    finally:
        mu_plugin.unlink(missing_ok=True)
        if not plugin.php_json("return is_plugin_active('pixpress/pixpress.php');"):
            plugin.activate_plugin("pixpress")
        # The images of this walk go (with their backups and copies): later tests count the library.
        plugin.php(
            'global $wpdb; foreach ($wpdb->get_col($wpdb->prepare("SELECT ID FROM {$wpdb->posts}'
            f" WHERE post_type = 'attachment' AND ID > %d\", {last_before})) as $id) {{"
            " wp_delete_attachment((int) $id, true); }"
        )
        plugin.php(
            "delete_option('pixpress_paused'); delete_option('pixpress_bulk');"
            'global $wpdb; $wpdb->query("DELETE FROM {$wpdb->prefix}pixpress_queue");'
        )
        configure(
            plugin,
            server_url=pixpress_server.url,
            allow_private=True,
            token=TOKEN,
            auto_optimize=False,
            webp=False,
            avif=False,
            skip_sizes=[],
        )


def _state(page: Page) -> str:
    return str(page.get_attribute("#pixpress-bulk-state", "data-state"))


def _done(plugin: WordPress) -> int:
    done: int = plugin.php_json("return Pixpress_Bulk::status()['done'];")
    return done


def _shot(page: Page, folder: Path, name: str, selector: str | None = None) -> None:
    """A small PNG: the element when given, else the viewport."""
    path = str(folder / name)
    if selector:
        page.locator(selector).first.screenshot(path=path)
    else:
        page.screenshot(path=path)


def test_a_site_owner_walks_the_admin_side(
    browser: Browser, fresh_site: WordPress, pixpress_server: Pixpress, screenshots: Path
) -> None:
    plugin = fresh_site
    pixpress_server.add_token(TOKEN, 100.0)
    # The library that is there before pixpress (the plugin is inactive: nothing queued).
    library = [int(plugin.upload_media(CORPUS / "photo" / name)["id"]) for name in LIBRARY]
    originals = {(i, n): p.read_bytes() for i in library for n, p in files_on_disk(plugin, i).items()}

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        source = str(message.location.get("url") or "")
        if "Failed to load resource" in message.text and source and not source.startswith(plugin.url):
            return  # WordPress's own off-site resources (avatars): no internet here
        errors.append(f"{message.page.url if message.page else '?'}: {message.text} ({source})")

    context.on("console", on_console)
    context.on("weberror", lambda error: errors.append(f"page error: {error.error}"))
    page = context.new_page()
    try:
        page.goto(f"{plugin.url}/wp-login.php")
        page.fill("#user_login", plugin.admin_user)
        page.fill("#user_pass", plugin.admin_password)
        page.click("#wp-submit")
        page.wait_for_url("**/wp-admin/**")

        # 1. Activation lands in the wizard.
        page.goto(f"{plugin.url}/wp-admin/plugins.php")
        page.click('tr[data-slug="pixpress"] .activate a')
        page.wait_for_url("**/index.php?page=pixpress-setup**")
        assert page.get_attribute("#pixpress-wizard", "data-step") == "connect"
        page.fill("#pixpress-wizard-url", pixpress_server.url)
        page.check("#pixpress-wizard-allow-private")  # the test server is on loopback
        page.fill("#pixpress-wizard-token", TOKEN)
        _shot(page, screenshots, "wizard-connect.png", "#pixpress-wizard")
        page.click("#pixpress-wizard-connect-submit")
        page.wait_for_url("**step=formats**")
        assert "Connected to pixpress" in page.inner_text("#pixpress-wizard-connected")
        assert page.is_checked("#pixpress-wizard-webp") and page.is_checked("#pixpress-wizard-avif")
        assert page.is_checked("#pixpress-wizard-auto") and page.is_checked('input[value="lossy"]')
        _shot(page, screenshots, "wizard-formats.png", "#pixpress-wizard")
        page.click("#pixpress-wizard-formats-submit")
        page.wait_for_url("**step=done**")
        assert page.is_visible("#pixpress-wizard-done")
        settings = plugin.php_json("return Pixpress_Settings::all();")
        assert (settings["token"], settings["webp"], settings["avif"], settings["mode"]) == (
            TOKEN,
            True,
            True,
            "lossy",
        )

        # 2. An upload through Media > Add New: queued, then optimized (as a system cron runs WP-Cron).
        page.goto(f"{plugin.url}/wp-admin/media-new.php")
        page.set_input_files("#plupload-upload-ui input[type=file]", str(UPLOAD))
        page.wait_for_selector("#media-items .media-item a.edit-attachment", timeout=180_000)
        href = page.get_attribute("#media-items .media-item a.edit-attachment", "href") or ""
        match = re.search(r"post=(\d+)", href)
        assert match, href
        uploaded = int(match.group(1))
        assert run_queue_until_empty(plugin)
        assert record(plugin, uploaded)["status"] == "optimized"
        page.goto(f"{plugin.url}/wp-admin/upload.php?mode=list")
        row = page.locator(f"#pixpress-status-{uploaded}")
        assert row.get_attribute("data-status") == "optimized" and "smaller" in row.inner_text()

        # 3. Bulk: the bar moves while a tick works; pause; the quota stops the run.
        mu_plugin = plugin.content_dir / "mu-plugins" / "pixpress-test-admin-browser.php"
        mu_plugin.write_text(BULK_FILTERS % "120.0")
        page.add_init_script(PAGE_PROBE)
        bulk_url = f"{plugin.url}/wp-admin/upload.php?page=pixpress-bulk"
        page.goto(bulk_url)
        candidates: list[int] = plugin.php_json("return Pixpress_Bulk::candidates();")
        total = len(candidates)
        assert set(library) <= set(candidates) and total >= 5, candidates
        # A new licence for the bulk: the first two images of the run this month, not the third; the
        # rest after the monthly reset.
        fulls = [files_on_disk(plugin, i)["full"].stat().st_size for i in candidates]
        low, high = max(fulls[0] + fulls[1], sum(fulls[2:])), sum(fulls[:3])
        assert low < high, fulls
        quota = (low + high) // 2
        pixpress_server.add_token(BULK_TOKEN, quota / MB)
        configure(plugin, token=BULK_TOKEN)
        page.click("#pixpress-bulk-start")
        page.wait_for_function(
            "() => ['paused_quota', 'paused_error', 'paused', 'done']"
            ".includes(document.getElementById('pixpress-bulk-state').dataset.state)",
            timeout=600_000,
        )
        assert _state(page) == "paused_quota", (
            plugin.php_json("return Pixpress_Bulk::status();"),
            page.evaluate("window.__pxTicks"),
            pixpress_server.usage(BULK_TOKEN),
            quota,
        )
        ticks = page.evaluate("window.__pxTicks")
        bar = page.evaluate("window.__pxBar")
        first = ticks[0]
        during = [value for at, value in bar if first["start"] < at < (first["end"] or 1e18)]
        polls = [
            at for at in page.evaluate("window.__pxPolls") if first["start"] < at < (first["end"] or 1e18)
        ]
        # The bar moved during the first tick (two images, then the quota), not only when it ended.
        assert any(value > 0 for value in during), (ticks, polls, during[-20:])
        assert _done(plugin) == 2
        message = page.inner_text("#pixpress-bulk-message")
        assert "quota" in message.lower(), message
        stopped = candidates[2]  # refused half way: its record says pending
        page.goto(f"{plugin.url}/wp-admin/upload.php?mode=list")
        row = page.locator(f"#pixpress-status-{stopped}")
        assert row.get_attribute("data-status") == "quota", row.inner_html()
        assert "Stopped: quota used up" in row.inner_text() and "monthly reset" in row.inner_text()
        _shot(page, screenshots, "media-list-quota.png", f"#post-{stopped}")

        # The vendor's reset (with room for the rest), Resume, then Pause while it works, Resume.
        pixpress_server.reset_usage(BULK_TOKEN)
        mu_plugin.write_text(BULK_FILTERS % "0.1")  # one image a tick: Pause lands with images left
        page.goto(bulk_url)
        page.click("#pixpress-bulk-resume")
        page.wait_for_selector('#pixpress-bulk-state[data-state="running"]')
        page.click("#pixpress-bulk-pause")
        page.wait_for_selector('#pixpress-bulk-state[data-state="paused"]')
        assert page.is_enabled("#pixpress-bulk-resume") and not page.is_enabled("#pixpress-bulk-pause")
        # The tick in flight ends; no new one starts while paused.
        assert wait_for(lambda: all(t["end"] for t in page.evaluate("window.__pxTicks")), timeout_s=120)
        ticks_paused = len(page.evaluate("window.__pxTicks"))
        done_paused = _done(plugin)
        time.sleep(4)
        assert len(page.evaluate("window.__pxTicks")) == ticks_paused
        # Nothing moves while paused. (On a quick run the tick in flight when Pause lands may have been
        # the last one: then the run is paused with nothing left, and Resume below just ends it.)
        assert _done(plugin) == done_paused <= total and _state(page) == "paused"
        page.click("#pixpress-bulk-resume")
        page.wait_for_selector('#pixpress-bulk-state[data-state="done"]', timeout=600_000)
        assert page.inner_text("#pixpress-bulk-progress-text").startswith(f"{total} of {total}")
        saved = page.inner_text("#pixpress-bulk-saved")
        assert re.match(r"Saved [\d.,]+ [KM]B \([\d.,]+%\) on \d+ images\.", saved), saved
        _shot(page, screenshots, "bulk-saved.png", "#pixpress-bulk")
        assert queued(plugin) == []
        assert all(record(plugin, i)["status"] == "optimized" for i in library)

        # 4. Grid view: a badge on each tile; the details modal with the before/after slider.
        page.goto(f"{plugin.url}/wp-admin/upload.php?mode=grid")
        tile = f'.attachment[data-id="{library[3]}"]'
        page.wait_for_selector(f"{tile} .pixpress-badge", timeout=60_000)
        assert page.inner_text(f"{tile} .pixpress-badge") == "Optimized"
        assert page.get_attribute(f"{tile} .pixpress-badge", "data-status") == "optimized"
        _shot(page, screenshots, "media-grid.png", ".attachments-browser")
        page.click(tile)
        page.wait_for_selector(".media-modal .pixpress-compare-range", timeout=60_000)
        assert "Optimized" in page.inner_text(".media-modal .pixpress-status")
        page.eval_on_selector(
            ".media-modal .pixpress-compare-range",
            "r => { r.value = 20; r.dispatchEvent(new Event('input', { bubbles: true })); }",
        )
        clip = page.eval_on_selector(".media-modal .pixpress-compare-before", "img => img.style.clipPath")
        assert "80%" in clip, clip
        page.wait_for_function(
            "() => [...document.querySelectorAll('.media-modal .pixpress-compare img')]"
            ".every(img => img.complete && img.naturalWidth > 0)"
        )
        _shot(page, screenshots, "media-compare.png", ".media-modal .compat-field-pixpress")
        page.keyboard.press("Escape")

        # 5. Restore two images through the Media Library's bulk actions.
        page.goto(f"{plugin.url}/wp-admin/upload.php?mode=list")
        for attachment_id in library[:2]:
            page.check(f"#cb-select-{attachment_id}")
        page.select_option("#bulk-action-selector-top", "pixpress_bulk_restore")
        page.click("#doaction")
        page.wait_for_selector("#pixpress-bulk-action-notice")
        assert "2 images restored" in page.inner_text("#pixpress-bulk-action-notice")
        for attachment_id in library[:2]:
            assert page.get_attribute(f"#pixpress-status-{attachment_id}", "data-status") == "restored"
            for name, path in files_on_disk(plugin, attachment_id).items():
                assert path.read_bytes() == originals[(attachment_id, name)], (attachment_id, name)
        page.goto(f"{plugin.url}/wp-admin/upload.php?mode=grid")
        page.wait_for_selector(f'.attachment[data-id="{library[0]}"] .pixpress-badge', timeout=60_000)
        assert page.inner_text(f'.attachment[data-id="{library[0]}"] .pixpress-badge') == "Restored"
    finally:
        context.close()
    assert not errors, errors
