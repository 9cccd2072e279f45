"""APNG and AVIF image sequences: accepted, kept animated where the output animates, limited from their
headers; PNGs with a damaged trailer decoded when their pixels are whole."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from pixpress.errors import ImageTooLarge, InvalidImage
from pixpress.imaging import ImageFormat, Limits, optimize, parse_options, probe
from pixpress.imaging.deadline import Deadline
from pixpress.imaging.steps.animation_frames import read
from tests.imaging import edge_files

LIMITS = Limits()


def _frames(data: bytes) -> list[np.ndarray]:
    with Image.open(io.BytesIO(data)) as image:
        out = []
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            out.append(np.asarray(image.convert("RGBA")))
        return out


@pytest.mark.parametrize("name", ["apng", "avif_sequence"])
def test_frames_are_counted_at_submit(name: str) -> None:
    info = probe(edge_files.bases()[name], limits=LIMITS)
    assert (info.width, info.height, info.frames) == (edge_files.WIDTH, edge_files.HEIGHT, 4)


@pytest.mark.parametrize("name", ["apng", "avif_sequence"])
def test_the_frame_limits_apply_before_decoding(name: str) -> None:
    data = edge_files.bases()[name]
    with pytest.raises(ImageTooLarge):
        probe(data, limits=replace(LIMITS, max_frames=3))
    per_frame = edge_files.WIDTH * edge_files.HEIGHT
    with pytest.raises(ImageTooLarge):
        probe(data, limits=replace(LIMITS, max_total_pixels=3 * per_frame))
    with pytest.raises(ImageTooLarge):
        read(
            data,
            ImageFormat.PNG if name == "apng" else ImageFormat.AVIF,
            limits=replace(LIMITS, max_frames=3),
            deadline=Deadline(),
        )


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("apng", ImageFormat.PNG),
        ("apng_hidden_default", ImageFormat.PNG),
        ("avif_sequence", ImageFormat.AVIF),
    ],
)
def test_original_format_stays_animated(name: str, fmt: ImageFormat) -> None:
    data = edge_files.bases()[name]
    result = optimize(data, options=parse_options({}), limits=LIMITS)
    assert result.image.format is fmt
    assert len(_frames(result.image.data)) == 4
    assert result.image.size_bytes < len(data)


def test_lossless_apng_keeps_every_pixel() -> None:
    data = edge_files.bases()["apng"]
    result = optimize(data, options=parse_options({"mode": "lossless"}), limits=LIMITS)
    assert result.image.format is ImageFormat.PNG
    for ours, theirs in zip(_frames(result.image.data), _frames(data), strict=True):
        assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("name", ["apng", "avif_sequence"])
def test_webp_and_auto_animate(name: str) -> None:
    data = edge_files.bases()[name]
    for fields in ({"format": "webp"}, {"format": "auto", "accept": "webp"}):
        result = optimize(data, options=parse_options(fields), limits=LIMITS)
        assert result.image.format in (ImageFormat.WEBP, ImageFormat(probe(data, limits=LIMITS).format))
        assert len(_frames(result.image.data)) == 4


@pytest.mark.parametrize("name", ["apng", "avif_sequence"])
@pytest.mark.parametrize("fmt", ["jpeg", "png", "avif"])
def test_a_still_format_is_the_default_image_and_says_so(name: str, fmt: str) -> None:
    data = edge_files.bases()[name]
    result = optimize(data, options=parse_options({"format": fmt}), limits=LIMITS)
    assert len(_frames(result.image.data)) == 1
    assert result.image.settings["frames"] == "first only"


def test_png_cut_in_its_rows_with_iend_added_shows_the_rows_that_are_there() -> None:
    """Submit sees an IEND and lets it through; the worker keeps the rows whose data is there and
    makes the others transparent, as a browser shows the file."""
    base = edge_files.bases()["png_rgb"]
    idat = next((start, end) for start, end, kind in edge_files.png_chunks(base) if kind == b"IDAT")
    payload = base[idat[0] + 8 : idat[1] - 4]
    cut = base[: idat[0]] + edge_files.png_chunk(b"IDAT", payload[: len(payload) // 2])
    data = cut + edge_files.png_chunk(b"IEND", b"")
    probe(data, limits=LIMITS)
    options = parse_options({"mode": "lossless", "format": "webp"})
    result = optimize(data, options=options, limits=LIMITS)
    pixels = np.asarray(Image.open(io.BytesIO(result.image.data)).convert("RGBA"))
    original = np.asarray(Image.open(io.BytesIO(base)).convert("RGBA"))
    shown = int((pixels[:, :, 3] == 255).all(axis=1).sum())
    assert 0 < shown < edge_files.HEIGHT
    assert np.array_equal(pixels[:shown], original[:shown])
    assert not pixels[shown:, :, 3].any()


def test_png_cut_before_its_first_row_with_iend_added_is_refused_by_the_worker_saying_where() -> None:
    base = edge_files.bases()["png_rgb"]
    idat = next((start, end) for start, end, kind in edge_files.png_chunks(base) if kind == b"IDAT")
    cut = base[: idat[0]] + edge_files.png_chunk(b"IDAT", base[idat[0] + 8 : idat[0] + 20])
    data = cut + edge_files.png_chunk(b"IEND", b"")
    probe(data, limits=LIMITS)
    with pytest.raises(InvalidImage, match=rf"stops at row 0 of {edge_files.HEIGHT}"):
        optimize(data, options=parse_options({}), limits=LIMITS)


@pytest.mark.parametrize("damage", ["png_rgb/IDAT0_bad_crc", "png_rgb/no_iend", "png_rgb/minus16"])
def test_a_png_whose_pixels_are_whole_is_optimized(damage: str) -> None:
    data = edge_files.damaged()[damage]
    result = optimize(data, options=parse_options({"mode": "lossless"}), limits=LIMITS)
    original = _frames(edge_files.bases()["png_rgb"])[0]
    assert np.array_equal(_frames(result.image.data)[0], original)
