"""Custom folders ("Other folders"): images outside the Media Library, here the active theme's own
images, are found, optimized in place by the real server (backups under uploads/pixpress-backup-folders,
charged once each, nothing sent twice), restored byte for byte; every path is resolved inside wp-content
and inside its folder, and what is not (a symbolic link out, `..`, the uploads folder, Debian's themes
linked from /usr/share) is refused and logged. The page's actions need the nonce and manage_options; the
table goes with uninstall."""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import CORPUS
from tests.wordpress.conftest import WordPress
from tests.wordpress.plugin import AccessLog, Pixpress, configure, login

TOKEN = "site-token-folders-0001"
TOKEN_NO_QUOTA = "site-token-folders-0002"
THEME = "pixpress-test-theme"
IMAGES = {
    "assets/images/hero.jpg": CORPUS / "photo" / "hubble_deep_field.jpg",
    "assets/images/logo.png": CORPUS / "graphic" / "logo.png",
    "assets/images/icons/kite.png": CORPUS / "photo" / "chelsea.png",
}


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        return im.size


def _folder_action(admin: httpx.Client, action: str, folder: str) -> httpx.Response:
    """What the folders page's button for `action` posts, with the page's nonce."""
    page = admin.get("/wp-admin/upload.php", params={"page": "pixpress-folders"}).text
    nonce = re.search(r'name="_wpnonce" value="([0-9a-f]+)"', page)
    assert nonce
    fields = {"action": "pixpress_folders", "pixpress_do": action, "pixpress_folder": folder}
    fields |= {"_wpnonce": nonce.group(1), "_wp_http_referer": "/wp-admin/upload.php?page=pixpress-folders"}
    return admin.post("/wp-admin/admin-post.php", data=fields)


def _rows(site: WordPress) -> dict[str, dict[str, Any]]:
    rows: list[dict[str, Any]] = site.php_json(
        'global $wpdb; return $wpdb->get_results("SELECT * FROM {$wpdb->prefix}pixpress_files", ARRAY_A);'
    )
    return {row["path"]: row for row in rows}


