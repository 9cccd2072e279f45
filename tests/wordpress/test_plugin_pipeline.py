"""The plugin's processing core against a real WordPress and a real `pixpress serve`: a size the server
fits a pixel differently is taken (the metadata follows), never uploaded again; one submit and one
download per file kept, nothing fetched that is thrown away; processing starts right after an upload
with no visitor and no WP-Cron (the loopback runner), several images in flight; and the real original
WordPress keeps beside `-scaled.jpg` is optimized, backed up and restored too."""

from __future__ import annotations

import io
import itertools
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageOps

from tests.conftest import CORPUS
from tests.wordpress.conftest import WordPress
from tests.wordpress.plugin import (
    AccessLog,
    Pixpress,
    configure,
    files_on_disk,
    metadata,
    queued,
    record,
    wait_for,
)

TOKEN_FIT = "site-token-pipeline-0101"
TOKEN_CALLS = "site-token-pipeline-0102"
TOKEN_LOOPBACK = "site-token-pipeline-0103"
TOKEN_ORIGINAL = "site-token-pipeline-0104"
TOKEN_ORIGINAL_WEBP = "site-token-pipeline-0105"
TOKEN_ROTATED = "site-token-pipeline-0106"
# No WP-Cron at all: nothing is ever due, whatever a request or wp-cron.php asks.
NO_CRON = "<?php add_filter('pre_get_ready_cron_jobs', function () { return array(); });\n"


def _mu_plugin(site: WordPress, name: str, code: str | None) -> None:
    path = site.content_dir / "mu-plugins" / f"{name}.php"
    if code is None:
        path.unlink(missing_ok=True)
    else:
        path.write_text(code)


def _jpeg(tmp_path: Path, name: str, size: tuple[int, int], source: str = "kodim03.png") -> Path:
    """A corpus photo resized to `size`, as a camera-like JPEG (quality 92)."""
    with Image.open(CORPUS / "photo" / source) as im:
        picture = im.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    path = tmp_path / name
    picture.save(path, "JPEG", quality=92)
    return path


def _optimize_now(site: WordPress, attachment_id: int) -> dict[str, Any]:
    result: dict[str, Any] = site.php_json(f"return Pixpress_Optimizer::optimize({attachment_id}, true);")
    return result


@pytest.fixture
def site(plugin: WordPress) -> Iterator[WordPress]:
    saved = plugin.php_json("return get_option('pixpress_settings');")
    yield plugin
    configure(plugin, **saved)


def test_a_size_the_server_fits_differently_is_taken_and_charged_once(
    site: WordPress, pixpress_server: Pixpress, tmp_path: Path
) -> None:
    # 741x500: WordPress makes medium 300x202; the server fits `medium:300x202` to 299x202.
    photo = _jpeg(tmp_path, "fit-photo.jpg", (741, 500))
    pixpress_server.add_token(TOKEN_FIT, 100.0)
    configure(site, token=TOKEN_FIT, mode="lossy", webp=False, avif=False, auto_optimize=False, skip_sizes=[])
    attachment_id = int(site.upload_media(photo)["id"])
    files = files_on_disk(site, attachment_id)
    assert (metadata(site, attachment_id)["sizes"]["medium"]["width"], files["medium"].name) == (
        300,
        "fit-photo-300x202.jpg",
    )
    full_bytes = files["full"].read_bytes()

    rec = _optimize_now(site, attachment_id)

    assert rec["status"] == "optimized", rec
    medium = rec["files"]["medium"]
    assert medium["via"] == "sizes" and medium["status"] in ("optimized", "no_gain"), medium
    assert {entry["task_id"] for entry in rec["files"].values()} == {rec["files"]["full"]["task_id"]}
    # One upload, the original's bytes: nothing sent again behind the site owner's back.
    assert pixpress_server.charged(TOKEN_FIT) == (len(full_bytes), 1)
    # WordPress's record of each size describes the file on disk (the fitted one when it was taken).
    meta = metadata(site, attachment_id)
    for name, path in files.items():
        with Image.open(path) as im:
            on_disk = im.size
        described = meta if name == "full" else meta["sizes"][name]
        assert (described["width"], described["height"]) == on_disk, name
        assert described["filesize"] == path.stat().st_size, name
    if medium["status"] == "optimized":
        assert (meta["sizes"]["medium"]["width"], meta["sizes"]["medium"]["height"]) == (299, 202)


