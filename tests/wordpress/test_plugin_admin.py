"""The plugin's admin side as a site owner meets it, through real admin pages (cookies from
wp-login.php, nonces read from the pages) against a real pixpress: the defaults the docs promise, the
Media Library row after a quota refusal and with a low quota, ids once per page, the connection test's
calls, the bulk page's counts, totals and savings, the Media Library's bulk actions, the grid view's
and the details modal's status, the before/after slider, and the first-run wizard."""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tests.conftest import CORPUS
from tests.wordpress.conftest import REPO_ROOT, WordPress
from tests.wordpress.hostile_server import hostile_server
from tests.wordpress.plugin import (
    Pixpress,
    bulk_nonce,
    configure,
    files_on_disk,
    login,
    queued,
    record,
    run_queue_until_empty,
)

TOKEN = "site-token-admin-0010"
TINY_TOKEN = "site-token-admin-tiny-0011"  # a quota smaller than any image: every submit is refused
SMALL = CORPUS / "photo" / "paris_exif_xmp_icc.jpg"  # 19 KB
OTHER = CORPUS / "photo" / "rocket.jpg"
MB = 1024 * 1024


@pytest.fixture(scope="module")
def site(plugin: WordPress, pixpress_server: Pixpress) -> Iterator[WordPress]:
    pixpress_server.add_token(TOKEN, 100.0)
    pixpress_server.add_token(TINY_TOKEN, 0.001)
    saved = plugin.php_json("return get_option('pixpress_settings');")
    configure(plugin, token=TOKEN, auto_optimize=False, webp=False, avif=False, skip_sizes=[])
    yield plugin
    _quiet(plugin)
    plugin.php(f"update_option('pixpress_settings', json_decode('{json.dumps(saved)}', true));")


def _quiet(site: WordPress) -> None:
    """No pause, no run, nothing queued: what later tests expect to find."""
    site.php(
        "delete_option('pixpress_paused'); delete_option('pixpress_bulk');"
        "delete_transient('pixpress_quota');"
        'global $wpdb; $wpdb->query("DELETE FROM {$wpdb->prefix}pixpress_queue");'
    )


@pytest.fixture
def quiet(site: WordPress) -> Iterator[WordPress]:
    _quiet(site)
    yield site
    _quiet(site)
    configure(site, token=TOKEN, auto_optimize=False, webp=False, avif=False)


@pytest.fixture(scope="module")
def admin(site: WordPress) -> Iterator[httpx.Client]:
    client = login(site, site.admin_user, site.admin_password)
    yield client
    client.close()


@contextmanager
def no_cron_runs(site: WordPress) -> Iterator[None]:
    """WP-Cron's queue runs do nothing meanwhile (a zero budget) and no loopback runner starts, so the
    queue stays as the test set it."""
    path = site.content_dir / "mu-plugins" / "pixpress-test-admin.php"
    path.write_text(
        "<?php add_filter('pixpress_cron_budget_s', function () { return 0.0; });\n"
        "add_filter('pixpress_loopback_runner', '__return_false');\n"
    )
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _list_page(admin: httpx.Client) -> str:
    page = admin.get("/wp-admin/upload.php", params={"mode": "list"})
    assert page.status_code == 200, page.text[:2000]
    return page.text


def _status_block(page: str, attachment_id: int) -> str:
    match = re.search(
        rf'<div class="pixpress-status" id="pixpress-status-{attachment_id}"[^>]*>.*?</div>', page, re.S
    )
    assert match, f"no status block for {attachment_id}"
    return html.unescape(match.group(0))


def test_defaults_are_what_the_docs_say_lossy_with_webp_and_avif(site: WordPress) -> None:
    defaults: dict[str, Any] = site.php_json("return Pixpress_Settings::defaults();")
    assert defaults["mode"] == "lossy"
    assert defaults["webp"] is True and defaults["avif"] is True and defaults["picture"] is True
    # An unknown mode from the form falls back to the default too.
    assert (
        site.php_json("return Pixpress_Settings::sanitize(['mode' => 'bogus', 'sizes_shown' => 1])['mode'];")
        == "lossy"
    )
    docs = (REPO_ROOT / "docs" / "wordpress.md").read_text()
    defaults_line = next(line for line in docs.splitlines() if "**Compression**" in line)
    assert "lossy (the default" in defaults_line
    assert re.search(r"\*\*WebP and AVIF\*\*[^*]{0,300}on by default", docs), "docs must say WebP/AVIF are on"


