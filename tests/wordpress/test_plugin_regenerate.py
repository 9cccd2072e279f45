"""Thumbnails regenerated after an image was optimized (wp_generate_attachment_metadata() run again, as
the Regenerate Thumbnails plugin does, after a theme registered a size and changed a crop): only the files
that changed are sent again, each charged for its own bytes; the original, unchanged, is not. A size
written anew under the same name (another crop position, same dimensions) is optimized from its new bytes,
which become its backup, not from the backup of the file it replaced. A size made later on its own
(wp_update_image_subsizes(), which fires wp_generate_attachment_metadata with 'update' since WordPress
6.0) is sent alone."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageStat

from tests.conftest import CORPUS
from tests.wordpress.conftest import WordPress
from tests.wordpress.plugin import Pixpress, configure, files_on_disk, record, run_queue_until_empty

PHOTO = CORPUS / "photo" / "kodim08.png"  # 768 x 512
TOKEN = "site-token-regenerate-0001"
SIZES = """<?php add_action('after_setup_theme', function () {
    $crop = get_option('pxregen_crop_right') ? array('right', 'bottom') : array('left', 'top');
    add_image_size('pxregen_crop', 200, 200, $crop);
    if (get_option('pxregen_new')) { add_image_size('pxregen_new', 400, 0); }
    if (get_option('pxregen_late')) { add_image_size('pxregen_late', 500, 0); }
});
"""


def _pixels(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGB")


def _difference(a: bytes, b: bytes) -> float:
    """Mean absolute difference per channel, 0-255."""
    stat = ImageStat.Stat(ImageChops.difference(_pixels(a), _pixels(b)))
    return sum(stat.mean) / len(stat.mean)


@pytest.fixture(scope="module")
def regenerated(plugin: WordPress, pixpress_server: Pixpress) -> Iterator[dict[str, Any]]:
    pixpress_server.add_token(TOKEN, 100.0)
    configure(plugin, token=TOKEN, mode="lossy", webp=False, avif=False, auto_optimize=True, skip_sizes=[])
    mu_plugin = plugin.content_dir / "mu-plugins" / "pixpress-test-regenerate.php"
    mu_plugin.write_text(SIZES)
    try:
        attachment_id = int(plugin.upload_media(PHOTO)["id"])
        assert run_queue_until_empty(plugin)
        first = record(plugin, attachment_id)
        assert first["status"] == "optimized", first
        files = files_on_disk(plugin, attachment_id)
        optimized = {name: path.read_bytes() for name, path in files.items()}
        charged = pixpress_server.charged(TOKEN)

        # The theme changes its crop and registers a size; Regenerate Thumbnails runs.
        plugin.php("update_option('pxregen_crop_right', 1); update_option('pxregen_new', 1);")
        # The files and the queue are read in the same PHP run as the regeneration: the plugin's
        # loopback runner starts on the queued attachment as soon as that run ends.
        snapshot = plugin.php_json(
            f"$id = {attachment_id};"
            "$meta = wp_generate_attachment_metadata($id, wp_get_original_image_path($id));"
            "wp_update_attachment_metadata($id, $meta);"
            "global $wpdb; $files = array(); $dir = dirname(get_attached_file($id));"
            "$files['full'] = base64_encode(file_get_contents(get_attached_file($id)));"
            "foreach ($meta['sizes'] as $name => $size) {"
            "  $files[$name] = base64_encode(file_get_contents($dir . '/' . $size['file'])); }"
            "return array('files' => $files, 'queued' => array_map('intval', $wpdb->get_col("
            '"SELECT attachment_id FROM {$wpdb->prefix}pixpress_queue")));'
        )
        queued_after = snapshot["queued"]
        files_after = files_on_disk(plugin, attachment_id)
        regenerated = {name: base64.b64decode(snapshot["files"][name]) for name in files_after}
        assert run_queue_until_empty(plugin)
        yield {
            "id": attachment_id,
            "first": first,
            "optimized": optimized,
            "charged": charged,
            "queued": queued_after,
            "files": files_after,
            "regenerated": regenerated,
            "second": record(plugin, attachment_id),
            "charged_after": pixpress_server.charged(TOKEN),
        }
    finally:
        mu_plugin.unlink(missing_ok=True)
        plugin.php(
            "delete_option('pxregen_crop_right'); delete_option('pxregen_new');delete_option('pxregen_late');"
        )


def test_regeneration_queues_the_attachment(regenerated: dict[str, Any]) -> None:
    assert regenerated["id"] in regenerated["queued"]
    assert "pxregen_new" in regenerated["files"]


def test_only_the_changed_files_are_sent_again(regenerated: dict[str, Any]) -> None:
    first, second = regenerated["first"]["files"], regenerated["second"]["files"]
    assert regenerated["second"]["status"] == "optimized", regenerated["second"]
    # The original was not regenerated: same bytes, same record, not sent again.
    assert regenerated["regenerated"]["full"] == regenerated["optimized"]["full"]
    assert second["full"] == first["full"]
    changed = {
        name
        for name, data in regenerated["regenerated"].items()
        if data != regenerated["optimized"].get(name)
    }
    assert "full" not in changed and {"pxregen_crop", "pxregen_new"} <= changed
    for name in changed:
        assert second[name]["task_id"] != first.get(name, {}).get("task_id"), name
        assert second[name]["status"] == "optimized", second[name]
    sent = sum(len(regenerated["regenerated"][name]) for name in changed)
    bytes_before, uploads_before = regenerated["charged"]
    bytes_after, uploads_after = regenerated["charged_after"]
    assert (bytes_after - bytes_before, uploads_after - uploads_before) == (sent, len(changed))


def test_a_size_written_anew_is_optimized_from_its_new_bytes(
    plugin: WordPress, regenerated: dict[str, Any]
) -> None:
    path: Path = regenerated["files"]["pxregen_crop"]
    new_crop = regenerated["regenerated"]["pxregen_crop"]
    old_crop = regenerated["optimized"]["pxregen_crop"]
    assert path.name == regenerated["files"]["pxregen_crop"].name  # same name, same 200x200
    assert _difference(new_crop, old_crop) > 10  # right-bottom against left-top: another picture
    on_disk = path.read_bytes()
    assert len(on_disk) < len(new_crop)
    assert _difference(on_disk, new_crop) < 3  # the new crop, optimized
    backup = plugin.uploads_dir / "pixpress-backup" / regenerated["second"]["files"]["pxregen_crop"]["file"]
    assert backup.read_bytes() == new_crop  # restore gives back the new crop
    assert regenerated["second"]["files"]["pxregen_crop"]["before"] == len(new_crop)


def test_nothing_is_sent_on_a_further_run(
    plugin: WordPress, pixpress_server: Pixpress, regenerated: dict[str, Any]
) -> None:
    plugin.php(f"Pixpress_Queue::add({regenerated['id']}, 'manual');")
    assert run_queue_until_empty(plugin)
    assert pixpress_server.charged(TOKEN) == regenerated["charged_after"]


def test_a_size_made_alone_later_is_sent_alone(
    plugin: WordPress, pixpress_server: Pixpress, regenerated: dict[str, Any]
) -> None:
    attachment_id = regenerated["id"]
    before = pixpress_server.charged(TOKEN)
    plugin.php("update_option('pxregen_late', 1);")  # registered from the next request on
    # Read in the same PHP run: the loopback runner starts on the queued attachment when it ends.
    snapshot = plugin.php_json(
        f"$id = {attachment_id}; wp_update_image_subsizes($id);"
        "$meta = wp_get_attachment_metadata($id); global $wpdb;"
        "$late = dirname(get_attached_file($id)) . '/' . $meta['sizes']['pxregen_late']['file'];"
        "return array('late' => base64_encode(file_get_contents($late)), 'queued' => array_map('intval',"
        ' $wpdb->get_col("SELECT attachment_id FROM {$wpdb->prefix}pixpress_queue")));'
    )
    files = files_on_disk(plugin, attachment_id)
    assert "pxregen_late" in files
    late = base64.b64decode(snapshot["late"])
    assert attachment_id in snapshot["queued"]
    assert run_queue_until_empty(plugin)
    rec = record(plugin, attachment_id)
    assert rec["files"]["pxregen_late"]["status"] == "optimized", rec["files"]["pxregen_late"]
    after = pixpress_server.charged(TOKEN)
    assert (after[0] - before[0], after[1] - before[1]) == (len(late), 1)
