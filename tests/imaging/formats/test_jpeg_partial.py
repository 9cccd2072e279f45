"""A JPEG cut short shows the rows Chromium shows; the rest is transparent (white in a JPEG output).

The row counts below are Chromium's, measured on these files with tests/imaging/oracle (which checks
them again, with every other file of the damaged corpus, when Chromium is installed).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from pixpress.errors import InvalidImage
from pixpress.imaging import Limits, optimize, parse_options, probe
from pixpress.imaging.formats import jpeg_segments
from pixpress.imaging.formats.jpeg_partial import visible_rows
from tests.imaging.oracle import damaged_corpus
from tests.imaging.oracle.measure import decoded_as_webp

LIMITS = Limits()


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("jpeg_baseline/minus_1", 94),  # only the last bytes missing: libjpeg holds back the last rows
        ("jpeg_baseline/scan_cut_25%", 14),
        ("jpeg_444/scan_cut_40%", 40),
        ("jpeg_restart/cut_65%", 62),
        ("jpeg_baseline/scan_cut_10%", 0),
        ("jpeg_progressive/cut_50%", 112),  # its first scan whole: shown whole, less refined
    ],
)
def test_rows_a_browser_shows(name: str, rows: int) -> None:
    data = damaged_corpus.generate()[name]
    assert visible_rows(data, jpeg_segments.parse_header(data)) == rows


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))


def test_a_cut_jpeg_is_optimized_with_its_missing_rows_transparent() -> None:
    """The decode keeps the rows shown, the rest transparent (as a lossless WebP of pixpress's decode);
    an optimize() asked for WebP may answer the smaller plain JPEG instead (never bigger)."""
    data = damaged_corpus.generate()["jpeg_baseline/minus_1"]
    probe(data, limits=LIMITS)
    optimized = optimize(data, options=parse_options({"format": "webp"}), limits=LIMITS).image
    assert optimized.format.value == "webp" or optimized.settings.get("fallback") == "plain"
    webp = _pixels(decoded_as_webp(data))
    assert webp.shape[:2] == (112, 160)
    assert (webp[:94, :, 3] == 255).all()
    assert not webp[94:, :, 3].any()
    intact = _pixels(damaged_corpus.bases()["jpeg_baseline"])
    assert np.abs(webp[:94, :, :3].astype(int) - intact[:94, :, :3]).mean() < 6


def test_a_cut_jpeg_kept_as_jpeg_is_white_where_a_browser_shows_nothing() -> None:
    data = damaged_corpus.generate()["jpeg_baseline/scan_cut_55%"]  # 46 rows shown
    result = optimize(data, options=parse_options({"format": "jpeg", "quality": "80"}), limits=LIMITS)
    pixels = _pixels(result.image.data)
    assert (pixels[50:, :, :3] >= 250).all()
    assert pixels[:40, :, :3].mean() < 200


def test_a_cut_jpeg_in_lossless_mode_is_done() -> None:
    """Its metadata cannot be stripped (no end to keep the scans up to): its pixels are encoded, and
    the upload itself is the result when that is not smaller (a browser shows it the same)."""
    data = damaged_corpus.generate()["jpeg_baseline/scan_cut_55%"]
    result = optimize(data, options=parse_options({"mode": "lossless"}), limits=LIMITS)
    assert result.kept_original or (_pixels(result.image.data)[50:, :, :3] >= 250).all()


def test_a_jpeg_cut_before_its_first_row_is_refused() -> None:
    data = damaged_corpus.generate()["jpeg_baseline/scan_cut_10%"]
    with pytest.raises(InvalidImage):
        probe(data, limits=LIMITS)
        optimize(data, options=parse_options({}), limits=LIMITS)
