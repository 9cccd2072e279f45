"""Settings > pixpress through the real form (options.php with its nonce, the plugin's sanitizer), the
connection test button, the quota on the page and in the dashboard widget; and uninstall.php."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import CORPUS
from tests.wordpress.conftest import WordPress
from tests.wordpress.plugin import Pixpress, configure, login, record

TOKEN = "site-token-settings-0005"
PHOTO = CORPUS / "photo" / "paris_exif_xmp_icc.jpg"


@pytest.fixture(scope="module")
def site(plugin: WordPress, pixpress_server: Pixpress) -> Iterator[WordPress]:
    pixpress_server.add_token(TOKEN, 100.0)
    saved = plugin.php_json("return get_option('pixpress_settings');")
    configure(plugin, token=TOKEN, auto_optimize=False, webp=False, avif=False, skip_sizes=[])
    yield plugin
    # Later modules expect the settings they found.
    plugin.php(f"update_option('pixpress_settings', json_decode('{json.dumps(saved)}', true));")


@pytest.fixture(scope="module")
def admin(site: WordPress) -> Iterator[httpx.Client]:
    client = login(site, site.admin_user, site.admin_password)
    yield client
    client.close()


def _form_fields(page: str, form_id: str) -> dict[str, str]:
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', page, re.DOTALL)
    assert form, form_id
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", form.group(0)):
        attrs = {k: v1 or v2 for k, v1, v2 in re.findall(r"""([\w-]+)=(?:"([^"]*)"|'([^']*)')""", tag)}
        if attrs.get("type") == "hidden" and "name" in attrs:
            fields[html.unescape(attrs["name"])] = html.unescape(attrs.get("value", ""))
    return fields


def test_the_settings_form_saves_sanitized_values_and_keeps_the_token(
    site: WordPress, admin: httpx.Client, pixpress_server: Pixpress
) -> None:
    page = admin.get("/wp-admin/options-general.php", params={"page": "pixpress"}).text
    fields = _form_fields(page, "pixpress-settings-form")
    assert fields["option_page"] == "pixpress"
    assert 'id="pixpress-allow_private"' in page and 'id="pixpress-max-download-mb"' in page
    assert fields["_wpnonce"]
    data: dict[str, Any] = {
        **fields,
        "pixpress_settings[server_url]": pixpress_server.url + "/",
        "pixpress_settings[token]": "",  # empty: keep the saved one
        "pixpress_settings[mode]": "<script>bogus</script>",
        "pixpress_settings[keep_metadata]": "all",
        "pixpress_settings[sizes][]": ["full", "thumbnail"],
        "pixpress_settings[webp]": "1",
        "pixpress_settings[allow_private]": "1",  # the server is on loopback
        "pixpress_settings[max_download_mb]": "99999",
    }
    saved = admin.post("/wp-admin/options.php", data=data)
    assert saved.status_code == 302, saved.text[:1000]
    settings: dict[str, Any] = site.php_json("return Pixpress_Settings::all();")
    assert settings["server_url"] == pixpress_server.url  # trailing slash dropped
    assert settings["token"] == TOKEN
    assert settings["mode"] == "lossy"  # unknown mode: the default
    assert settings["keep_metadata"] == "all"
    assert {"full", "thumbnail"}.isdisjoint(settings["skip_sizes"])
    assert "medium" in settings["skip_sizes"]
    assert settings["webp"] is True and settings["avif"] is False
    assert settings["auto_optimize"] is False  # unticked box
    assert settings["allow_private"] is True
    assert settings["max_download_mb"] == 1024  # clamped

    # A sizes setting is obeyed: medium is left alone.
    attachment_id = int(site.upload_media(PHOTO)["id"])
    rec = site.php_json(f"return Pixpress_Optimizer::optimize({attachment_id}, true);")
    assert set(rec["files"]) == {"full", "thumbnail"}, rec["files"]
    assert record(site, attachment_id)["status"] in ("optimized", "skipped")


def test_connection_test_and_quota_on_the_page_and_the_dashboard(admin: httpx.Client) -> None:
    page = admin.get("/wp-admin/options-general.php", params={"page": "pixpress"}).text
    nonce = re.search(
        r'name="_wpnonce" value="([^"]+)"', page.split('value="pixpress_test_connection"', 1)[1]
    )
    assert nonce
    tested = admin.post(
        "/wp-admin/admin-post.php", data={"action": "pixpress_test_connection", "_wpnonce": nonce.group(1)}
    )
    assert tested.status_code == 302
    page = admin.get("/wp-admin/options-general.php", params={"page": "pixpress"}).text
    assert 'id="pixpress-notice"' in page and "Connected to pixpress" in page
    assert re.search(r'id="pixpress-quota-limit">100(\.|,)00 MB<', page), page[page.find("pixpress-quota") :][
        :500
    ]

    dashboard = admin.get("/wp-admin/index.php").text
    assert 'id="pixpress_dashboard"' in dashboard
    assert 'id="pixpress-quota-remaining"' in dashboard
    assert 'id="pixpress-dashboard-counts"' in dashboard


