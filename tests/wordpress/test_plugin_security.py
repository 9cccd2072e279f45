"""What WordPress expects of a plugin: the licence token never reaches a user who cannot manage
options (and only masked for those who can), the theme may supply it through `pixpress_token`, and
every action needs its nonce and capability."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import CORPUS
from tests.wordpress.conftest import WordPress
from tests.wordpress.plugin import Pixpress, configure, login, record

TOKEN = "site-token-security-0003-secret"
THEME_TOKEN = "theme-licence-token-0004-secret"
EDITOR = ("pixpress-editor", "editor-password-0123456789")
PHOTO = CORPUS / "photo" / "paris_exif_xmp_icc.jpg"


@pytest.fixture(scope="module")
def site(plugin: WordPress, pixpress_server: Pixpress) -> WordPress:
    pixpress_server.add_token(TOKEN, 100.0)
    configure(plugin, token=TOKEN, auto_optimize=False, webp=False, avif=False, mode="lossy")
    plugin.php(
        f"if (!username_exists('{EDITOR[0]}')) {{ wp_insert_user(['user_login' => '{EDITOR[0]}',"
        f" 'user_pass' => '{EDITOR[1]}', 'user_email' => 'editor@example.com', 'role' => 'editor']); }}"
    )
    return plugin


@pytest.fixture(scope="module")
def admin(site: WordPress) -> Iterator[httpx.Client]:
    client = login(site, site.admin_user, site.admin_password)
    yield client
    client.close()


@pytest.fixture(scope="module")
def editor(site: WordPress) -> Iterator[httpx.Client]:
    client = login(site, *EDITOR)
    yield client
    client.close()


@pytest.fixture
def image(site: WordPress) -> int:
    return int(site.upload_media(PHOTO)["id"])


def test_the_token_is_never_printed_to_an_editor_and_masked_for_an_admin(
    admin: httpx.Client, editor: httpx.Client
) -> None:
    settings = admin.get("/wp-admin/options-general.php", params={"page": "pixpress"})
    assert settings.status_code == 200
    assert 'id="pixpress-settings-form"' in settings.text
    assert TOKEN not in settings.text
    assert TOKEN[-4:] in html.unescape(settings.text)  # the masked hint: ••••••••cret

    for path, params in (
        ("/wp-admin/options-general.php", {"page": "pixpress"}),
        ("/wp-admin/upload.php", {"page": "pixpress-bulk"}),
        ("/wp-admin/upload.php", {"mode": "list"}),
        ("/wp-admin/index.php", {}),
    ):
        page = editor.get(path, params=params)
        assert TOKEN not in page.text, path
        if params.get("page"):
            assert page.status_code == 403, (path, page.status_code)  # manage_options pages


def test_a_theme_supplies_the_token_through_the_filter(site: WordPress, admin: httpx.Client) -> None:
    mu_plugin = site.content_dir / "mu-plugins" / "pixpress-test-theme-token.php"
    mu_plugin.write_text(f"<?php add_filter('pixpress_token', function () {{ return '{THEME_TOKEN}'; }});\n")
    try:
        assert site.php("echo Pixpress_Settings::token(), ' ', Pixpress_Settings::token_source();") == (
            f"{THEME_TOKEN} filter"
        )
        page = admin.get("/wp-admin/options-general.php", params={"page": "pixpress"})
        assert 'id="pixpress-token-source"' in page.text
        assert THEME_TOKEN not in page.text
        assert TOKEN not in page.text
        assert THEME_TOKEN[-4:] in html.unescape(page.text)
    finally:
        mu_plugin.unlink()
    assert site.php("echo Pixpress_Settings::token_source();") == "settings"


def test_actions_without_a_nonce_are_refused(site: WordPress, admin: httpx.Client, image: int) -> None:
    for action in ("pixpress_optimize", "pixpress_restore"):
        refused = admin.get("/wp-admin/admin-post.php", params={"action": action, "attachment_id": image})
        assert refused.status_code == 403, (action, refused.status_code)
        forged = admin.get(
            "/wp-admin/admin-post.php",
            params={"action": action, "attachment_id": image, "_wpnonce": "0badc0de"},
        )
        assert forged.status_code == 403, action
    assert record(site, image) == {}

    bulk_before = site.php_json("return Pixpress_Bulk::state();")
    for data in (
        {"action": "pixpress_bulk_tick"},
        {"action": "pixpress_bulk_control", "command": "start", "nonce": "0badc0de"},
    ):
        ajax = admin.post("/wp-admin/admin-ajax.php", data=data)
        assert ajax.status_code == 403, data
        assert ajax.text.strip() == "-1"
    no_js = admin.post("/wp-admin/admin-post.php", data={"action": "pixpress_bulk", "command": "start"})
    assert no_js.status_code == 403
    assert site.php_json("return Pixpress_Bulk::state();") == bulk_before

    settings_form = admin.post(
        "/wp-admin/options.php",
        data={
            "option_page": "pixpress",
            "action": "update",
            "pixpress_settings[server_url]": "http://evil.example",
        },
    )
    assert settings_form.status_code == 403
    assert site.php_json("return Pixpress_Settings::get('server_url');") != "http://evil.example"
    assert site.php_json("return Pixpress_Settings::token();") == TOKEN


def test_an_editor_optimizes_and_restores_with_the_links_of_the_media_library(
    site: WordPress, editor: httpx.Client, image: int
) -> None:
    listing = editor.get("/wp-admin/upload.php", params={"mode": "list"})
    assert listing.status_code == 200
    link = re.search(
        rf'href="([^"]+)" class="pixpress-optimize" id="pixpress-optimize-{image}"', listing.text
    )
    assert link, "no Optimize now link for the editor (upload_files)"
    done = editor.get(html.unescape(link.group(1)))
    assert done.status_code == 302
    rec = record(site, image)
    assert rec["status"] == "optimized", rec  # EXIF and XMP go (keep_metadata=icc): always smaller
    main = site.uploads_dir / rec["files"]["full"]["file"]
    assert main.stat().st_size == rec["files"]["full"]["after"] < PHOTO.stat().st_size

    listing = editor.get("/wp-admin/upload.php", params={"mode": "list"})
    assert f'id="pixpress-status-{image}" data-status="optimized"' in listing.text
    restore = re.search(
        rf'href="([^"]+)" class="pixpress-restore" id="pixpress-restore-{image}"', listing.text
    )
    assert restore, "no Restore original link after optimizing"
    assert editor.get(html.unescape(restore.group(1))).status_code == 302
    assert main.read_bytes() == PHOTO.read_bytes()
    assert record(site, image)["status"] == "restored"