def test_the_row_says_the_quota_stopped_an_image_and_new_uploads_see_the_quota(
    quiet: WordPress, admin: httpx.Client
) -> None:
    site = quiet
    configure(site, token=TINY_TOKEN)
    stopped = int(site.upload_media(SMALL)["id"])
    site.php(f"Pixpress_Queue::add({stopped}, 'upload');")
    assert run_queue_until_empty(site) is False  # paused on quota_exceeded
    assert record(site, stopped)["status"] == "pending"  # the record alone would say "In progress"
    configure(site, auto_optimize=True)
    waiting = int(site.upload_media(OTHER)["id"])  # queued behind the pause, no record yet
    assert waiting in queued(site)

    page = _list_page(admin)
    block = _status_block(page, stopped)
    assert 'data-status="quota"' in block and "In progress" not in block, block
    assert "Stopped: quota used up" in block and "monthly reset" in block, block
    block = _status_block(page, waiting)
    assert 'data-status="queued"' in block and 'data-quota="exhausted"' in block, block
    assert "Queued" in block and "quota is used up" in block, block

    # The pause lifted (no cron run meanwhile): a low quota is still said on the waiting images.
    with no_cron_runs(site):
        site.php(
            "delete_option('pixpress_paused');"
            "Pixpress_Service::remember_quota(['used_mb' => 95, 'remaining_mb' => 5, 'limit_mb' => 100]);"
        )
        block = _status_block(_list_page(admin), waiting)
    assert 'data-quota="low"' in block and "running low: 5" in block, block


def test_optimize_now_refused_by_the_quota_is_not_left_in_progress(
    quiet: WordPress, admin: httpx.Client
) -> None:
    site = quiet
    configure(site, token=TINY_TOKEN)
    attachment_id = int(site.upload_media(SMALL)["id"])
    page = _list_page(admin)
    link = re.search(
        rf'href="([^"]+)" class="pixpress-optimize" id="pixpress-optimize-{attachment_id}"', page
    )
    assert link
    done = admin.get(
        html.unescape(link.group(1)), headers={"Referer": f"{site.url}/wp-admin/upload.php?mode=list"}
    )
    assert done.status_code == 302
    page = _list_page(admin)
    assert "quota" in page[page.find('id="pixpress-notice"') :][:600].lower()
    block = _status_block(page, attachment_id)
    assert 'data-status="quota"' in block, block
    assert attachment_id in queued(site)  # done after the reset, with nothing more to click


def test_ids_are_once_per_page_in_the_media_library(quiet: WordPress, admin: httpx.Client) -> None:
    site = quiet
    attachment_id = int(site.upload_media(SMALL)["id"])
    rec = site.php_json(f"return Pixpress_Optimizer::optimize({attachment_id}, true);")
    assert rec["status"] == "optimized", rec
    page = _list_page(admin)
    ids = Counter(re.findall(r'\bid="(pixpress[^"]*)"', page))
    assert ids[f"pixpress-restore-{attachment_id}"] == 1
    assert [name for name, n in ids.items() if n > 1] == []
    # The row's hover links are there too, by class.
    assert page.count('class="pixpress-restore"') >= 2


def test_the_connection_test_calls_health_once(
    site: WordPress, admin: httpx.Client, pixpress_server: Pixpress
) -> None:
    with hostile_server() as hostile:
        configure(site, server_url=hostile.url, token=TOKEN)
        try:
            page = admin.get("/wp-admin/options-general.php", params={"page": "pixpress"}).text
            nonce = re.search(
                r'name="_wpnonce" value="([^"]+)"', page.split('value="pixpress_test_connection"', 1)[1]
            )
            assert nonce
            hostile.behaviour.requests.clear()
            tested = admin.post(
                "/wp-admin/admin-post.php",
                data={"action": "pixpress_test_connection", "_wpnonce": nonce.group(1)},
            )
            assert tested.status_code == 302
            calls = list(hostile.behaviour.requests)
            features = site.php_json("return get_transient('pixpress_features');")
        finally:
            configure(site, server_url=pixpress_server.url, token=TOKEN)
    assert calls.count("GET /health") == 1, calls
    assert calls.count("GET /api/optimize/quota") == 1, calls
    assert features == []  # kept from the same answer


