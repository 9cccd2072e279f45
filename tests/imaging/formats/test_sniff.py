from __future__ import annotations

import pytest

from pixpress.errors import UnsupportedFormat
from pixpress.imaging import ImageFormat, sniff
from tests.imaging import images


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (images.PHOTO / "kodim03.png", ImageFormat.PNG),
        (images.PHOTO / "rocket.jpg", ImageFormat.JPEG),
        (images.GRAPHIC / "transparent.png", ImageFormat.PNG),
    ],
)
def test_corpus_files(path: object, expected: ImageFormat) -> None:
    assert sniff(images.read(path)) is expected  # type: ignore[arg-type]


def test_made_formats() -> None:
    source = images.load(images.read(images.PHOTO / "kodim05.png"))
    assert sniff(images.animated_gif()) is ImageFormat.GIF
    assert sniff(source.webpsave_buffer()) is ImageFormat.WEBP
    assert sniff(source.heifsave_buffer(compression="av1", effort=0)) is ImageFormat.AVIF


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\x00" * 32


@pytest.mark.parametrize("brands", [(b"avif", b"mif1"), (b"avis", b"msf1"), (b"mif1", b"avif", b"miaf")])
def test_avif_brands_are_accepted(brands: tuple[bytes, ...]) -> None:
    assert sniff(ftyp(*brands)) is ImageFormat.AVIF


@pytest.mark.parametrize(
    "brands",
    [(b"heic", b"mif1", b"heic"), (b"heix", b"mif1"), (b"mif1", b"heic"), (b"hevc", b"msf1"), (b"heim",),
     (b"heis",), (b"hevm",), (b"hevs",)],
)  # fmt: skip
def test_heic_brands_are_accepted(brands: tuple[bytes, ...]) -> None:
    assert sniff(ftyp(*brands)) is ImageFormat.HEIC


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<!DOCTYPE html><html><body>not a png</body></html>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        b"<svg width='10' height='10'></svg>",
        b"II*\x00\x08\x00\x00\x00" + b"\x00" * 32,  # TIFF little-endian
        b"MM\x00*\x00\x00\x00\x08" + b"\x00" * 32,  # TIFF big-endian
        b"BM" + b"\x00" * 60,  # BMP
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"plain text, definitely not an image",
        ftyp(b"mif1", b"miaf"),  # generic brands and no meta box: nothing says the codec
        b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32,
        b"\xff\xd8",  # too short to be a JPEG
    ],
)
def test_everything_else_is_refused(data: bytes) -> None:
    with pytest.raises(UnsupportedFormat):
        sniff(data)
