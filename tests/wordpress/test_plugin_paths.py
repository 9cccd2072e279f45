"""The plugin reads, writes and deletes only inside the uploads folder and its backup folder, judged by
real location: attachment metadata is data (an importer, another plugin or a compromised account can
write `2026/12/../../../../victim.txt` into `_wp_attached_file`), so a path that climbs out with `..` or
a symbolic link is refused and logged, on delete, restore and optimize alike."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.wordpress.conftest import WordPress

CLIMBING = "2026/12/../../../../victim.txt"  # 4 levels up from uploads/2026/12


@dataclass
class Planted:
    attachment_id: int
    as_backup: Path  # where Pixpress_Backup::path() of CLIMBING lands: wp-content/victim.txt
    as_file: Path  # where the attachment's own path lands: wp-content/../victim.txt
    as_sibling: Path  # its WebP sibling


def _attachment(site: WordPress, attached_file: str) -> int:
    """An attachment whose `_wp_attached_file` and metadata are written as they come, as an importer can."""
    attachment_id: int = site.php_json(
        "$id = wp_insert_attachment(['post_mime_type' => 'image/jpeg', 'post_title' => 'climbing',"
        " 'post_status' => 'inherit'], false);"
        f"update_post_meta($id, '_wp_attached_file', '{attached_file}');"
        f"update_post_meta($id, '_wp_attachment_metadata', ['width' => 64, 'height' => 64,"
        f" 'file' => '{attached_file}', 'sizes' => []]);"
        "return $id;"
    )
    return attachment_id


@pytest.fixture
def planted(plugin: WordPress) -> Iterator[Planted]:
    uploads = plugin.uploads_dir
    # The folders a real upload in December 2026 and its backup would have made: `..` needs them to exist.
    (uploads / "2026" / "12").mkdir(parents=True, exist_ok=True)
    (uploads / "pixpress-backup" / "2026" / "12").mkdir(parents=True, exist_ok=True)
    content = plugin.content_dir
    planted = Planted(
        attachment_id=_attachment(plugin, CLIMBING),
        as_backup=content / "victim.txt",
        as_file=content.parent / "victim.txt",
        as_sibling=content.parent / "victim.txt.webp",
    )
    planted.as_backup.write_text("wp-content/victim.txt: not the plugin's\n")
    planted.as_sibling.write_text("victim.txt.webp: not the plugin's\n")
    planted.as_file.unlink(missing_ok=True)
    yield planted
    for path in (planted.as_backup, planted.as_file, planted.as_sibling):
        path.unlink(missing_ok=True)


def test_deleting_the_attachment_deletes_nothing_outside_uploads(plugin: WordPress, planted: Planted) -> None:
    log_size = plugin.debug_log.stat().st_size if plugin.debug_log.exists() else 0
    assert plugin.php_json(f"return (bool) wp_delete_attachment({planted.attachment_id}, true);") is True

    assert planted.as_backup.read_text() == "wp-content/victim.txt: not the plugin's\n"
    assert planted.as_sibling.read_text() == "victim.txt.webp: not the plugin's\n"
    log = plugin.debug_log.read_bytes()[log_size:].decode(errors="replace")
    assert "pixpress: refused to use " in log and "victim.txt: it is not inside the" in log, log


def test_restore_copies_nothing_onto_a_path_outside_uploads(plugin: WordPress, planted: Planted) -> None:
    restored = plugin.php_json(f"return Pixpress_Restore::restore({planted.attachment_id});")

    assert restored == 0
    assert not planted.as_file.exists()  # the old code copied wp-content/victim.txt here...
    assert planted.as_backup.is_file()  # ...and deleted it as a used backup
    assert planted.as_sibling.is_file()


def test_files_outside_uploads_are_never_read_or_sent(plugin: WordPress, tmp_path: Path) -> None:
    # Optimize reads each file of Pixpress_Attachment::files() and sends it to the server: a climbing
    # path, or a symbolic link out of uploads (to a JPEG, or to wp-config.php), is left out.
    outside = tmp_path / "outside.jpg"
    shutil.copy(CORPUS / "photo" / "rocket.jpg", outside)
    link = plugin.uploads_dir / "2026" / "12" / "pixpress-link-out.jpg"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(outside)
    try:
        for attached in ("2026/12/../../../wp-config.jpg", "2026/12/pixpress-link-out.jpg"):
            attachment_id = _attachment(plugin, attached)
            files = plugin.php_json(f"return Pixpress_Attachment::files({attachment_id});")
            assert files == [], (attached, files)
            plugin.php(f"wp_delete_attachment({attachment_id}, true);")
        # A file really inside uploads is still listed.
        inside = plugin.uploads_dir / "2026" / "12" / "pixpress-inside.jpg"
        shutil.copy(CORPUS / "photo" / "rocket.jpg", inside)
        attachment_id = _attachment(plugin, "2026/12/pixpress-inside.jpg")
        files = plugin.php_json(f"return Pixpress_Attachment::files({attachment_id});")
        assert list(files) == ["full"] and files["full"]["rel"] == "2026/12/pixpress-inside.jpg"
        plugin.php(f"wp_delete_attachment({attachment_id}, true);")
    finally:
        link.unlink(missing_ok=True)
    assert outside.is_file()  # deleting the linked attachment left the target alone