def test_bulk_counts_each_image_once_and_takes_in_images_already_queued(
    quiet: WordPress, admin: httpx.Client
) -> None:
    site = quiet
    # Uploads waiting in the queue when the run starts (WP-Cron kept from taking them meanwhile).
    fresh = [int(site.upload_media(path)["id"]) for path in (SMALL, OTHER)]
    with no_cron_runs(site):
        site.php("".join(f"Pixpress_Queue::add({i}, 'upload');" for i in fresh))
        counts: dict[str, Any] = site.php_json("return Pixpress_Bulk::counts();")
        assert set(fresh) <= set(queued(site))
        categories = ("optimized", "pending", "untouched", "skipped", "failed", "restored")
        assert sum(counts[key] for key in categories) == counts["total"], counts
        assert counts["pending"] == len(queued(site))

        # What the run will do, read before it starts (nothing else takes from the queue meanwhile).
        candidates = set(site.php_json("return Pixpress_Bulk::candidates();")) | set(fresh)
        page = admin.get("/wp-admin/upload.php", params={"page": "pixpress-bulk"}).text
        nonce = bulk_nonce(page)
        started = admin.post(
            "/wp-admin/admin-ajax.php",
            data={"action": "pixpress_bulk_control", "nonce": nonce, "command": "start"},
        ).json()["data"]
    assert started["total"] == len(candidates), (started["total"], len(candidates))
    status = started
    for _ in range(60):
        if status["state"] != "running":
            break
        status = admin.post(
            "/wp-admin/admin-ajax.php", data={"action": "pixpress_bulk_tick", "nonce": nonce}
        ).json()["data"]
    assert status["state"] == "done", status
    assert status["done"] == status["total"] == len(candidates)
    assert all(record(site, i).get("status") in ("optimized", "skipped", "failed") for i in candidates)


def test_the_library_total_saved_on_the_bulk_page_and_the_dashboard(
    quiet: WordPress, admin: httpx.Client
) -> None:
    site = quiet
    # Nothing but this test optimizes meanwhile (no WP-Cron run, no loopback runner on the uploads).
    with no_cron_runs(site):
        for path in (SMALL, OTHER):
            attachment_id = int(site.upload_media(path)["id"])
            assert (
                site.php_json(f"return Pixpress_Optimizer::optimize({attachment_id}, true);")["status"]
                == "optimized"
            )
        records = site.php_json(
            'global $wpdb; $ids = $wpdb->get_col("SELECT post_id FROM {$wpdb->postmeta}'
            " WHERE meta_key = '_pixpress_status' AND meta_value = 'optimized'\");"
            "return array_map(function ($id) { return get_post_meta($id, '_pixpress', true); }, $ids);"
        )
        before = sum(int(r["before"]) for r in records)
        after = sum(int(r["after"]) for r in records)
        savings: dict[str, Any] = site.php_json("return Pixpress_Bulk::savings();")
        assert (savings["before"], savings["after"], savings["images"]) == (before, after, len(records))
        assert savings["saved"] == before - after > 0
        percent = site.php_json(f"return number_format_i18n({round(100 * (before - after) / before, 1)}, 1);")
        size = site.php_json(f"return size_format({before - after}, 1);")
        expected = f"Saved {size} ({percent}%) on {len(records)} images."

        bulk = admin.get("/wp-admin/upload.php", params={"page": "pixpress-bulk"}).text
        saved = re.search(r'<p id="pixpress-bulk-saved"><strong>([^<]*)</strong>', bulk)
        assert saved and html.unescape(saved.group(1)) == expected, saved
        dashboard = admin.get("/wp-admin/index.php").text
        saved = re.search(r'<p id="pixpress-dashboard-saved"><strong>([^<]*)</strong>', dashboard)
        assert saved and html.unescape(saved.group(1)) == expected, saved


def _bulk_media_nonce(page: str) -> str:
    form = page[page.find('id="posts-filter"') :]
    match = re.search(r'name="_wpnonce" value="([^"]+)"', form)
    assert match
    return match.group(1)


