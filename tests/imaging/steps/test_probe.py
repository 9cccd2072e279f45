from __future__ import annotations

import time

import pytest

from pixpress.errors import ImageTooLarge, InvalidImage, UnsupportedFormat
from pixpress.imaging import ImageFormat, Limits, probe
from pixpress.imaging.formats import jpeg_segments
from tests.imaging import images

LIMITS = Limits()


def test_photo() -> None:
    info = probe(images.read(images.PHOTO / "dog_exif_extended_xmp_icc.jpg"), limits=LIMITS)
    assert (info.format, info.width, info.height, info.frames, info.has_alpha) == (
        ImageFormat.JPEG,
        4032,
        3024,
        1,
        False,
    )
    assert info.mime_type == "image/jpeg"


def test_alpha() -> None:
    info = probe(images.read(images.GRAPHIC / "transparent.png"), limits=LIMITS)
    assert (info.width, info.height, info.has_alpha) == (200, 150, True)


@pytest.mark.parametrize("fmt", ["gif", "webp"])
def test_animation_frames_from_header(fmt: str) -> None:
    data = images.animated_gif() if fmt == "gif" else images.animated_webp()
    info = probe(data, limits=LIMITS)
    assert (info.width, info.height, info.frames) == (48, 32, 5)


def test_bomb_refused_fast_without_decoding() -> None:
    bomb = images.png_bomb()
    start = time.perf_counter()
    with pytest.raises(ImageTooLarge):
        probe(bomb, limits=LIMITS)
    assert time.perf_counter() - start < 0.2


def test_jpeg_claiming_a_huge_frame_is_refused_from_its_header() -> None:
    data = bytearray(images.read(images.PHOTO / "rocket.jpg"))
    sof = next(s for s in jpeg_segments.parse(bytes(data)).header_segments if s.marker == 0xC0)
    data[sof.start + 5 : sof.start + 9] = (30000).to_bytes(2, "big") + (30000).to_bytes(2, "big")
    start = time.perf_counter()
    with pytest.raises(ImageTooLarge):
        probe(bytes(data), limits=LIMITS)
    assert time.perf_counter() - start < 0.2


def test_side_limit() -> None:
    with pytest.raises(ImageTooLarge):
        probe(images.png_bomb(40_000, 10), limits=LIMITS)


def test_too_many_frames() -> None:
    with pytest.raises(ImageTooLarge) as caught:
        probe(images.animated_gif(12), limits=Limits(max_frames=10))
    # Frames are counted up to the first one over the limit, not all: counting is the unbounded part.
    assert caught.value.details["frames"] == 11
    assert "more than 10 frames" in caught.value.public_message


def test_too_many_webp_frames() -> None:
    with pytest.raises(ImageTooLarge) as caught:
        probe(images.animated_webp(12), limits=Limits(max_frames=10))
    assert caught.value.details["frames"] == 11


def test_pixel_limit_on_a_real_photo() -> None:
    with pytest.raises(ImageTooLarge):
        probe(
            images.read(images.PHOTO / "dog_exif_extended_xmp_icc.jpg"), limits=Limits(max_pixels=12_000_000)
        )


@pytest.mark.parametrize(
    "make",
    [
        lambda: images.cut_before_rows(images.read(images.PHOTO / "rocket.jpg")),
        lambda: images.cut_before_rows(images.read(images.PHOTO / "kodim03.png")),
        lambda: images.cut_before_rows(images.animated_gif()),
        lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
    ],
    ids=["jpeg-no-row", "png-no-row", "gif-first-frame-cut", "png-garbage"],
)
def test_truncated_or_corrupt(make: object) -> None:
    with pytest.raises(InvalidImage):
        probe(make(), limits=LIMITS)  # type: ignore[operator]


@pytest.mark.parametrize("data", [b"", b"<html>hello</html>", b"<svg/>", b"II*\x00" + b"\x00" * 64])
def test_not_an_image(data: bytes) -> None:
    with pytest.raises(UnsupportedFormat):
        probe(data, limits=LIMITS)