def test_one_submit_and_one_download_per_file_kept(
    site: WordPress, pixpress_server: Pixpress, tmp_path: Path
) -> None:
    photo = _jpeg(tmp_path, "calls-photo.jpg", (1000, 667), "kodim08.png")
    pixpress_server.add_token(TOKEN_CALLS, 100.0)
    configure(
        site, token=TOKEN_CALLS, mode="glossy", webp=True, avif=True, auto_optimize=False, skip_sizes=[]
    )
    attachment_id = int(site.upload_media(photo)["id"])
    files = files_on_disk(site, attachment_id)
    log = AccessLog(pixpress_server)

    rec = _optimize_now(site, attachment_id)

    calls = log.calls()
    assert all(status == 200 for _, _, status in calls), calls  # no 404 for a variant never made
    kinds = [route.split("/")[3] for _, route, _ in calls]
    backups = site.uploads_dir / "pixpress-backup"
    replaced = sum((backups / path.relative_to(site.uploads_dir)).is_file() for path in files.values())
    siblings = sum(len(entry["siblings"]) for entry in rec["files"].values())
    assert kinds.count("submit") == 1, calls
    # Every download is a file written: the file itself (when smaller) or a sibling kept.
    assert kinds.count("download") == replaced + siblings, (calls, rec)
    assert kinds.count("status") <= 8, calls  # a bounded wait, not a poll every fraction of a second
    # A sibling the server dropped (larger than the plain save) is no error and gets no <source>.
    assert rec["status"] == "optimized", rec
    for name, path in files.items():
        for fmt in ("webp", "avif"):
            assert Path(f"{path}.{fmt}").is_file() == (fmt in rec["files"][name]["siblings"]), (name, fmt)
    # The front end points only at siblings that exist: a size whose sibling was dropped keeps its
    # JPEG in that <source> (every browser reads it), never a URL that would answer 404.
    by_file = {path.name: name for name, path in files.items()}
    html = site.php(f"echo wp_get_attachment_image({attachment_id}, 'large');")
    sources = re.findall(r'<source type="image/(\w+)" srcset="([^"]*)"', html)
    assert sources, html
    for fmt, srcset in sources:
        for item in srcset.split(","):
            url = item.strip().split(" ")[0]
            path = site.uploads_dir / url.split("/wp-content/uploads/", 1)[1]
            assert path.is_file(), url
            if path.suffix == f".{fmt}":
                assert fmt in rec["files"][by_file[path.name[: -len(fmt) - 1]]]["siblings"], url


def test_an_upload_is_optimized_with_no_visitor_and_no_wp_cron(
    site: WordPress, pixpress_server: Pixpress, tmp_path: Path
) -> None:
    photos = [
        _jpeg(tmp_path, f"loopback-{i}.jpg", (900, 600), source)
        for i, source in enumerate(("kodim04.png", "kodim07.png", "chelsea.png"))
    ]
    pixpress_server.add_token(TOKEN_LOOPBACK, 100.0)
    configure(
        site, token=TOKEN_LOOPBACK, mode="lossy", webp=True, avif=False, auto_optimize=True, skip_sizes=[]
    )
    _mu_plugin(site, "pixpress-test-no-cron", NO_CRON)
    try:
        uploaded = time.monotonic()
        first = int(site.upload_media(photos[0])["id"])
        # Started within 2 s of the upload's answer: the record turns 'pending' when its submit goes out.
        answered = time.monotonic()
        started = wait_for(lambda: record(site, first).get("status"), timeout_s=2.0, interval_s=0.1)
        assert started, f"not started {time.monotonic() - answered:.1f} s after the upload"
        others = [int(site.upload_media(photo)["id"]) for photo in photos[1:]]
        ids = [first, *others]
        done = wait_for(
            lambda: all(record(site, i).get("status") == "optimized" for i in ids), timeout_s=150.0
        )
        elapsed = time.monotonic() - uploaded
        assert done, {i: record(site, i).get("status") for i in ids}
        assert queued(site) == []
    finally:
        _mu_plugin(site, "pixpress-test-no-cron", None)
    # Several in flight: a later upload was submitted before an earlier one was finished.
    token = {"X-Token": TOKEN_LOOPBACK}
    spans = []
    for attachment_id in ids:
        task_id = record(site, attachment_id)["files"]["full"]["task_id"]
        status = httpx.get(f"{pixpress_server.url}/api/optimize/status/{task_id}", headers=token).json()[
            "data"
        ]
        spans.append((status["created_at"], status["finished_at"]))
    spans.sort()
    assert any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans)), spans
    assert elapsed < 150.0