def test_optimize_and_restore_as_media_library_bulk_actions(quiet: WordPress, admin: httpx.Client) -> None:
    site = quiet
    ids = [int(site.upload_media(path)["id"]) for path in (SMALL, OTHER)]
    originals = {(i, n): p.read_bytes() for i in ids for n, p in files_on_disk(site, i).items()}
    page = _list_page(admin)
    assert (
        '<option value="pixpress_bulk_optimize">' in page and '<option value="pixpress_bulk_restore">' in page
    )

    def bulk(action: str) -> httpx.Response:
        return admin.get(
            "/wp-admin/upload.php",
            params={
                "mode": "list",
                "action": action,
                "media[]": ids,
                "_wpnonce": _bulk_media_nonce(_list_page(admin)),
            },
            headers={"Referer": f"{site.url}/wp-admin/upload.php?mode=list"},
        )

    done = bulk("pixpress_bulk_optimize")
    assert done.status_code == 302 and "pixpress_count=2" in done.headers["location"], done.headers
    assert set(ids) <= set(queued(site))
    assert run_queue_until_empty(site)
    assert all(record(site, i)["status"] == "optimized" for i in ids)
    assert any(p.read_bytes() != originals[(i, n)] for i in ids for n, p in files_on_disk(site, i).items())

    done = bulk("pixpress_bulk_restore")
    assert done.status_code == 302 and "pixpress_count=2" in done.headers["location"], done.headers
    notice = admin.get(done.headers["location"]).text
    assert "2 images restored to their originals." in notice
    for i in ids:
        assert record(site, i)["status"] == "restored"
        for name, path in files_on_disk(site, i).items():
            assert path.read_bytes() == originals[(i, name)], (i, name)

    # Without the list table's nonce nothing happens.
    refused = admin.get(
        "/wp-admin/upload.php", params={"mode": "list", "action": "pixpress_bulk_optimize", "media[]": ids}
    )
    assert refused.status_code == 403
    assert not set(ids) & set(queued(site))


def test_restore_all_on_the_bulk_page(quiet: WordPress, admin: httpx.Client) -> None:
    site = quiet
    ids = [int(site.upload_media(path)["id"]) for path in (SMALL, OTHER)]
    originals = {(i, n): p.read_bytes() for i in ids for n, p in files_on_disk(site, i).items()}
    for i in ids:
        assert site.php_json(f"return Pixpress_Optimizer::optimize({i}, true);")["status"] == "optimized"
    page = admin.get("/wp-admin/upload.php", params={"page": "pixpress-bulk"}).text
    form = page[page.find('id="pixpress-bulk-restore-form"') :]
    nonce = re.search(r'name="_wpnonce" value="([^"]+)"', form)
    assert nonce
    bad = admin.post("/wp-admin/admin-post.php", data={"action": "pixpress_bulk_restore", "_wpnonce": "nope"})
    assert bad.status_code == 403
    assert all(record(site, i)["status"] == "optimized" for i in ids)
    done = admin.post(
        "/wp-admin/admin-post.php", data={"action": "pixpress_bulk_restore", "_wpnonce": nonce.group(1)}
    )
    assert done.status_code == 302
    assert "Restored" in admin.get("/wp-admin/upload.php", params={"page": "pixpress-bulk"}).text
    counts = site.php_json("return Pixpress_Bulk::counts();")
    assert counts["optimized"] == 0, counts
    for i in ids:
        assert record(site, i)["status"] == "restored"
        for name, path in files_on_disk(site, i).items():
            assert path.read_bytes() == originals[(i, name)], (i, name)


def test_grid_models_and_the_details_modal_carry_the_status_and_the_comparison(
    quiet: WordPress, admin: httpx.Client
) -> None:
    site = quiet
    attachment_id = int(site.upload_media(SMALL)["id"])
    original = files_on_disk(site, attachment_id)["full"].read_bytes()
    assert (
        site.php_json(f"return Pixpress_Optimizer::optimize({attachment_id}, true);")["status"] == "optimized"
    )

    # What the grid view loads: admin-ajax.php?action=query-attachments.
    answer = admin.post(
        "/wp-admin/admin-ajax.php",
        data={
            "action": "query-attachments",
            "query[posts_per_page]": "80",
            "query[orderby]": "date",
            "query[order]": "DESC",
        },
    ).json()
    assert answer["success"], answer
    model = next(m for m in answer["data"] if m["id"] == attachment_id)
    assert model["pixpress"]["status"] == "optimized" and model["pixpress"]["label"] == "Optimized"
    assert "smaller" in model["pixpress"]["detail"]
    grid = admin.get("/wp-admin/upload.php", params={"mode": "grid"}).text
    assert "assets/pixpress-media.js" in grid and "assets/pixpress-admin.css" in grid

    # What the details modal shows: the attachment's fields (attachment_fields_to_edit), which the
    # model carries as its `compat` markup.
    fields = html.unescape(model["compat"]["item"])
    assert 'data-status="optimized"' in fields and "Restore original" in fields
    assert 'id="pixpress-' not in fields  # the modal may be on a page with the list's ids
    before = re.search(r'class="pixpress-compare-before" src="([^"]+)"', fields)
    after = re.search(r'class="pixpress-compare-after" src="([^"]+)"', fields)
    assert before and after, fields
    before_url, after_url = before.group(1), after.group(1)
    assert site.http.get(before_url).content == original
    assert (
        site.http.get(after_url).content
        == files_on_disk(site, attachment_id)["full"].read_bytes()
        != original
    )
    assert 'class="pixpress-compare-range"' in fields

    # The attachment's edit screen has it too ("Compare" in the row leads there).
    edit = admin.get("/wp-admin/post.php", params={"post": attachment_id, "action": "edit"}).text
    assert 'id="pixpress-compare"' in edit and "pixpress-compare-before" in edit


