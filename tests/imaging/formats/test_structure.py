from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from pixpress.errors import InvalidImage
from pixpress.imaging import ImageFormat
from pixpress.imaging.formats.structure import check_structure
from tests.imaging import edge_files, images
from tests.imaging.oracle import damaged_corpus


def test_png_dimensions_come_from_ihdr() -> None:
    structure = check_structure(images.png_bomb(), ImageFormat.PNG)
    assert (structure.width, structure.height) == (100_000, 100_000)


def test_all_corpus_pngs_pass() -> None:
    for path in [*images.PHOTO.glob("*.png"), *images.GRAPHIC.glob("*.png")]:
        data = images.read(path)
        info = images.load(data)
        structure = check_structure(data, ImageFormat.PNG)
        assert (structure.width, structure.height) == (info.width, info.height)


@pytest.mark.parametrize(
    ("fmt", "make"),
    [
        (ImageFormat.PNG, lambda: images.cut_before_rows(images.read(images.PHOTO / "kodim05.png"))),
        (ImageFormat.PNG, lambda: b"\x89PNG\r\n\x1a\n" + os.urandom(2000)),
        (ImageFormat.GIF, lambda: images.cut_before_rows(images.animated_gif())),
        (ImageFormat.WEBP, lambda: images.half(images.animated_webp())),
    ],
    ids=["png-no-row", "png-garbage", "gif-first-frame-cut", "webp-half"],
)
def test_truncated_or_garbage(fmt: ImageFormat, make: Callable[[], bytes]) -> None:
    with pytest.raises(InvalidImage):
        check_structure(make(), fmt)


def test_bad_ihdr_checksum() -> None:
    data = bytearray(images.png_bomb(10, 10))
    data[29] ^= 0xFF  # IHDR CRC
    with pytest.raises(InvalidImage):
        check_structure(bytes(data), ImageFormat.PNG)


def test_truncated_avif() -> None:
    source = images.load(images.read(images.PHOTO / "kodim05.png"))
    avif = source.heifsave_buffer(compression="av1", effort=0)
    check_structure(avif, ImageFormat.AVIF)
    with pytest.raises(InvalidImage):
        check_structure(images.half(avif), ImageFormat.AVIF)


def test_png_without_iend_passes_when_its_rows_are_all_there() -> None:
    data = images.read(images.PHOTO / "kodim05.png")
    structure = check_structure(data[:-12], ImageFormat.PNG)  # IEND cut off
    assert (structure.width, structure.height) == (198, 128)
    check_structure(data[:-110], ImageFormat.PNG)  # and the text chunks after the image data


def test_png_cut_before_its_first_row_says_where() -> None:
    data = images.read(images.PHOTO / "kodim05.png")
    with pytest.raises(InvalidImage, match=r"stops at row 0 of 128") as caught:
        check_structure(images.cut_before_rows(data), ImageFormat.PNG)
    assert caught.value.details["rows"] == 0


def test_png_and_jpeg_cut_in_their_rows_pass() -> None:
    """A browser shows their top rows (the worker keeps those, decode.py)."""
    png = images.read(images.PHOTO / "kodim05.png")
    assert check_structure(png[: len(png) * 3 // 4], ImageFormat.PNG).height == 128
    jpeg = images.read(images.PHOTO / "rocket.jpg")
    assert check_structure(images.half(jpeg), ImageFormat.JPEG).width > 0


def test_a_gif_cut_in_a_frame_passes_unless_its_first_frame_has_no_pixel() -> None:
    """A browser shows the frames before the cut and the cut one as far as it goes (gif_partial.py);
    nothing of a first frame cut before its first pixel."""
    files = damaged_corpus.generate()
    assert check_structure(files["gif_animated/frame3_cut_30%"], ImageFormat.GIF).frames == 4
    assert check_structure(files["gif_animated/frame0_cut_30%"], ImageFormat.GIF).frames == 1
    with pytest.raises(InvalidImage, match="before the first pixel of its first frame"):
        check_structure(images.cut_before_rows(files["gif_animated/intact"]), ImageFormat.GIF)


def test_a_png_with_an_unknown_critical_chunk_is_refused() -> None:
    """libpng (and so Chromium) shows nothing of it."""
    with pytest.raises(InvalidImage, match="unknown critical chunk"):
        check_structure(damaged_corpus.generate()["png_rgb/unknown_critical"], ImageFormat.PNG)


def test_jpeg_junk_between_segments_and_a_short_comment_length_pass() -> None:
    """libjpeg skips bytes before a marker and a metadata segment too short to hold its length."""
    data = edge_files.bases()["jpeg_baseline"]
    dqt = data.index(b"\xff\xdb")
    check_structure(data[:dqt] + b"\x00\x12\x34" + data[dqt:], ImageFormat.JPEG)
    check_structure(data[:2] + b"\xff\xfe\x00\x01" + data[2:], ImageFormat.JPEG)


def test_apng_frames_come_from_actl() -> None:
    for name in ("apng", "apng_hidden_default"):  # the hidden default image is not a frame
        assert check_structure(edge_files.bases()[name], ImageFormat.PNG).frames == 4
    data = edge_files.bases()["apng"]
    actl = data.index(b"acTL") - 4
    damaged = data[: actl + 19] + bytes([data[actl + 19] ^ 1]) + data[actl + 20 :]  # its checksum
    assert check_structure(damaged, ImageFormat.PNG).frames == 1  # ignored, as browsers do: a still


def test_apng_without_its_frame_controls_is_refused() -> None:
    data = images.read(images.GRAPHIC / "imagedraw_polygon_kite_RGB.png")
    actl = images.png_chunk(b"acTL", (2).to_bytes(4, "big") + (0).to_bytes(4, "big"))
    with pytest.raises(InvalidImage, match="0 of its 2 frames"):
        check_structure(data[:33] + actl + data[33:], ImageFormat.PNG)
