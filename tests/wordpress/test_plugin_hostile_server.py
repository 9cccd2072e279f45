"""The plugin against a hostile pixpress (tests/wordpress/hostile_server.py on loopback): an image with
PHP appended is never written into uploads, as the file or as its WebP sibling; a download of hundreds
of megabytes ends in a clear error, not PHP's memory fatal; and the server is called through
wp_safe_remote_request, so a loopback or private URL is refused unless the site owner allowed it."""

from __future__ import annotations

import html
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CORPUS
from tests.wordpress.conftest import WordPress
from tests.wordpress.hostile_server import PHP_PAYLOAD, HostileServer, hostile_server
from tests.wordpress.plugin import configure, files_on_disk, login, record

TOKEN = "site-token-hostile-0007"
PHOTO = CORPUS / "photo" / "paris_exif_xmp_icc.jpg"


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    with hostile_server() as server:
        yield server


@pytest.fixture(scope="module")
def site(plugin: WordPress, hostile: HostileServer) -> Iterator[WordPress]:
    saved = plugin.php_json("return get_option('pixpress_settings');")
    configure(
        plugin,
        server_url=hostile.url,
        token=TOKEN,
        auto_optimize=False,
        webp=True,
        avif=False,
        mode="lossy",
        skip_sizes=[],
    )
    yield plugin
    plugin.php(f"update_option('pixpress_settings', json_decode('{json.dumps(saved)}', true));")
    plugin.php("delete_transient('pixpress_features'); delete_transient('pixpress_quota');")


@pytest.fixture
def behaviour(hostile: HostileServer) -> Iterator[Any]:
    yield hostile.behaviour
    hostile.behaviour.append_php_to = set()
    hostile.behaviour.download_mb = 0


@pytest.fixture(scope="module")
def admin(site: WordPress) -> Iterator[httpx.Client]:
    client = login(site, site.admin_user, site.admin_password)
    yield client
    client.close()


def _upload(site: WordPress) -> tuple[int, dict[str, Path], dict[str, bytes]]:
    attachment_id = int(site.upload_media(PHOTO)["id"])
    files = files_on_disk(site, attachment_id)
    return attachment_id, files, {name: path.read_bytes() for name, path in files.items()}


def _optimize(site: WordPress, attachment_id: int) -> dict[str, Any]:
    """Pixpress_Optimizer::optimize, or the error code it threw."""
    result: dict[str, Any] = site.php_json(
        f"try {{ return Pixpress_Optimizer::optimize({attachment_id}, true); }}"
        " catch (\\Pixpress\\Exception\\PixpressException $e) { return ['thrown' => $e->getErrorCode()]; }"
    )
    return result


def _no_php_in_uploads(site: WordPress, files: dict[str, Path]) -> None:
    for path in files.values():
        for candidate in (path, Path(f"{path}.webp")):
            if candidate.exists():
                assert PHP_PAYLOAD not in candidate.read_bytes(), candidate


def test_a_clean_result_is_written_with_its_webp_sibling(site: WordPress, behaviour: Any) -> None:
    # The control: the same server without the payload is a server the plugin works with.
    attachment_id, files, before = _upload(site)
    rec = _optimize(site, attachment_id)
    assert rec["status"] == "optimized", rec
    assert files["full"].read_bytes() != before["full"]
    assert files["full"].read_bytes().endswith(b"\xff\xd9")
    assert Path(f"{files['full']}.webp").is_file()


def test_an_image_with_php_appended_is_never_written(site: WordPress, behaviour: Any) -> None:
    behaviour.append_php_to = {"jpeg"}
    attachment_id, files, before = _upload(site)
    rec = _optimize(site, attachment_id)

    assert {name: path.read_bytes() for name, path in files.items()} == before  # nothing replaced
    _no_php_in_uploads(site, files)
    assert not Path(f"{files['full']}.webp").exists()
    assert rec["files"]["full"]["status"] == "failed", rec
    assert rec["files"]["full"]["error"] == "unexpected_result"
    assert "pixpress: refused the server's result for " in site.debug_log.read_text(errors="replace")
    assert record(site, attachment_id)["status"] == "failed"


def test_a_webp_with_php_appended_is_not_kept_as_the_sibling(site: WordPress, behaviour: Any) -> None:
    behaviour.append_php_to = {"webp"}
    attachment_id, files, before = _upload(site)
    rec = _optimize(site, attachment_id)

    assert rec["files"]["full"]["status"] == "optimized", rec  # the JPEG itself is fine
    assert files["full"].read_bytes() != before["full"]
    assert rec["files"]["full"]["siblings"] == []
    assert not Path(f"{files['full']}.webp").exists()
    _no_php_in_uploads(site, files)


def test_a_700_mb_download_ends_in_a_clear_error_not_a_memory_fatal(
    site: WordPress, behaviour: Any, admin: httpx.Client
) -> None:
    # "Optimize now" as the reviewer clicked it: a real admin request (memory_limit 512M in the test
    # server), the default cap of 100 MB.
    attachment_id, files, before = _upload(site)
    listing = admin.get("/wp-admin/upload.php", params={"mode": "list"})
    link = re.search(
        rf'href="([^"]+)" class="pixpress-optimize" id="pixpress-optimize-{attachment_id}"', listing.text
    )
    assert link, "no Optimize now link"
    behaviour.download_mb = 700

    done = admin.get(html.unescape(link.group(1)))

    assert done.status_code == 302, done.text[-2000:]
    page = admin.get("/wp-admin/upload.php", params={"mode": "list"}).text
    assert "The server sent a larger answer than the 100 MB allowed" in html.unescape(page)
    assert {name: path.read_bytes() for name, path in files.items()} == before
    # The streamed body went to a temporary file, removed afterwards.
    leftovers = [
        p
        for p in Path(tempfile.gettempdir()).glob("pixpress-*")
        if p.is_file() and p.stat().st_size > 1 << 20
    ]
    assert leftovers == []


def test_the_download_cap_is_a_setting(site: WordPress, behaviour: Any) -> None:
    configure(site, max_download_mb=2)
    try:
        attachment_id, files, before = _upload(site)
        behaviour.download_mb = 5
        assert _optimize(site, attachment_id) == {"thrown": "response_too_large"}
        assert {name: path.read_bytes() for name, path in files.items()} == before
    finally:
        configure(site, max_download_mb=100)


def test_a_private_address_is_refused_unless_the_owner_allows_it(
    site: WordPress, hostile: HostileServer
) -> None:
    configure(site, allow_private=False)
    try:
        sent = len(hostile.behaviour.requests)
        for url in (hostile.url, "http://10.0.0.5:8080", "http://192.168.1.20"):
            configure(site, server_url=url)
            result = site.php_json("return Pixpress_Service::test_connection();")
            assert result["ok"] is False, (url, result)
            assert "local or private address" in result["message"], result
            assert 'tick "Allow a private address"' in result["message"]
        assert len(hostile.behaviour.requests) == sent  # nothing reached the server
    finally:
        configure(site, server_url=hostile.url, allow_private=True)
    result = site.php_json("return Pixpress_Service::test_connection();")
    assert result["ok"] is True, result
    assert "Connected to pixpress hostile" in result["message"]
