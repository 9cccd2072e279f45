"""Damaged uploads a browser shows, through a real `pixpress serve` with the failure lockout at its
default: each comes back done, with the pixels headless Chromium shows for the upload. Files Chromium
cannot show are refused: at submit when a bounded check tells, otherwise by the worker (a JPEG cut
before its first row decodes), with invalid_image either way."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.imaging.oracle import compare, damaged_corpus
from tests.imaging.oracle.chromium import ChromiumOracle
from tests.imaging.oracle.measure import MIN_PSNR_DB

pytestmark = pytest.mark.slow
TOKEN = {"X-Token": "damaged-site-e2e"}
SHOWN = (
    "jpeg_baseline/scan_cut_55%",  # cut short: Chromium shows its top 46 rows
    "jpeg_progressive/minus_12",  # cut in a later scan: shown whole
    "jpeg_metadata/seg1_E1_junk_before",  # junk between segments
    "png_rgb/cut_65%",  # cut in its image data
    "png_ancillary/iCCP0_bad_crc",  # a damaged ancillary chunk
    "png_rgb/adler_damaged",  # the zlib checksum alone wrong
    "gif_animated/frame3_cut_70%",  # cut in its last frame
)
NOT_SHOWN = ("jpeg_baseline/cut_2%", "png_rgb/unknown_critical")  # refused at submit
NOT_SHOWN_WORKER = "jpeg_baseline/scan_cut_10%"  # no row decodes: only the worker's decode tells


@pytest.fixture(scope="module")
def oracle() -> Iterator[ChromiumOracle]:
    with ChromiumOracle() as started:
        yield started


def submit(url: str, name: str, data: bytes, **fields: str) -> httpx.Response:
    return httpx.post(
        f"{url}/api/optimize/submit",
        params={"wait": 30},
        headers=TOKEN,
        files={"file": (name.replace("/", "-"), data, "application/octet-stream")},
        data=fields,
        timeout=60,
    )


@pytest.mark.parametrize("fields", [{}, {"format": "webp"}], ids=["original", "webp"])
def test_damaged_uploads_a_browser_shows_come_back_done_with_its_pixels(
    server: object, oracle: ChromiumOracle, fields: dict[str, str]
) -> None:
    url = server.url  # type: ignore[attr-defined]
    files = damaged_corpus.generate()
    for name in SHOWN:
        shown = oracle.render(files[name])
        assert shown.pixels is not None, name
        answer = submit(url, name, files[name], **fields)
        assert answer.status_code == 200, (name, answer.text)
        status = answer.json()["data"]
        assert status["status"] == "done", (name, status)
        output = httpx.get(status["download_url"], headers=TOKEN, timeout=30)
        assert output.status_code == 200, name
        rendered = oracle.render(output.content)
        assert rendered.pixels is not None, name
        backgrounds = (255.0,) if status["format"] == "jpeg" else compare.BACKGROUNDS
        assert compare.psnr_db(shown.pixels, rendered.pixels, backgrounds=backgrounds) >= MIN_PSNR_DB, name


def test_damaged_uploads_a_browser_cannot_show_are_refused(server: object, oracle: ChromiumOracle) -> None:
    url = server.url  # type: ignore[attr-defined]
    files = damaged_corpus.generate()
    for name in NOT_SHOWN:
        assert not oracle.render(files[name]).shown, name
        answer = submit(url, name, files[name])
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["error"]["code"] == "invalid_image", name
    assert not oracle.render(files[NOT_SHOWN_WORKER]).shown
    status = submit(url, NOT_SHOWN_WORKER, files[NOT_SHOWN_WORKER]).json()["data"]
    assert status["status"] == "failed" and status["error"]["code"] == "invalid_image", status
