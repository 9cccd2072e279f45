"""`sizes` end to end: one upload through a real `pixpress serve`, every size downloadable, charged once."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import pyvips

from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.slow
TOKEN = {"X-Token": "sizes-site-e2e"}
ADMIN = {"X-Token": "admin-secret-token-0123"}  # what tests.e2e.server.serve configures
SIZES = "thumbnail:150x150:crop,medium:300x300,medium_large:500x0"


def submit(server: ServerProcess, data: bytes, **fields: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/optimize/submit",
        params={"wait": 30},
        headers=TOKEN,
        files={"file": ("rocket.jpg", data, "application/octet-stream")},
        data=fields,
        timeout=60,
    )


def usage(server: ServerProcess) -> dict:
    answer = httpx.get(
        f"{server.url}/api/admin/usage", params={"token": TOKEN["X-Token"]}, headers=ADMIN, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["current_period"]


def test_one_upload_every_size_charged_once_deleted_together(server: ServerProcess, corpus: Path) -> None:
    data = (corpus / "photo" / "rocket.jpg").read_bytes()  # 640x427
    answer = submit(server, data, sizes=SIZES, mode="glossy")
    assert answer.status_code == 200, answer.text
    status = answer.json()["data"]
    assert status["status"] == "done", status
    assert (status["width"], status["height"]) == (640, 427)
    task_id = status["task_id"]
    expected = {"thumbnail": (150, 150), "medium": (300, 200), "medium_large": (500, 334)}
    assert [s["name"] for s in status["sizes"]] == list(expected)
    for size in status["sizes"]:
        assert size["format"] == "jpeg" and size["mime_type"] == "image/jpeg"
        if size["encoder_settings"].get("fallback") == "plain":
            # Never bigger: rocket.jpg is a Q95 JPEG, and the glossy search of a small size can land
            # above the same resize saved at Q95; the plain save is the size then (unscored).
            assert size["encoder_settings"]["instead_of"]["size"] > size["size"]
        else:
            assert size["score"] >= 80  # glossy, measured against the size's own resized pixels
        assert size["download_url"].endswith(f"/api/optimize/download/{task_id}?size={size['name']}")
        got = httpx.get(size["download_url"], headers=TOKEN)
        assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
        assert len(got.content) == size["size"]
        assert f'filename="rocket-{size["name"]}.jpg"' in got.headers["content-disposition"]
        image = pyvips.Image.new_from_buffer(got.content, "")
        assert (image.width, image.height) == (size["width"], size["height"]) == expected[size["name"]]

    period = usage(server)
    assert (period["uploads"], period["used_bytes"]) == (1, len(data))  # the upload's bytes, once
    download = f"{server.url}/api/optimize/download/{task_id}"
    unknown = httpx.get(download, params={"size": "huge"}, headers=TOKEN)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "task_not_found"
    assert "its sizes: thumbnail, medium, medium_large" in unknown.json()["error"]["message"]
    assert "variants" not in status["sizes"][0]  # one format asked for: nothing else was made
    both = httpx.get(download, params={"size": "medium", "variant": "webp"}, headers=TOKEN)
    assert both.status_code == 404 and both.json()["error"]["code"] == "task_not_found"
    assert (
        "size 'medium' has no variant in that format (only jpeg was made" in both.json()["error"]["message"]
    )

    files_root = Path(server.env["PIXPRESS_DATA_DIR"]) / "files"
    assert len(list(files_root.rglob(f"*{task_id}*/*"))) == 4  # the result and three sizes
    deleted = httpx.delete(f"{server.url}/api/optimize/task/{task_id}", headers=TOKEN)
    assert deleted.status_code == 200
    assert not list(files_root.rglob(f"*{task_id}*/*"))
    assert httpx.get(download, params={"size": "medium"}, headers=TOKEN).status_code == 404


def test_format_auto_every_size_in_every_format_from_one_upload(server: ServerProcess, corpus: Path) -> None:
    """What the WordPress plugin needs: each size in its own format plus its WebP and AVIF siblings."""
    data = (corpus / "photo" / "rocket.jpg").read_bytes()  # 640x427
    before = usage(server)
    answer = submit(server, data, sizes=SIZES, format="auto", accept="webp,avif")
    assert answer.status_code == 200, answer.text
    status = answer.json()["data"]
    assert status["status"] == "done", status
    task_id = status["task_id"]
    download = f"{server.url}/api/optimize/download/{task_id}"
    expected = {"thumbnail": (150, 150), "medium": (300, 200), "medium_large": (500, 334)}
    loaders = {"jpeg": "jpegload_buffer", "webp": "webpload_buffer", "avif": "heifload_buffer"}
    assert status["optimized_size"] == min(v["size"] for v in status["variants"])
    files = len(status["variants"])  # the result is its smallest variant, stored once
    for size in status["sizes"]:
        name, variants = size["name"], {v["format"]: v for v in size["variants"]}
        # A variant larger than the plain JPEG resize is not made (never bigger); the size says so.
        dropped = {d["format"] for d in size["encoder_settings"].get("dropped", [])}
        assert set(variants) | dropped == {"jpeg", "webp", "avif"} and "jpeg" in variants, size
        assert size["size"] == min(v["size"] for v in variants.values())  # the size's file: its smallest
        assert variants[size["format"]]["size"] == size["size"]
        files += len(variants)
        for fmt, variant in variants.items():
            assert variant["download_url"] == f"{download}?size={name}&variant={fmt}"
            got = httpx.get(variant["download_url"], headers=TOKEN)
            assert got.status_code == 200, got.text
            assert got.headers["content-type"] == variant["mime_type"] == f"image/{fmt}"
            assert len(got.content) == variant["size"]
            extension = "jpg" if fmt == "jpeg" else fmt
            assert f'filename="rocket-{name}.{extension}"' in got.headers["content-disposition"]
            image = pyvips.Image.new_from_buffer(got.content, "")
            assert image.get("vips-loader") == loaders[fmt]
            assert (image.width, image.height) == (variant["width"], variant["height"]) == expected[name]
            assert image.avg() > 10  # decoded pixels, not an empty frame
        plain = httpx.get(size["download_url"], headers=TOKEN)
        assert plain.status_code == 200 and len(plain.content) == size["size"]

    period = usage(server)  # charged once, the upload's bytes, however many files came out
    assert (period["uploads"] - before["uploads"], period["used_bytes"] - before["used_bytes"]) == (
        1,
        len(data),
    )
    missing = httpx.get(download, params={"size": "medium", "variant": "png"}, headers=TOKEN)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "task_not_found"
    assert "size 'medium' has no variant in that format (its variants: " in missing.json()["error"]["message"]

    files_root = Path(server.env["PIXPRESS_DATA_DIR"]) / "files"
    assert len(list(files_root.rglob(f"*{task_id}*/*"))) == files  # each file stored once
    assert httpx.delete(download.replace("/download/", "/task/"), headers=TOKEN).status_code == 200
    assert not list(files_root.rglob(f"*{task_id}*/*"))
    gone = httpx.get(download, params={"size": "thumbnail", "variant": "webp"}, headers=TOKEN)
    assert gone.status_code == 404


def test_bad_sizes_are_refused_at_submit_and_not_charged(server: ServerProcess, corpus: Path) -> None:
    data = (corpus / "photo" / "rocket.jpg").read_bytes()
    before = usage(server)
    for sizes in ("huge:1024x1024", "thumbnail", "a:10x10,a:20x20", ",".join(f"s{i}:9x9" for i in range(17))):
        answer = submit(server, data, sizes=sizes)
        assert answer.status_code == 422, (sizes, answer.text)
        assert answer.json()["error"]["code"] == "invalid_option"
        assert answer.json()["error"]["field"] == "sizes"
    assert usage(server) == before
