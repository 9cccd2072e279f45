"""Small seed files of every accepted type, made from the shared corpus at test time.

Small (a few KB) on purpose: a random position then lands in a header or a length field often, and
a case costs milliseconds. Together they cover the decoders' main paths: baseline and progressive
JPEG with EXIF/XMP/ICC segments, a rotated, a CMYK and a Display P3 JPEG; RGB, alpha, palette and
16-bit PNG, and one with text chunks named in Latin-1 (pyvips' get_fields() cannot decode them);
still and animated GIF and WebP; lossy, lossless-with-alpha and Display P3 WebP; AVIF with and without
alpha.
"""

from __future__ import annotations

import functools

import pyvips

from tests.conftest import CORPUS
from tests.imaging import crafted, images

SIDE_PX = 64
NAMES = (
    "jpeg_metadata", "jpeg_progressive", "jpeg_rotated", "jpeg_cmyk", "jpeg_p3",
    "png_rgb", "png_alpha", "png_palette", "png_16bit", "png_latin1_text",
    "gif_still", "gif_animated",
    "webp_lossy", "webp_lossless_alpha", "webp_animated", "webp_p3",
    "avif", "avif_alpha",
)  # fmt: skip


def _small(path: str, side: int = SIDE_PX) -> pyvips.Image:
    # In memory: each seed reads the pixels again, and a streamed load reads them once only.
    return pyvips.Image.thumbnail_buffer(images.read(CORPUS / path), side).copy_memory()


@functools.cache
def seeds() -> dict[str, bytes]:
    photo = _small("photo/kodim05.png")
    metadata = _small("photo/dog_exif_extended_xmp_icc.jpg")
    alpha = _small("graphic/transparent.png", 48)
    rotated = photo.copy()
    rotated.set_type(pyvips.GValue.gint_type, "orientation", 6)
    p3 = photo.icc_export(output_profile="p3")  # tagged with a 480-byte Display P3 profile to mutate
    strip = images.animated_strip(frames=3, width=24, height=16)
    made = {
        "jpeg_metadata": metadata.jpegsave_buffer(Q=80, keep="all"),
        "jpeg_progressive": photo.jpegsave_buffer(Q=80, interlace=True, keep="none"),
        "jpeg_rotated": rotated.jpegsave_buffer(Q=80, keep="exif"),
        "jpeg_cmyk": photo.icc_transform("cmyk", input_profile="srgb").jpegsave_buffer(Q=80, keep="none"),
        "jpeg_p3": p3.jpegsave_buffer(Q=80, keep="icc"),
        "png_rgb": photo.pngsave_buffer(keep="none"),
        "png_alpha": alpha.pngsave_buffer(keep="none"),
        "png_palette": _small("graphic/logo.png", 48).pngsave_buffer(palette=True, keep="none"),
        "png_16bit": photo.colourspace("rgb16").pngsave_buffer(keep="none"),
        "png_latin1_text": crafted.png_with_chunks(
            crafted.png_text_chunk(b"tEXt", b"Titel \xe4", b"Caf\xe9")
            + crafted.png_text_chunk(b"iTXt", b"k\xff", b"\xfe"),
            photo.pngsave_buffer(keep="none"),
        ),
        "gif_still": photo.gifsave_buffer(keep="none"),
        "gif_animated": strip.gifsave_buffer(),
        "webp_lossy": photo.webpsave_buffer(Q=80, keep="none"),
        "webp_lossless_alpha": alpha.webpsave_buffer(lossless=True, keep="none"),
        "webp_animated": strip.webpsave_buffer(Q=80),
        "webp_p3": p3.webpsave_buffer(Q=80, keep="icc"),
        "avif": photo.heifsave_buffer(Q=50, compression="av1", keep="none"),
        "avif_alpha": alpha.heifsave_buffer(Q=50, compression="av1", keep="none"),
    }
    assert tuple(made) == NAMES
    return {name: bytes(data) for name, data in made.items()}
