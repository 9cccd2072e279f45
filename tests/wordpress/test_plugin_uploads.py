"""The plugin on a real WordPress with a real `pixpress serve`: a new upload is queued (the upload
itself sends nothing), WP-Cron optimizes the original and every size in place with backups and
WebP/AVIF siblings, all from one submit with `sizes` (charged once, the original's bytes), the front
end serves them in <picture>, and restore brings back the exact bytes. The file-by-file path (a
server without `sizes`, forced here through the `pixpress_use_sizes` filter) is covered too."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pixpress.api.health import FEATURES
from tests.conftest import CORPUS
from tests.wordpress.conftest import WordPress
from tests.wordpress.plugin import (
    Pixpress,
    configure,
    files_on_disk,
    metadata,
    queued,
    record,
    run_queue_until_empty,
)

PHOTO = CORPUS / "photo" / "kodim03.png"
TOKEN = "site-token-uploads-0001"
TOKEN_FILE_BY_FILE = "site-token-uploads-0005"
# Sizes a theme registers besides WordPress's own (a 768x512 upload gets thumbnail and medium only):
# a fit with one side free, a crop of another shape, and one as wide as the upload (WordPress makes
# it, 768x256; not smaller on both sides, so the server takes it).
EXTRA_SIZES = (
    "<?php add_action('after_setup_theme', function () {"
    " add_image_size('pixpress_wide', 600, 0);"
    " add_image_size('pixpress_banner', 700, 200, true);"
    " add_image_size('pixpress_strip', 768, 256, true); });\n"
)


def _mu_plugin(site: WordPress, name: str, code: str | None) -> None:
    path = site.content_dir / "mu-plugins" / f"{name}.php"
    if code is None:
        path.unlink(missing_ok=True)
    else:
        path.write_text(code)


@pytest.fixture(scope="module")
def extra_sizes(plugin: WordPress) -> Iterator[None]:
    _mu_plugin(plugin, "pixpress-test-extra-sizes", EXTRA_SIZES)
    try:
        yield
    finally:
        _mu_plugin(plugin, "pixpress-test-extra-sizes", None)


@pytest.fixture(scope="module")
def optimized(plugin: WordPress, pixpress_server: Pixpress, extra_sizes: None) -> dict[str, Any]:
    """kodim03.png uploaded through the REST API with WebP and AVIF siblings on, then the queue run by
    WP-Cron. Keeps the bytes of every file as WordPress wrote them, before pixpress touched them."""
    pixpress_server.add_token(TOKEN, 100.0)
    configure(plugin, token=TOKEN, mode="lossy", webp=True, avif=True, picture=True, auto_optimize=True)
    assert plugin.php_json("return Pixpress_Service::offers_sizes();") is True  # GET /health lists it

    media = plugin.upload_media(PHOTO)
    attachment_id = int(media["id"])
    files = files_on_disk(plugin, attachment_id)
    before = {name: path.read_bytes() for name, path in files.items()}
    # The upload request sent nothing: the attachment waits in the plugin's queue.
    queued_after_upload = queued(plugin)
    record_after_upload = record(plugin, attachment_id)

    assert run_queue_until_empty(plugin)
    return {
        "id": attachment_id,
        "media": media,
        "files": files,
        "before": before,
        "queued_after_upload": queued_after_upload,
        "record_after_upload": record_after_upload,
    }


def test_upload_is_queued_not_optimized_in_the_request(optimized: dict[str, Any]) -> None:
    assert optimized["id"] in optimized["queued_after_upload"]
    # Nothing done in the request; the loopback runner it started may have submitted already.
    assert optimized["record_after_upload"].get("status") in (None, "pending"), optimized[
        "record_after_upload"
    ]


def test_queue_optimizes_the_original_and_every_size(
    plugin: WordPress, pixpress_server: Pixpress, optimized: dict[str, Any]
) -> None:
    attachment_id = optimized["id"]
    meta = metadata(plugin, attachment_id)
    files: dict[str, Path] = optimized["files"]
    assert set(files) == {"full", "thumbnail", "medium", "pixpress_wide", "pixpress_banner", "pixpress_strip"}
    assert optimized["before"]["full"] == PHOTO.read_bytes()  # a PNG this small is stored as uploaded

    rec = record(plugin, attachment_id)
    assert rec["status"] == "optimized", rec
    task_ids = {entry["task_id"] for entry in rec["files"].values()}
    assert len(task_ids) == 1, rec  # one submit for the original and every size
    for name, path in files.items():
        old = optimized["before"][name]
        new = path.read_bytes()
        assert len(new) < len(old), f"{name}: {len(new)} >= {len(old)}"
        expected = (
            (meta["width"], meta["height"])
            if name == "full"
            else (
                meta["sizes"][name]["width"],
                meta["sizes"][name]["height"],
            )
        )
        with Image.open(io.BytesIO(new)) as im:
            im.load()
            assert im.format == "PNG"
            assert im.size == expected, name
        # The backup holds the exact bytes WordPress had written.
        rel = path.relative_to(plugin.uploads_dir)
        backup = plugin.uploads_dir / "pixpress-backup" / rel
        assert backup.read_bytes() == old, name
        entry = rec["files"][name]
        assert entry["status"] == "optimized", entry
        assert (entry["before"], entry["after"]) == (len(old), len(new)), name
        assert entry["task_id"]
        assert entry["via"] == "sizes", entry
        # The original's bytes went up once; each size came back from them.
        assert entry["sent_bytes"] == (len(old) if name == "full" else 0)

    # WordPress's own record of the sizes follows the files.
    assert meta["filesize"] == files["full"].stat().st_size
    for name, size in meta["sizes"].items():
        assert size["filesize"] == files[name].stat().st_size, name

    # The server charged one upload: the original's bytes, once.
    assert pixpress_server.charged(TOKEN) == (len(optimized["before"]["full"]), 1)


def test_siblings_are_written_next_to_each_file(plugin: WordPress, optimized: dict[str, Any]) -> None:
    rec = record(plugin, optimized["id"])
    for name, path in optimized["files"].items():
        entry = rec["files"][name]
        for fmt, magic in (("webp", b"WEBP"), ("avif", b"ftypavif")):
            sibling = Path(f"{path}.{fmt}")
            if fmt not in entry["siblings"]:
                assert not sibling.exists(), f"{sibling} not recorded but present"
                continue
            data = sibling.read_bytes()
            assert magic in data[:16], sibling
            assert len(data) == entry["siblings"][fmt]
            assert len(data) < path.stat().st_size  # only kept when smaller than the image itself
        assert entry["siblings"], f"{name}: no sibling kept"
    # The main file got both (a 768x512 photo is always smaller in WebP and AVIF than in PNG).
    assert set(rec["files"]["full"]["siblings"]) == {"webp", "avif"}


def _picture_sources(html: str) -> tuple[list[str], dict[str, list[str]]]:
    pictures = re.findall(r"<picture\b.*?</picture>", html, re.DOTALL)
    sources: dict[str, list[str]] = {}
    for picture in pictures:
        for tag in re.findall(r"<source\b[^>]*>", picture):
            kind = re.search(r'type="image/(\w+)"', tag)
            srcset = re.search(r'srcset="([^"]*)"', tag)
            assert kind and srcset, tag
            urls = [item.strip().split(" ")[0] for item in unescape(srcset.group(1)).split(",")]
            sources.setdefault(kind.group(1), []).extend(urls)
    return pictures, sources


def test_front_end_serves_picture_with_avif_and_webp(plugin: WordPress, optimized: dict[str, Any]) -> None:
    attachment_id = optimized["id"]
    url = optimized["media"]["source_url"]
    content = (
        f'<!-- wp:image {{"id":{attachment_id},"sizeSlug":"full"}} -->'
        '<figure class="wp-block-image size-full">'
        f'<img src="{url}" alt="kodim" class="wp-image-{attachment_id}"/></figure>'
        "<!-- /wp:image -->"
    )
    post = plugin.rest_request(
        "POST", "/wp/v2/posts", json={"title": "pixpress picture", "content": content, "status": "publish"}
    )
    assert post.status_code == 201, post.text
    link = post.json()["link"]

    modern = plugin.http.get(link, headers={"Accept": "image/avif,image/webp,*/*"})
    assert modern.status_code == 200
    pictures, sources = _picture_sources(modern.text)
    assert len(pictures) == 1, pictures  # wrapped once, though block themes filter the template again
    assert set(sources) == {"avif", "webp"}, sources
    for fmt, urls in sources.items():
        assert any(u.endswith(f".{fmt}") for u in urls)
        for source_url in urls:
            answer = plugin.http.get(source_url, headers={"Accept": f"image/{fmt}"})
            assert answer.status_code == 200, source_url
            if source_url.endswith(f".{fmt}"):
                assert answer.headers["content-type"] == f"image/{fmt}"
                on_disk = plugin.uploads_dir / source_url.split("/wp-content/uploads/", 1)[1]
                assert answer.content == on_disk.read_bytes()
    img = re.search(r"<picture\b.*?<img\b[^>]*\bsrc=\"([^\"]+)\"", pictures[0], re.DOTALL)
    assert img and img.group(1) == url

    # A browser that reads neither format: the same page's <img> is the PNG itself.
    old = plugin.http.get(link, headers={"Accept": "image/png,image/*;q=0.8"})
    old_img = re.search(r"<picture\b.*?<img\b[^>]*\bsrc=\"([^\"]+)\"", old.text, re.DOTALL)
    assert old_img
    original = plugin.http.get(old_img.group(1), headers={"Accept": "image/png"})
    assert original.headers["content-type"] == "image/png"
    assert original.content == optimized["files"]["full"].read_bytes()
    with Image.open(io.BytesIO(original.content)) as im:
        assert im.format == "PNG"


def test_restore_brings_back_the_exact_bytes_and_removes_siblings(
    plugin: WordPress, optimized: dict[str, Any]
) -> None:
    attachment_id = optimized["id"]
    restored = plugin.php_json(f"return Pixpress_Restore::restore({attachment_id});")
    assert restored == len(optimized["files"])
    for name, path in optimized["files"].items():
        assert path.read_bytes() == optimized["before"][name], name
        assert not Path(f"{path}.webp").exists()
        assert not Path(f"{path}.avif").exists()
        rel = path.relative_to(plugin.uploads_dir)
        assert not (plugin.uploads_dir / "pixpress-backup" / rel).exists()
    assert record(plugin, attachment_id)["status"] == "restored"
    meta = metadata(plugin, attachment_id)
    assert meta["filesize"] == len(optimized["before"]["full"])
    # The front end no longer offers siblings for it.
    assert plugin.php(f"echo wp_get_attachment_image({attachment_id}, 'full');").count("<picture") == 0


def test_sizes_option_is_built_from_the_metadata_with_crop_as_registered(
    plugin: WordPress, optimized: dict[str, Any]
) -> None:
    """What the plugin would send as `sizes` to a server offering it (GET /health features)."""
    files = f"Pixpress_Attachment::files({optimized['id']})"
    specs = plugin.php_json(f"return Pixpress_Optimizer::size_specs({files});")
    meta = metadata(plugin, optimized["id"])
    medium, wide = meta["sizes"]["medium"], meta["sizes"]["pixpress_wide"]
    assert specs == {
        "thumbnail": "thumbnail:150x150:crop",
        "medium": f"medium:{medium['width']}x{medium['height']}",
        "pixpress_wide": f"pixpress_wide:{wide['width']}x{wide['height']}",
        "pixpress_banner": "pixpress_banner:700x200:crop",
        "pixpress_strip": "pixpress_strip:768x256:crop",
    }
    # The plugin passes on what the server lists (GET /health), in the server's order.
    features = plugin.php_json("return Pixpress_Service::features(true);")
    assert features == list(FEATURES)
    assert "sizes" in features
    # A size as large as the original on both sides would make the server refuse the whole upload:
    # left out (done on its own). So is a name the server does not take.
    odd = plugin.php_json(
        f"$files = {files};"
        "$files['same'] = array_merge($files['medium'], array('width' => 768, 'height' => 512));"
        "$files['Bad Name'] = $files['medium'];"
        "return array_keys(Pixpress_Optimizer::size_specs($files));"
    )
    assert sorted(odd) == sorted(specs)


def test_file_by_file_when_the_server_has_no_sizes(plugin: WordPress, pixpress_server: Pixpress) -> None:
    """The path for a server without `sizes` (forced through the filter): one upload per file, each
    charged, the same results on disk."""
    photo = CORPUS / "photo" / "kodim07.png"
    pixpress_server.add_token(TOKEN_FILE_BY_FILE, 100.0)
    configure(plugin, token=TOKEN_FILE_BY_FILE, mode="lossy", webp=True, avif=False, auto_optimize=True)
    _mu_plugin(plugin, "pixpress-test-extra-sizes", None)  # WordPress's own sizes are enough here
    _mu_plugin(
        plugin, "pixpress-test-no-sizes", "<?php add_filter('pixpress_use_sizes', '__return_false');\n"
    )
    try:
        assert plugin.php_json("return Pixpress_Service::offers_sizes();") is False
        attachment_id = int(plugin.upload_media(photo)["id"])
        files = files_on_disk(plugin, attachment_id)
        before = {name: path.read_bytes() for name, path in files.items()}
        assert run_queue_until_empty(plugin)
    finally:
        _mu_plugin(plugin, "pixpress-test-no-sizes", None)
    meta = metadata(plugin, attachment_id)
    rec = record(plugin, attachment_id)
    assert rec["status"] == "optimized", rec
    assert len({entry["task_id"] for entry in rec["files"].values()}) == len(files)
    for name, path in files.items():
        entry = rec["files"][name]
        assert entry["via"] == "file" and entry["status"] == "optimized", entry
        assert entry["sent_bytes"] == len(before[name])
        new = path.read_bytes()
        assert len(new) < len(before[name]), name
        expected = (
            (meta["width"], meta["height"])
            if name == "full"
            else (
                meta["sizes"][name]["width"],
                meta["sizes"][name]["height"],
            )
        )
        with Image.open(io.BytesIO(new)) as im:
            im.load()
            assert (im.format, im.size) == ("PNG", expected), name
        assert ("webp" in entry["siblings"]) == Path(f"{path}.webp").is_file()
        assert not Path(f"{path}.avif").exists()
    assert rec["files"]["full"]["siblings"].get("webp")
    # Each file charged once, for its own bytes.
    assert pixpress_server.charged(TOKEN_FILE_BY_FILE) == (sum(len(b) for b in before.values()), len(files))