def test_deleting_an_image_deletes_its_backups_and_siblings(site: WordPress) -> None:
    configure(site, webp=True)
    attachment_id = int(site.upload_media(CORPUS / "photo" / "coffee.png")["id"])  # WebP is smaller
    rec = site.php_json(f"return Pixpress_Optimizer::optimize({attachment_id}, true);")
    assert rec["status"] == "optimized", rec
    leftovers = []
    for entry in rec["files"].values():
        leftovers.append(site.uploads_dir / "pixpress-backup" / entry["file"])
        leftovers.extend(site.uploads_dir / f"{entry['file']}.{fmt}" for fmt in entry["siblings"])
    assert leftovers and all(path.is_file() for path in leftovers if "pixpress-backup" in str(path))
    assert any(str(path).endswith(".webp") for path in leftovers), json.dumps(rec)
    assert all(path.is_file() for path in leftovers)

    deleted = site.rest_request("DELETE", f"/wp/v2/media/{attachment_id}", params={"force": "true"})
    assert deleted.status_code == 200, deleted.text
    assert [path for path in leftovers if path.exists()] == []
    configure(site, webp=False)


def test_uninstall_removes_settings_queue_cron_and_transients_but_leaves_files(
    site: WordPress, pixpress_server: Pixpress
) -> None:
    attachment_id = int(site.upload_media(PHOTO)["id"])
    rec = site.php_json(f"return Pixpress_Optimizer::optimize({attachment_id}, true);")
    assert rec["status"] == "optimized", rec
    main = site.uploads_dir / rec["files"]["full"]["file"]
    backup = site.uploads_dir / "pixpress-backup" / rec["files"]["full"]["file"]
    optimized_bytes = main.read_bytes()
    site.php(
        f"Pixpress_Queue::add({attachment_id}, 'bulk'); Pixpress_Queue::schedule(60);"
        "Pixpress_Service::remember_quota(['used_mb' => 1, 'remaining_mb' => 2, 'limit_mb' => 3]);"
        "update_option('pixpress_bulk', ['state' => 'paused']);"
    )
    state = site.php_json(
        "global $wpdb; return ["
        "'table' => $wpdb->get_var(\"SHOW TABLES LIKE '{$wpdb->prefix}pixpress_queue'\"),"
        "'cron' => [wp_next_scheduled('pixpress_cron'), wp_next_scheduled('pixpress_process_queue')],"
        "'options' => [get_option('pixpress_settings'), get_option('pixpress_bulk')],"
        "'quota' => get_transient('pixpress_quota')];"
    )
    assert state["table"] and all(state["cron"]) and all(state["options"]) and state["quota"]
    htaccess = site.uploads_dir / ".htaccess"
    htaccess.write_text("# the owner's line\n")
    assert site.php_json("Pixpress_Folders::add('themes'); return Pixpress_Delivery_Rules::write();") is True
    rules = htaccess.read_text()

    site.php("deactivate_plugins('pixpress/pixpress.php');")
    assert htaccess.read_text() == "# the owner's line\n"  # deactivation takes the delivery rules out
    htaccess.write_text(rules)  # and uninstall does too, had they stayed
    site.php("uninstall_plugin('pixpress/pixpress.php');")
    try:
        after = site.php_json(
            "global $wpdb; return ["
            "'table' => $wpdb->get_var(\"SHOW TABLES LIKE '{$wpdb->prefix}pixpress_queue'\"),"
            "'files_table' => $wpdb->get_var(\"SHOW TABLES LIKE '{$wpdb->prefix}pixpress_files'\"),"
            "'cron' => [wp_next_scheduled('pixpress_cron'), wp_next_scheduled('pixpress_process_queue')],"
            "'options' => $wpdb->get_col(\"SELECT option_name FROM {$wpdb->options}"
            " WHERE option_name LIKE '%pixpress%' AND option_name NOT LIKE 'pixpress\\\\_dev\\\\_%'\"),"
            "'meta' => get_post_meta(" + str(attachment_id) + ", '_pixpress', true)];"
        )
        assert after["table"] is None
        assert after["files_table"] is None
        assert htaccess.read_text() == "# the owner's line\n"
        htaccess.unlink()
        assert after["cron"] == [False, False]
        assert after["options"] == [], after["options"]
        # Files stay as they are: the optimized image and its backup; the record too, for a reinstall.
        assert main.read_bytes() == optimized_bytes
        assert backup.read_bytes() == PHOTO.read_bytes()
        assert after["meta"]["status"] == "optimized"
    finally:
        site.activate_plugin("pixpress")
        configure(site, server_url=pixpress_server.url, allow_private=True, token=TOKEN, skip_sizes=[])
