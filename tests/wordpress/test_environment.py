"""The test WordPress itself works: media uploads through the REST API with the application password
make WordPress's thumbnails on disk, the router serves the uploads, WP-Cron runs events, plugins
activate. If these fail, a failing plugin test says nothing about the plugin."""

from __future__ import annotations

import io
import time
import uuid
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import CORPUS
from tests.wordpress.conftest import WordPress, WordPressPhpError

PHOTO = CORPUS / "photo" / "kodim03.png"


@pytest.fixture(scope="module")
def photo() -> Path:
    return PHOTO


def test_rest_api_authenticates_with_the_application_password(wordpress: WordPress) -> None:
    me = wordpress.rest_request("GET", "/wp/v2/users/me", params={"context": "edit"})
    assert me.status_code == 200, me.text
    assert me.json()["username"] == wordpress.admin_user
    assert "administrator" in me.json()["roles"]

    # Without credentials the same upload endpoint refuses: the auth above is what lets uploads in.
    anonymous = wordpress.http.post(
        "/",
        params={"rest_route": "/wp/v2/media"},
        content=b"x",
        headers={"Content-Type": "image/png", "Content-Disposition": 'attachment; filename="x.png"'},
    )
    assert anonymous.status_code == 401, anonymous.text


def test_front_page_is_rendered_by_a_theme(wordpress: WordPress) -> None:
    # Without a theme installed, WordPress answers every front-end page with an empty 200, and the
    # plugin's <picture> test would fail for a reason that has nothing to do with the plugin.
    page = wordpress.http.get("/")
    assert page.status_code == 200
    assert "<body" in page.text and "wp-block" in page.text, page.text[:500]


def test_upload_makes_thumbnails_on_disk_and_is_served(wordpress: WordPress, photo: Path) -> None:
    original = photo.read_bytes()
    with Image.open(photo) as im:
        width, height = im.size  # kodim03: 768x512

    media = wordpress.upload_media(photo)
    assert media["media_type"] == "image"
    assert media["mime_type"] == "image/png"

    meta = wordpress.php_json(f"return wp_get_attachment_metadata({int(media['id'])});")
    assert (meta["width"], meta["height"]) == (width, height)
    # WordPress's default sizes smaller than the image: thumbnail 150x150 (cropped), medium 300x300.
    assert {"thumbnail", "medium"} <= set(meta["sizes"]), meta["sizes"]
    assert (meta["sizes"]["thumbnail"]["width"], meta["sizes"]["thumbnail"]["height"]) == (150, 150)
    assert meta["sizes"]["medium"]["width"] == 300

    upload_dir = wordpress.uploads_dir / Path(meta["file"]).parent
    stored = wordpress.uploads_dir / meta["file"]
    assert stored.read_bytes() == original  # a PNG this small is kept as uploaded
    for name, size in meta["sizes"].items():
        on_disk = upload_dir / size["file"]
        assert on_disk.is_file(), f"{name}: {on_disk} missing"
        with Image.open(on_disk) as im:
            assert im.size == (size["width"], size["height"]), name

    # The router serves /wp-content/uploads/... from the run's content dir, bytes unchanged.
    source = wordpress.http.get(media["source_url"])
    assert source.status_code == 200
    assert source.headers["content-type"] == "image/png"
    assert source.content == original

    thumb_url = media["media_details"]["sizes"]["thumbnail"]["source_url"]
    thumb = wordpress.http.get(thumb_url)
    assert thumb.status_code == 200
    assert thumb.content == (upload_dir / meta["sizes"]["thumbnail"]["file"]).read_bytes()
    with Image.open(io.BytesIO(thumb.content)) as im:
        assert im.size == (150, 150)

    missing = wordpress.http.get(media["source_url"].replace(".png", "-no-such-size.png"))
    assert missing.status_code == 404


def _probe(wordpress: WordPress, token: str) -> object:
    return wordpress.php_json(f"return get_option('pixpress_dev_cron_probe_{token}', null);")


def test_wp_cron_runs_a_scheduled_event_through_wp_cron_php(wordpress: WordPress) -> None:
    token = uuid.uuid4().hex[:12]
    scheduled = wordpress.php_json(
        f"return wp_schedule_single_event(time() - 1, 'pixpress_dev_cron_probe', ['{token}'], true);"
    )
    assert scheduled is True
    assert _probe(wordpress, token) is None  # not run by scheduling it

    response = wordpress.run_cron()
    assert response.status_code == 200

    ran = _probe(wordpress, token)
    assert isinstance(ran, dict), "the event did not run"
    assert ran["doing_cron"] is True
    still_scheduled = wordpress.php_json(f"return wp_next_scheduled('pixpress_dev_cron_probe', ['{token}']);")
    assert still_scheduled is False


def test_wp_cron_is_spawned_by_a_page_view(wordpress: WordPress) -> None:
    """What a plugin relying on WP-Cron meets on a real site: a visitor's request spawns wp-cron.php
    through a loopback request, which php -S answers on a second worker (PHP_CLI_SERVER_WORKERS)."""
    token = uuid.uuid4().hex[:12]
    wordpress.php(
        "delete_transient('doing_cron');"
        f"wp_schedule_single_event(time() - 1, 'pixpress_dev_cron_probe', ['{token}'], true);"
    )
    assert _probe(wordpress, token) is None

    page = wordpress.http.get("/")
    assert page.status_code == 200

    deadline = time.monotonic() + 20
    ran = _probe(wordpress, token)
    while ran is None and time.monotonic() < deadline:
        time.sleep(0.25)
        ran = _probe(wordpress, token)
    assert isinstance(ran, dict), "a page view did not spawn WP-Cron within 20 s"
    assert ran["doing_cron"] is True


def test_activate_plugin_runs_its_code_on_requests(wordpress: WordPress) -> None:
    slug = f"pixpress-env-probe-{uuid.uuid4().hex[:8]}"
    folder = wordpress.content_dir / "plugins" / slug
    folder.mkdir()
    (folder / f"{slug}.php").write_text(
        "<?php\n/*\n * Plugin Name: pixpress environment probe\n */\n"
        "add_action('send_headers', function () { header('X-Pixpress-Env-Probe: active'); });\n"
    )

    before = wordpress.http.get("/")
    assert "x-pixpress-env-probe" not in before.headers

    assert wordpress.activate_plugin(slug) == f"{slug}/{slug}.php"
    assert wordpress.php_json(f"return is_plugin_active('{slug}/{slug}.php');") is True
    after = wordpress.http.get("/")
    assert after.headers.get("x-pixpress-env-probe") == "active"

    with pytest.raises(WordPressPhpError, match="no plugin"):
        wordpress.activate_plugin("no-such-plugin")
