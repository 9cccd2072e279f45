"""WebP/AVIF delivery by the web server: the plugin writes its rules into uploads/.htaccess (between its
markers, the owner's lines kept), a real Apache (Debian's apache2, on a loopback port, mapping uploads
with an Alias as Debian's WordPress does) then answers photo.jpg with photo.jpg.avif or .webp on the
Accept header with Vary: Accept; the settings page's check fetches a test image and reports it; the rules
come out again (button, deactivation) and the check then says delivery does not work. The nginx snippet
is on the page."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import needs
from tests.conftest import CORPUS
from tests.wordpress import apache
from tests.wordpress.conftest import WordPress
from tests.wordpress.plugin import Pixpress, configure, login, run_queue_until_empty

TOKEN = "site-token-delivery-0001"
PHOTO = CORPUS / "photo" / "coffee.png"  # its WebP and AVIF are both smaller: both siblings kept
OWNER_LINES = (
    "# the site owner's own rule\n<IfModule mod_headers.c>\nHeader set X-Owner-Rule kept\n</IfModule>\n"
)
AVIF = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"
WEBP = "image/webp,image/*,*/*;q=0.8"
NEITHER = "image/png,image/*;q=0.8,*/*;q=0.5"


@pytest.fixture(scope="module")
def server(plugin: WordPress, pixpress_server: Pixpress) -> Iterator[apache.Apache]:
    """Apache serving a fresh uploads folder, which WordPress uses for this module (the options
    upload_path and upload_url_path)."""
    reason = apache.missing()
    if reason is not None:
        needs.missing(needs.WORDPRESS, reason)
    root = Path(tempfile.mkdtemp(prefix="pixpress-apache-"))
    uploads = root / "uploads"
    uploads.mkdir()
    running = apache.start(root, uploads)
    pixpress_server.add_token(TOKEN, 100.0)
    configure(plugin, token=TOKEN, mode="lossy", webp=True, avif=True, picture=False, auto_optimize=True)
    plugin.php(
        f"update_option('upload_path', '{uploads}'); update_option('upload_url_path', '{running.url}');"
        "delete_option('pixpress_delivery_check');"
    )
    try:
        yield running
    finally:
        plugin.php(
            "delete_option('upload_path'); delete_option('upload_url_path');"
            "delete_option('pixpress_delivery_check');"
        )
        configure(plugin, webp=False, avif=False, picture=True)
        running.stop()
        apache.remove(root)


@pytest.fixture(scope="module")
def admin(plugin: WordPress) -> Iterator[httpx.Client]:
    client = login(plugin, plugin.admin_user, plugin.admin_password)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def photo(plugin: WordPress, server: apache.Apache) -> dict[str, Any]:
    """A JPEG uploaded and optimized with AVIF and WebP siblings, in the Apache-served uploads."""
    attachment_id = int(plugin.upload_media(PHOTO)["id"])
    assert run_queue_until_empty(plugin)
    meta_file = plugin.php_json(f"return get_post_meta({attachment_id}, '_wp_attached_file', true);")
    full = server.root / "uploads" / meta_file
    assert plugin.php_json(f"return get_attached_file({attachment_id});") == str(full)
    return {"id": attachment_id, "path": full, "url": f"{server.url}/{meta_file}"}


def _htaccess(server: apache.Apache) -> Path:
    return server.root / "uploads" / ".htaccess"


def _get(url: str, accept: str) -> httpx.Response:
    return httpx.get(url, headers={"Accept": accept}, timeout=30.0)


def test_rules_are_written_between_markers_keeping_the_owners_lines(
    plugin: WordPress, server: apache.Apache
) -> None:
    _htaccess(server).write_text(OWNER_LINES)
    assert plugin.php_json("return Pixpress_Delivery_Rules::write();") is True
    text = _htaccess(server).read_text()
    assert text.startswith(OWNER_LINES)
    assert "# BEGIN pixpress" in text and "# END pixpress" in text
    assert "RewriteCond %{HTTP_ACCEPT} image/avif" in text
    assert plugin.php_json("return Pixpress_Delivery_Rules::installed();") is True
    # Written twice, still one block.
    assert plugin.php_json("return Pixpress_Delivery_Rules::write();") is True
    assert _htaccess(server).read_text().count("# BEGIN pixpress") == 1


def test_apache_serves_the_avif_and_webp_siblings_on_accept(
    plugin: WordPress, server: apache.Apache, photo: dict[str, Any]
) -> None:
    full: Path = photo["path"]
    avif, webp = full.with_name(full.name + ".avif"), full.with_name(full.name + ".webp")
    assert avif.is_file() and webp.is_file(), list(full.parent.iterdir())
    got_avif = _get(photo["url"], AVIF)
    assert got_avif.status_code == 200
    assert got_avif.headers["content-type"] == "image/avif"
    assert got_avif.content == avif.read_bytes()
    assert "accept" in got_avif.headers.get("vary", "").lower()
    got_webp = _get(photo["url"], WEBP)
    assert got_webp.headers["content-type"] == "image/webp"
    assert got_webp.content == webp.read_bytes()
    assert "accept" in got_webp.headers.get("vary", "").lower()
    got_jpeg = _get(photo["url"], NEITHER)
    assert got_jpeg.headers["content-type"] == "image/png"
    assert got_jpeg.content == full.read_bytes()
    assert "accept" in got_jpeg.headers.get("vary", "").lower()
    # The owner's lines still apply; a sibling asked for by name (a <picture> source) is not negotiated.
    assert got_jpeg.headers.get("x-owner-rule") == "kept"
    direct = _get(f"{photo['url']}.webp", AVIF)
    assert direct.headers["content-type"] == "image/webp"
    assert direct.content == webp.read_bytes()


def test_the_check_reports_delivery_working(plugin: WordPress, server: apache.Apache) -> None:
    check = plugin.php_json("return Pixpress_Delivery_Rules::check();")
    assert check["ok"] is True, check
    assert check["vary"] is True
    assert {browser: got["served"] for browser, got in check["results"].items()} == {
        "avif": "avif",
        "webp": "webp",
        "jpeg": "jpeg",
    }
    # The test images are gone afterwards.
    assert not (server.root / "uploads" / "pixpress-delivery-check").exists()


def test_settings_page_shows_the_rules_the_nginx_snippet_and_the_check(
    plugin: WordPress, server: apache.Apache, admin: httpx.Client
) -> None:
    page = admin.get("/wp-admin/options-general.php", params={"page": "pixpress"}).text
    assert 'id="pixpress-nginx-snippet"' in page
    assert "try_files $uri$pixpress_avif $uri$pixpress_webp $uri =404;" in page
    assert "location ~* ^/wp-content/uploads/.+\\.(jpe?g|png)$ {" in page
    assert "Apache: the rules are in uploads/.htaccess." in page
    assert 'data-browser="avif" data-served="avif"' in page
    assert "Delivery works" in page


def test_page_actions_need_the_nonce(plugin: WordPress, server: apache.Apache, admin: httpx.Client) -> None:
    refused = admin.post(
        "/wp-admin/admin-post.php", data={"action": "pixpress_delivery", "pixpress_do": "remove"}
    )
    assert refused.status_code == 403
    assert plugin.php_json("return Pixpress_Delivery_Rules::installed();") is True


def test_removing_the_rules_through_the_page_keeps_the_owners_lines_and_the_check_sees_it(
    plugin: WordPress, server: apache.Apache, admin: httpx.Client, photo: dict[str, Any]
) -> None:
    page = admin.get("/wp-admin/options-general.php", params={"page": "pixpress"}).text
    nonce = re.search(
        r'name="action" value="pixpress_delivery">\s*'
        r'<input type="hidden" id="_wpnonce" name="_wpnonce" value="([0-9a-f]+)"',
        page,
    )
    assert nonce, "the delivery form's nonce"
    for do in ("remove", "check"):
        done = admin.post(
            "/wp-admin/admin-post.php",
            data={"action": "pixpress_delivery", "pixpress_do": do, "_wpnonce": nonce.group(1)},
        )
        assert done.status_code == 302, done.text[:1000]
    assert _htaccess(server).read_text() == OWNER_LINES
    got = _get(photo["url"], AVIF)
    assert got.headers["content-type"] == "image/png"
    check = plugin.php_json("return Pixpress_Delivery_Rules::last_check();")
    assert check["ok"] is False and check["results"]["avif"]["served"] == "jpeg", check
    page = admin.get("/wp-admin/options-general.php", params={"page": "pixpress"}).text
    assert "does not serve the AVIF or WebP copies" in page
    assert "Apache: the rules are not in uploads/.htaccess." in page


def test_a_htaccess_holding_only_the_rules_goes_with_them_and_deactivation_removes_them(
    plugin: WordPress, server: apache.Apache, pixpress_server: Pixpress
) -> None:
    _htaccess(server).unlink()
    assert plugin.php_json("return Pixpress_Delivery_Rules::write();") is True
    assert plugin.php_json("return Pixpress_Delivery_Rules::remove();") is True
    assert not _htaccess(server).exists()

    assert plugin.php_json("return Pixpress_Delivery_Rules::write();") is True
    plugin.php("deactivate_plugins('pixpress/pixpress.php');")
    try:
        assert not _htaccess(server).exists()
    finally:
        plugin.activate_plugin("pixpress")
