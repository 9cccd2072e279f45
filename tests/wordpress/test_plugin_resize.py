"""Resizing large originals: with "Resize the full-size image" on, a JPEG larger than the maximum is
stored smaller (the server resizes it in the same submit that optimizes it and its sizes, charged once),
the attachment metadata follows (width, height, filesize), the sizes keep theirs, the backup keeps the
uploaded bytes, and restore brings back the exact original and its dimensions."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from tests.conftest import CORPUS
from tests.wordpress.conftest import WordPress
from tests.wordpress.plugin import Pixpress, configure, files_on_disk, metadata, record, run_queue_until_empty

PHOTO = CORPUS / "photo" / "retina.jpg"  # 1411 x 1411
MAX_PX = 1200
TOKEN = "site-token-resize-0001"


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        return im.size


@pytest.fixture(scope="module")
def resized(plugin: WordPress, pixpress_server: Pixpress) -> Iterator[dict[str, Any]]:
    pixpress_server.add_token(TOKEN, 100.0)
    saved = configure(
        plugin,
        token=TOKEN,
        mode="lossy",
        webp=True,
        avif=False,
        auto_optimize=True,
        resize=True,
        resize_width=MAX_PX,
        resize_height=MAX_PX,
    )
    assert (saved["resize"], saved["resize_width"], saved["resize_height"]) == (True, MAX_PX, MAX_PX)
    try:
        media = plugin.upload_media(PHOTO)
        attachment_id = int(media["id"])
        files = files_on_disk(plugin, attachment_id)
        before = {name: path.read_bytes() for name, path in files.items()}
        meta_before = metadata(plugin, attachment_id)
        assert run_queue_until_empty(plugin)
        yield {"id": attachment_id, "files": files, "before": before, "meta_before": meta_before}
    finally:
        configure(plugin, resize=False, webp=False)


def test_settings_sanitize_the_maximum(plugin: WordPress) -> None:
    saved = plugin.php_json(
        "return Pixpress_Settings::sanitize(array('resize' => '1', 'resize_width' => '12',"
        " 'resize_height' => '999999'));"
    )
    assert (saved["resize"], saved["resize_width"], saved["resize_height"]) == (True, 320, 16384)
    saved = plugin.php_json("return Pixpress_Settings::sanitize(array('resize_width' => 'x'));")
    assert saved["resize_width"] == 2560


def test_large_original_is_stored_smaller_with_metadata_updated(
    plugin: WordPress, pixpress_server: Pixpress, resized: dict[str, Any]
) -> None:
    attachment_id = resized["id"]
    full = resized["files"]["full"]
    assert resized["before"]["full"] == PHOTO.read_bytes()  # WordPress stored it as uploaded (below 2560)
    assert resized["meta_before"]["width"] == 1411

    data = full.read_bytes()
    assert _size(data) == (MAX_PX, MAX_PX)
    assert len(data) < len(resized["before"]["full"])
    meta = metadata(plugin, attachment_id)
    assert (meta["width"], meta["height"]) == (MAX_PX, MAX_PX)
    assert meta["filesize"] == len(data)

    rec = record(plugin, attachment_id)
    assert rec["status"] == "optimized", rec
    assert rec["files"]["full"]["resized_from"] == [1411, 1411]
    assert rec["files"]["full"]["resized_to"] == [MAX_PX, MAX_PX]
    # The uploaded bytes are in the backup.
    backup = plugin.uploads_dir / "pixpress-backup" / meta["file"]
    assert backup.read_bytes() == PHOTO.read_bytes()
    # Its WebP sibling is of the resized image.
    assert _size(full.with_name(full.name + ".webp").read_bytes()) == (MAX_PX, MAX_PX)

    # One submit for the original and its sizes, charged once: the uploaded bytes, not more.
    assert len({entry["task_id"] for entry in rec["files"].values()}) == 1, rec
    charged_bytes, uploads = pixpress_server.charged(TOKEN)
    assert (charged_bytes, uploads) == (len(PHOTO.read_bytes()), 1)


def test_sizes_keep_their_dimensions(plugin: WordPress, resized: dict[str, Any]) -> None:
    meta = metadata(plugin, resized["id"])
    assert {"thumbnail", "medium", "medium_large", "large"} <= set(meta["sizes"])
    for name, path in resized["files"].items():
        if name == "full":
            continue
        assert _size(path.read_bytes()) == (meta["sizes"][name]["width"], meta["sizes"][name]["height"])
        assert meta["sizes"][name]["width"] == resized["meta_before"]["sizes"][name]["width"]


def test_a_file_within_the_maximum_is_not_resized(plugin: WordPress, resized: dict[str, Any]) -> None:
    fits = plugin.php_json(
        "return Pixpress_Resize::submit_options(array('mode' => 'lossy'),"
        " array('name' => 'full', 'rel' => '', 'width' => 1200, 'height' => 800));"
    )
    assert fits == {"mode": "lossy"}
    too_wide = plugin.php_json(
        "return Pixpress_Resize::submit_options(array('mode' => 'lossy'),"
        " array('name' => 'full', 'rel' => '', 'width' => 1201, 'height' => 800));"
    )
    assert too_wide == {"mode": "lossy", "max_width": MAX_PX, "max_height": MAX_PX}
    size = plugin.php_json(
        "return Pixpress_Resize::submit_options(array('mode' => 'lossy'),"
        " array('name' => 'large', 'rel' => '', 'width' => 5000, 'height' => 800));"
    )
    assert size == {"mode": "lossy"}  # only the full-size file is resized


def test_restore_brings_back_the_original_and_its_dimensions(
    plugin: WordPress, resized: dict[str, Any]
) -> None:
    attachment_id = resized["id"]
    restored = plugin.php_json(f"return Pixpress_Restore::restore({attachment_id});")
    assert restored == len(resized["files"])
    for name, path in resized["files"].items():
        assert path.read_bytes() == resized["before"][name], name
    meta = metadata(plugin, attachment_id)
    assert (meta["width"], meta["height"]) == (1411, 1411)
    assert meta["filesize"] == len(PHOTO.read_bytes())
    full = resized["files"]["full"]
    assert not full.with_name(full.name + ".webp").exists()