def test_the_first_run_wizard_after_activation(
    quiet: WordPress, admin: httpx.Client, pixpress_server: Pixpress
) -> None:
    site = quiet
    site.php(
        "deactivate_plugins('pixpress/pixpress.php'); delete_option('pixpress_wizard');"
        "delete_option('pixpress_settings'); delete_transient('pixpress_connection');"
    )
    try:
        site.activate_plugin("pixpress")
        landed = admin.get("/wp-admin/plugins.php", params={"activate": "true"})
        assert landed.status_code == 302 and "page=pixpress-setup" in landed.headers["location"], (
            landed.headers
        )
        # Once: the next visit stays, with a notice pointing to the wizard.
        again = admin.get("/wp-admin/plugins.php", params={"activate": "true"})
        assert again.status_code == 200 and 'id="pixpress-setup-notice"' in again.text

        page = admin.get("/wp-admin/index.php", params={"page": "pixpress-setup"}).text
        assert 'data-step="connect"' in page
        nonce = re.search(r'name="_wpnonce" value="([^"]+)"', page)
        assert nonce

        def connect(token: str) -> httpx.Response:
            fields = {
                "action": "pixpress_wizard",
                "step": "connect",
                "_wpnonce": nonce.group(1),
                "pixpress[server_url]": pixpress_server.url,
                "pixpress[allow_private]": "1",
                "pixpress[token]": token,
            }
            return admin.post("/wp-admin/admin-post.php", data=fields)

        wrong = connect("not-a-token-of-this-server")
        assert wrong.status_code == 302 and "step=connect" in wrong.headers["location"]
        back = admin.get(wrong.headers["location"]).text
        assert 'id="pixpress-wizard-error"' in back and "token" in back.lower()

        connected = connect(TOKEN)
        assert connected.status_code == 302 and "step=formats" in connected.headers["location"]
        formats = admin.get(connected.headers["location"]).text
        assert "Connected to pixpress" in formats
        assert re.search(r'id="pixpress-wizard-webp"[^>]*checked', formats)
        assert re.search(r'id="pixpress-wizard-avif"[^>]*checked', formats)
        assert re.search(r'value="lossy"[^>]*checked', formats)
        finished = admin.post(
            "/wp-admin/admin-post.php",
            data={
                "action": "pixpress_wizard",
                "step": "formats",
                "_wpnonce": nonce.group(1),
                "pixpress[webp]": "1",
                "pixpress[avif]": "1",
                "pixpress[mode]": "lossy",
            },
        )
        assert finished.status_code == 302 and "step=done" in finished.headers["location"]
        done = admin.get(finished.headers["location"]).text
        assert 'id="pixpress-wizard-done"' in done and "Bulk pixpress" in done
        settings = site.php_json("return Pixpress_Settings::all();")
        assert settings["server_url"] == pixpress_server.url and settings["token"] == TOKEN
        assert (settings["webp"], settings["avif"], settings["mode"]) == (True, True, "lossy")
        assert settings["auto_optimize"] is False  # unticked in the form
        assert 'id="pixpress-setup-notice"' not in admin.get("/wp-admin/index.php").text

        # Only administrators; never without the nonce.
        assert (
            admin.post(
                "/wp-admin/admin-post.php", data={"action": "pixpress_wizard", "step": "connect"}
            ).status_code
            == 403
        )
    finally:
        configure(site, server_url=pixpress_server.url, allow_private=True, token=TOKEN, skip_sizes=[])