@pytest.fixture(scope="module")
def theme(plugin: WordPress, pixpress_server: Pixpress) -> Iterator[dict[str, Any]]:
    """A theme of the site's own (a real folder in wp-content/themes) with images, active; and a
    symbolic link in its images folder to an image outside wp-content."""
    pixpress_server.add_token(TOKEN, 100.0)
    configure(plugin, token=TOKEN, mode="lossy")
    root = plugin.content_dir / "themes" / THEME
    (root / "templates").mkdir(parents=True, exist_ok=True)
    (root / "style.css").write_text(f"/*\nTheme Name: {THEME}\n*/\n")
    (root / "index.php").write_text("<?php\n")
    (root / "templates" / "index.html").write_text("<!-- wp:paragraph --><p>hi</p><!-- /wp:paragraph -->\n")
    for rel, source in IMAGES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / rel)
    outside_dir = Path(tempfile.mkdtemp(prefix="pixpress-outside-"))
    outside = outside_dir / "secret.jpg"
    shutil.copyfile(CORPUS / "photo" / "rocket.jpg", outside)
    (root / "assets" / "images" / "linked.jpg").symlink_to(outside)
    previous = plugin.php("echo get_stylesheet();").strip()
    plugin.php(f"switch_theme('{THEME}');")
    try:
        yield {"root": root, "outside": outside, "rel": f"themes/{THEME}"}
    finally:
        plugin.php(f"switch_theme('{previous}');")
        # The theme leaves nothing behind: its folder, its row, WordPress's option for its mods.
        plugin.php(f"Pixpress_Folders::remove('themes/{THEME}'); delete_option('theme_mods_{THEME}');")
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(outside_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def optimized(plugin: WordPress, pixpress_server: Pixpress, theme: dict[str, Any]) -> dict[str, Any]:
    before_charged = pixpress_server.charged(TOKEN)
    added = plugin.php_json(f"return Pixpress_Folders::add('{theme['rel']}');")
    assert added == theme["rel"]
    scan = plugin.php_json(f"return Pixpress_Folders::scan('{theme['rel']}');")
    run = plugin.php_json(f"return Pixpress_Folders::process(120.0, '{theme['rel']}');")
    return {
        "scan": scan,
        "run": run,
        "charged": pixpress_server.charged(TOKEN),
        "before_charged": before_charged,
    }


@pytest.fixture(scope="module")
def admin(plugin: WordPress) -> Iterator[httpx.Client]:
    client = login(plugin, plugin.admin_user, plugin.admin_password)
    try:
        yield client
    finally:
        client.close()


def test_table_created_on_activation(plugin: WordPress) -> None:
    table = plugin.php_json(
        "global $wpdb; return $wpdb->get_var(\"SHOW TABLES LIKE '{$wpdb->prefix}pixpress_files'\");"
    )
    assert table == "wp_pixpress_files"


def test_the_active_theme_is_suggested_and_debians_linked_themes_are_not(
    plugin: WordPress, theme: dict[str, Any]
) -> None:
    suggestions = plugin.php_json("return Pixpress_Folders::suggestions();")
    assert theme["rel"] in suggestions
    assert "plugins/pixpress" not in suggestions  # a link to the repository, outside wp-content
    assert "themes/twentytwentythree" not in suggestions  # linked from /usr/share/wordpress
    assert "uploads" not in suggestions


@pytest.mark.parametrize(
    "folder",
    [
        "uploads",  # the Media Library's
        "uploads/pixpress-backup",
        "",  # wp-content itself holds uploads
        "themes/../uploads",
        "../../../etc",
        "/etc",
        "themes/twentytwentythree",  # a link out of wp-content
        "no/such/folder",
    ],
)
def test_folders_outside_or_of_the_media_library_are_refused(plugin: WordPress, folder: str) -> None:
    result = plugin.php_json(
        f"$r = Pixpress_Folders::add('{folder}'); return is_wp_error($r) ? $r->get_error_code() : $r;"
    )
    assert result.startswith("pixpress_folder_"), result
    assert folder not in plugin.php_json("return Pixpress_Folders::all();")


def test_a_year_folder_of_uploads_is_refused_and_logged(plugin: WordPress) -> None:
    year = plugin.uploads_dir / "2031"
    year.mkdir(exist_ok=True)
    result = plugin.php_json(
        "$r = Pixpress_Folders::add('uploads/2031'); return is_wp_error($r) ? $r->get_error_code() : $r;"
    )
    assert result == "pixpress_folder_refused"
    assert "pixpress: refused to add the folder" in plugin.debug_log.read_text(errors="replace")


def test_theme_images_are_optimized_in_place_with_backups(
    plugin: WordPress, theme: dict[str, Any], optimized: dict[str, Any]
) -> None:
    assert optimized["scan"] == {"found": 3, "added": 3, "refused": 1}, optimized["scan"]
    assert optimized["run"]["processed"] == 3 and optimized["run"]["stopped"] is None, optimized["run"]
    rows = _rows(plugin)
    for rel, source in IMAGES.items():
        path = theme["root"] / rel
        row = rows[f"{theme['rel']}/{rel}"]
        assert row["status"] == "optimized", row
        data = path.read_bytes()
        assert len(data) < len(source.read_bytes())
        assert int(row["after_bytes"]) == len(data) and int(row["before_bytes"]) == len(source.read_bytes())
        assert _size(data) == _size(source.read_bytes())
        backup = plugin.uploads_dir / "pixpress-backup-folders" / theme["rel"] / rel
        assert backup.read_bytes() == source.read_bytes()
    # Charged once per image, its own bytes.
    sent = sum(len(source.read_bytes()) for source in IMAGES.values())
    assert optimized["charged"][0] - optimized["before_charged"][0] == sent
    assert optimized["charged"][1] - optimized["before_charged"][1] == 3


def test_a_link_out_of_the_folder_is_refused_logged_and_untouched(
    plugin: WordPress, theme: dict[str, Any], optimized: dict[str, Any]
) -> None:
    assert theme["outside"].read_bytes() == (CORPUS / "photo" / "rocket.jpg").read_bytes()
    assert f"{theme['rel']}/assets/images/linked.jpg" not in _rows(plugin)
    log = plugin.debug_log.read_text(errors="replace")
    assert "pixpress: refused to read" in log and "linked.jpg" in log


def test_a_second_run_sends_nothing(
    plugin: WordPress, pixpress_server: Pixpress, theme: dict[str, Any], optimized: dict[str, Any]
) -> None:
    scan = plugin.php_json(f"return Pixpress_Folders::scan('{theme['rel']}');")
    assert scan["added"] == 0
    run = plugin.php_json(f"return Pixpress_Folders::process(60.0, '{theme['rel']}');")
    assert run["processed"] == 0
    assert pixpress_server.charged(TOKEN) == optimized["charged"]


def test_a_row_pointing_out_is_refused_when_processed(
    plugin: WordPress, pixpress_server: Pixpress, theme: dict[str, Any], optimized: dict[str, Any]
) -> None:
    """A row whose path climbs out (the table is data too) is refused, logged, and nothing is sent."""
    plugin.php(
        "global $wpdb; $wpdb->insert($wpdb->prefix . 'pixpress_files', array('folder' => '"
        + theme["rel"]
        + "', 'path' => '"
        + theme["rel"]
        + "/../../uploads/x.jpg', 'path_hash' => sha1('climb'), 'status' => 'pending'));"
    )
    run = plugin.php_json(f"return Pixpress_Folders::process(30.0, '{theme['rel']}');")
    assert run["processed"] == 1
    row = _rows(plugin)[f"{theme['rel']}/../../uploads/x.jpg"]
    assert (row["status"], row["error"]) == ("failed", "refused_path")
    assert "it is not inside the wp-content folder" in plugin.debug_log.read_text(errors="replace")
    assert pixpress_server.charged(TOKEN) == optimized["charged"]
    plugin.php(
        "global $wpdb; $wpdb->delete($wpdb->prefix . 'pixpress_files', array('path_hash' => sha1('climb')));"
    )


def test_the_page_lists_the_folder_and_its_actions_need_the_nonce(
    plugin: WordPress, admin: httpx.Client, theme: dict[str, Any], optimized: dict[str, Any]
) -> None:
    page = admin.get("/wp-admin/upload.php", params={"page": "pixpress-folders"})
    assert page.status_code == 200
    assert f'data-folder="{theme["rel"]}"' in page.text
    refused = admin.post(
        "/wp-admin/admin-post.php",
        data={"action": "pixpress_folders", "pixpress_do": "restore", "pixpress_folder": theme["rel"]},
    )
    assert refused.status_code == 403
    # Nothing was restored.
    assert all(row["status"] == "optimized" for row in _rows(plugin).values())
    anonymous = httpx.post(
        plugin.url + "/wp-admin/admin-post.php",
        data={"action": "pixpress_folders", "pixpress_do": "restore", "pixpress_folder": theme["rel"]},
    )
    assert anonymous.status_code in (302, 400, 403)
    assert all(row["status"] == "optimized" for row in _rows(plugin).values())


def test_restore_through_the_page_brings_back_the_exact_bytes(
    plugin: WordPress, admin: httpx.Client, theme: dict[str, Any], optimized: dict[str, Any]
) -> None:
    done = _folder_action(admin, "restore", theme["rel"])
    assert done.status_code == 302, done.text[:1000]
    for rel, source in IMAGES.items():
        assert (theme["root"] / rel).read_bytes() == source.read_bytes(), rel
        assert not (plugin.uploads_dir / "pixpress-backup-folders" / theme["rel"] / rel).exists()
    assert {row["status"] for row in _rows(plugin).values()} == {"restored"}


def test_optimize_through_the_page_takes_the_restored_images_again(
    plugin: WordPress, admin: httpx.Client, theme: dict[str, Any], optimized: dict[str, Any]
) -> None:
    done = _folder_action(admin, "optimize", theme["rel"])
    assert done.status_code == 302, done.text[:1000]
    assert {row["status"] for row in _rows(plugin).values()} == {"optimized"}
    for rel, source in IMAGES.items():
        assert len((theme["root"] / rel).read_bytes()) < len(source.read_bytes()), rel
    shown = admin.get("/wp-admin/upload.php", params={"page": "pixpress-folders"}).text
    assert "3 images done now, 0 left" in shown


def test_a_quota_refusal_in_a_folder_run_pauses_everything_until_resumed(
    plugin: WordPress, pixpress_server: Pixpress, theme: dict[str, Any], optimized: dict[str, Any]
) -> None:
    """Like the Media Library's queue: the next runs (folders and media alike) send nothing."""
    pixpress_server.add_token(TOKEN_NO_QUOTA, 0.0)
    configure(plugin, token=TOKEN_NO_QUOTA, mode="lossy")
    extra = theme["root"] / "assets" / "images" / "extra.jpg"
    shutil.copyfile(CORPUS / "photo" / "rocket.jpg", extra)
    try:
        assert plugin.php_json(f"return Pixpress_Folders::scan('{theme['rel']}');")["added"] == 1
        run = plugin.php_json(f"return Pixpress_Folders::process(60.0, '{theme['rel']}');")
        assert (run["processed"], run["stopped"]) == (0, "paused"), run
        pause = plugin.php_json("return Pixpress_Processor::pause();")
        assert pause["reason"] == "quota" and pause["code"] == "quota_exceeded", pause
        log = AccessLog(pixpress_server)
        again = plugin.php_json(f"return Pixpress_Folders::process(60.0, '{theme['rel']}');")
        media = plugin.php_json("return Pixpress_Processor::run(5.0);")
        assert again["stopped"] == "paused" and media["stopped"] == "paused"
        assert log.submits() == 0  # nothing sent while paused
        assert _rows(plugin)[f"{theme['rel']}/assets/images/extra.jpg"]["status"] == "pending"
    finally:
        plugin.php(
            "Pixpress_Processor::resume(); global $wpdb; $wpdb->delete($wpdb->prefix . 'pixpress_files',"
            f" array('path' => '{theme['rel']}/assets/images/extra.jpg'));"
        )
        extra.unlink(missing_ok=True)
        configure(plugin, token=TOKEN, mode="lossy")
