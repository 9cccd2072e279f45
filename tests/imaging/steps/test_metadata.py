"""Metadata whose names or values are not UTF-8, or that comes in thousands of pieces, never fails a
task: read through imaging/steps/metadata.py, the task ends optimized like any other."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from pixpress.imaging import (
    ImageFormat,
    KeepMetadata,
    Limits,
    Mode,
    OptimizeOptions,
    OutputFormat,
    optimize,
    probe,
    sniff,
)
from pixpress.imaging.steps import metadata
from tests.imaging import crafted, images

LATIN1_KEYWORD = b"Beschreibung \xe4\xf6\xfc"  # a German writer's tEXt keyword, in Latin-1 as PNG says
OPTION_SETS = {
    "default": OptimizeOptions(),
    "keep-all": OptimizeOptions(keep_metadata=KeepMetadata.ALL),
    "lossless": OptimizeOptions(mode=Mode.LOSSLESS),
    "auto": OptimizeOptions(format=OutputFormat.AUTO, accept=frozenset(ImageFormat)),
}


def _optimizes(data: bytes, options: OptimizeOptions) -> None:
    probe(data, limits=Limits())
    result = optimize(data, options=options, limits=Limits())
    assert sniff(result.image.data) is result.image.format
    assert images.load(result.image.data).width == 16


@pytest.mark.parametrize("options", OPTION_SETS.values(), ids=OPTION_SETS.keys())
@pytest.mark.parametrize("kind", [b"tEXt", b"zTXt", b"iTXt"])
def test_a_text_chunk_named_in_latin1_optimizes(kind: bytes, options: OptimizeOptions) -> None:
    # Before: UnicodeDecodeError from pyvips' get_fields() in vips.page_height, the task internal_error.
    data = crafted.png_with_chunks(crafted.png_text_chunk(kind, LATIN1_KEYWORD, b"caf\xe9 \xff\xfe"))
    _optimizes(data, options)


def _texts(count: int, start: int = 0) -> bytes:
    return b"".join(
        crafted.png_text_chunk(b"tEXt", b"k\xff" + str(i).encode(), b"\xe9" * 16)
        for i in range(start, start + count)
    )


def test_thousands_of_text_chunks_with_foreign_names_optimize() -> None:
    # Up to png_chunks.MAX_HEADER_CHUNKS before the image data (more is refused at submit), thousands
    # after it, where libvips reads them too.
    base = crafted.png_with_chunks(_texts(1000))
    iend = len(base) - 12
    data = base[:iend] + _texts(5000, start=1000) + base[iend:]
    for options in (OPTION_SETS["default"], OPTION_SETS["keep-all"]):
        _optimizes(data, options)


def test_a_huge_text_chunk_with_a_foreign_name_optimizes() -> None:
    data = crafted.png_with_chunks(crafted.png_text_chunk(b"tEXt", LATIN1_KEYWORD, b"\xff" * 20_000_000))
    _optimizes(data, OPTION_SETS["default"])


def test_an_animated_png_with_latin1_text_stays_animated() -> None:
    # APNG kept animated goes through Pillow (animation_frames.py), whose text chunks are Latin-1 too.
    strip = images.animated_strip(frames=3, width=16, height=16)
    frames = [Image.fromarray(strip.crop(0, 16 * i, 16, 16).numpy()) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:], duration=100)
    apng = crafted.png_with_chunks(crafted.png_text_chunk(b"tEXt", LATIN1_KEYWORD, b"\xe9"), out.getvalue())
    result = optimize(apng, options=OptimizeOptions(), limits=Limits())
    assert result.image.format is ImageFormat.PNG
    with Image.open(io.BytesIO(result.image.data)) as written:
        assert written.n_frames == 3


def test_names_escape_what_is_not_utf8() -> None:
    data = crafted.png_with_chunks(crafted.png_text_chunk(b"tEXt", b"caf\xe9", b"x"))
    image = images.load(data)
    with pytest.raises(UnicodeDecodeError):
        image.get_fields()  # what pyvips does, and why nothing in imaging/ calls it
    assert "png-comment-0-caf\\xe9" in metadata.names(image)


def test_values_are_read_whatever_their_bytes() -> None:
    data = crafted.png_with_chunks(crafted.png_text_chunk(b"iTXt", b"Comment", b"v\xff\xfe"))
    image = images.load(data)
    value = metadata.get(image, "png-comment-0-Comment")
    assert isinstance(value, str) and value.startswith("v")
    assert metadata.get(image, "no-such-field") is None
    assert metadata.get_int(image, "png-comment-0-Comment", 7) == 7  # a string is not a number
    assert metadata.get_blob(image, "png-comment-0-Comment") is None
    assert metadata.get_int(image, "width", 0) == 16


def test_exif_strings_that_are_not_utf8_are_read() -> None:
    exif = Image.Exif()
    exif[0x010E] = b"desc \xff\xfe caf\xe9"  # ImageDescription
    exif[0x013B] = "Art\xe9"  # Artist
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 40, 90)).save(out, "JPEG", exif=exif.tobytes())
    image = images.load(out.getvalue())
    assert "desc" in metadata.get(image, "exif-ifd0-ImageDescription")
    for options in OPTION_SETS.values():
        _optimizes(out.getvalue(), options)


def test_pillow_info_is_read_by_type() -> None:
    info = {"icc_profile": "not bytes", "exif": b"Exif\x00\x00", "duration": "100", "loop": 2}
    assert metadata.pillow_bytes(info, "icc_profile") is None
    assert metadata.pillow_bytes(info, "exif") == b"Exif\x00\x00"
    assert metadata.pillow_number(info, "duration") is None
    assert metadata.pillow_number(info, "loop") == 2.0