def test_the_real_original_beside_scaled_is_optimized_backed_up_and_restored(
    site: WordPress, pixpress_server: Pixpress, tmp_path: Path
) -> None:
    # Past WordPress's 2560-px threshold: it keeps this file and serves photo-scaled.jpg.
    photo = _jpeg(tmp_path, "big-photo.jpg", (2800, 1867), "kodim05.png")
    pixpress_server.add_token(TOKEN_ORIGINAL, 100.0)
    configure(
        site, token=TOKEN_ORIGINAL, mode="lossy", webp=False, avif=False, auto_optimize=False, skip_sizes=[]
    )
    attachment_id = int(site.upload_media(photo)["id"])
    meta = metadata(site, attachment_id)
    assert meta["file"].endswith("big-photo-scaled.jpg") and meta["original_image"] == "big-photo.jpg"
    original = site.uploads_dir / Path(meta["file"]).parent / meta["original_image"]
    uploaded = original.read_bytes()
    assert uploaded == photo.read_bytes()
    scaled = files_on_disk(site, attachment_id)["full"]
    scaled_before = scaled.read_bytes()

    rec = _optimize_now(site, attachment_id)

    entry = rec["files"]["original_image"]
    assert entry["status"] == "optimized", rec
    assert entry["sent_bytes"] == len(uploaded)
    assert len(original.read_bytes()) == entry["after"] < len(uploaded)
    with Image.open(io.BytesIO(original.read_bytes())) as im:
        assert (im.format, im.size) == ("JPEG", (2800, 1867))
    backup = site.uploads_dir / "pixpress-backup" / original.relative_to(site.uploads_dir)
    assert backup.read_bytes() == uploaded
    # The -scaled copy and every size came from that one upload, charged once.
    assert rec["files"]["full"]["via"] == "sizes" and rec["files"]["full"]["status"] == "optimized", rec
    assert len({e["task_id"] for e in rec["files"].values()}) == 1
    assert pixpress_server.charged(TOKEN_ORIGINAL) == (len(uploaded), 1)

    replaced = [
        e for e in rec["files"].values() if (site.uploads_dir / "pixpress-backup" / e["file"]).is_file()
    ]
    assert site.php_json(f"return Pixpress_Restore::restore({attachment_id});") == len(replaced)
    assert original.read_bytes() == uploaded
    assert scaled.read_bytes() == scaled_before
    assert not backup.exists()


