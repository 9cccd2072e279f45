"""A HEIC upload end to end: through a real `pixpress serve`, it comes back as a JPEG that decodes,
upright, with the dimensions of the turned photo."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest
import pyvips
from PIL import Image

from tests.e2e.server import ServerProcess
from tests.imaging import images

pytestmark = pytest.mark.slow
TOKEN = {"X-Token": "heic-site-e2e"}


def test_a_rotated_heic_comes_back_as_an_upright_jpeg(server: ServerProcess, corpus: Path) -> None:
    photo = np.asarray(Image.open(corpus / "photo" / "chelsea.png").convert("RGB"))  # 451x300
    exif = Image.Exif()
    exif[0x0112] = 6  # written by pillow-heif as irot (and kept in EXIF), as an iPhone held upright
    data = images.heic(photo, exif=exif.tobytes())
    assert httpx.get(f"{server.url}/health").json()["data"]["features"].count("heic") == 1
    answer = httpx.post(
        f"{server.url}/api/optimize/submit",
        params={"wait": 30},
        headers=TOKEN,
        files={"file": ("IMG_0001.HEIC", data, "image/heic")},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    status = answer.json()["data"]
    assert status["status"] == "done", status
    assert (status["format"], status["mime_type"]) == ("jpeg", "image/jpeg")
    assert (status["width"], status["height"]) == (300, 451)
    got = httpx.get(status["download_url"], headers=TOKEN, timeout=30)
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert got.content.startswith(b"\xff\xd8\xff")
    assert 'filename="IMG_0001.jpg"' in got.headers["content-disposition"]
    image = pyvips.Image.new_from_buffer(got.content, "")
    assert (image.width, image.height) == (300, 451)
    assert not image.get_typeof("orientation") or image.get("orientation") == 1
    # The picture itself is turned a quarter clockwise: close to the turned photo, far from the other way.
    decoded = np.asarray(image.resize(32 / 300, vscale=32 / 451).numpy(), dtype=float)
    for turn, close in ((-1, True), (1, False)):
        expected = pyvips.Image.new_from_array(
            np.ascontiguousarray(np.rot90(photo, turn)), interpretation="srgb"
        )
        thumb = np.asarray(expected.resize(32 / 300, vscale=32 / 451).numpy(), dtype=float)
        assert bool(np.abs(decoded - thumb).mean() < 8) is close