def test_the_real_original_gets_no_webp_nobody_serves_while_scaled_and_the_sizes_do(
    site: WordPress, pixpress_server: Pixpress, tmp_path: Path
) -> None:
    photo = _jpeg(tmp_path, "big-webp.jpg", (2800, 1867), "kodim05.png")
    pixpress_server.add_token(TOKEN_ORIGINAL_WEBP, 100.0)
    configure(
        site,
        token=TOKEN_ORIGINAL_WEBP,
        mode="lossy",
        webp=True,
        avif=False,
        auto_optimize=False,
        skip_sizes=[],
    )
    site.php_json("delete_transient('pixpress_features'); return true;")
    attachment_id = int(site.upload_media(photo)["id"])

    rec = _optimize_now(site, attachment_id)

    assert rec["files"]["original_image"]["status"] == "optimized", rec
    task_id = rec["files"]["original_image"]["task_id"]
    status = httpx.get(
        f"{pixpress_server.url}/api/optimize/status/{task_id}",
        headers={"X-Token": TOKEN_ORIGINAL_WEBP},
        timeout=30,
    ).json()["data"]
    # The server made the original in JPEG only (no choice, so no variants listed); -scaled (and each
    # size where WebP is not dropped as larger than the plain JPEG) also in WebP.
    assert status["format"] == "jpeg" and "variants" not in status, status
    scaled = next(size for size in status["sizes"] if size["name"] == "full")
    assert {v["format"] for v in scaled["variants"]} == {"jpeg", "webp"}, scaled
    meta = metadata(site, attachment_id)
    original = site.uploads_dir / Path(meta["file"]).parent / meta["original_image"]
    assert not Path(f"{original}.webp").exists()
    assert rec["files"]["full"]["via"] == "sizes"
    assert "webp" in rec["files"]["full"].get("siblings", {}), rec["files"]["full"]
    assert Path(f"{files_on_disk(site, attachment_id)['full']}.webp").is_file()
    assert pixpress_server.charged(TOKEN_ORIGINAL_WEBP) == (len(photo.read_bytes()), 1)


def test_a_phone_photo_turned_by_exif_keeps_its_turn_in_the_original_and_every_size(
    site: WordPress, pixpress_server: Pixpress, tmp_path: Path
) -> None:
    # Stored landscape with EXIF orientation 6, as phones write: shown portrait, 1867x2800. WordPress
    # makes -scaled and the sizes turned; the real original stays as uploaded.
    with Image.open(CORPUS / "photo" / "kodim05.png") as im:
        stored = im.convert("RGB").resize((2800, 1867), Image.Resampling.LANCZOS)
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = tmp_path / "turned.jpg"
    stored.save(photo, "JPEG", quality=92, exif=exif.tobytes())
    pixpress_server.add_token(TOKEN_ROTATED, 100.0)
    configure(
        site, token=TOKEN_ROTATED, mode="lossy", webp=False, avif=False, auto_optimize=False, skip_sizes=[]
    )
    attachment_id = int(site.upload_media(photo)["id"])
    meta = metadata(site, attachment_id)
    assert meta["original_image"] == "turned.jpg" and meta["height"] > meta["width"], meta
    files = files_on_disk(site, attachment_id)

    rec = _optimize_now(site, attachment_id)

    assert rec["status"] == "optimized", rec
    assert pixpress_server.charged(TOKEN_ROTATED) == (len(photo.read_bytes()), 1)
    original = site.uploads_dir / Path(meta["file"]).parent / meta["original_image"]
    with Image.open(original) as im:
        assert ImageOps.exif_transpose(im).size == (1867, 2800)  # shown as the phone showed it
    meta = metadata(site, attachment_id)
    for name, path in files.items():
        with Image.open(path) as im:
            shown = ImageOps.exif_transpose(im).size
        described = meta if name == "full" else meta["sizes"][name]
        assert (described["width"], described["height"]) == shown, name
    assert (meta["width"], meta["height"]) == (1707, 2560)  # -scaled: portrait, as WordPress made it


def test_the_runner_cannot_be_started_by_an_outsider(site: WordPress) -> None:
    """The loopback endpoint is anonymous (no session in a loopback request): its secret key is the
    credential, and a request without it, or with another, is refused before anything runs."""
    site.php("Pixpress_Runner::request();")  # a runner asked for once: the key exists
    for data in ({}, {"key": ""}, {"key": "x" * 40}):
        answer = site.http.post("/wp-admin/admin-ajax.php", params={"action": "pixpress_run"}, data=data)
        assert answer.status_code == 403, (data, answer.status_code)
    key = site.php_json("return get_option('pixpress_runner_key');")
    assert isinstance(key, str) and len(key) >= 32
    assert key not in site.http.get("/").text
