"""Images made in code for the imaging tests: animations, rotated and CMYK JPEGs, 16-bit PNGs and
hostile inputs (bombs, truncations, wrong formats). Real photos come from the shared corpus."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pillow_heif
import pyvips
from PIL import Image

from tests import hostile
from tests.conftest import CORPUS

PHOTO = CORPUS / "photo"
GRAPHIC = CORPUS / "graphic"
DELAYS_MS = [100, 200, 300, 400, 500]


def read(path: Path) -> bytes:
    return path.read_bytes()


def load(data: bytes, **options: object) -> pyvips.Image:
    return pyvips.Image.new_from_buffer(data, "", **options)


def pixels(data: bytes, **options: object) -> np.ndarray:
    return np.asarray(load(data, **options).numpy())


def mean_colour(image: pyvips.Image) -> list[float]:
    return [float(image[i].avg()) for i in range(3)]


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose valid IHDR claims width x height RGB pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 4096, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def animated_strip(frames: int = 5, width: int = 48, height: int = 32) -> pyvips.Image:
    """`frames` solid frames of different colours, each with a moving white square, stacked vertically."""
    pages = []
    for i in range(frames):
        colour = [(40 * i) % 256, 255 - (40 * i) % 256, (90 * i) % 256]
        page = (pyvips.Image.black(width, height) + colour).cast("uchar")
        page = page.draw_rect([255, 255, 255], 4 * i, 4, 8, 8, fill=True)
        pages.append(page)
    strip = pyvips.Image.arrayjoin(pages, across=1).copy(interpretation="srgb")
    strip.set_type(pyvips.GValue.gint_type, "page-height", height)
    strip.set_type(pyvips.GValue.array_int_type, "delay", DELAYS_MS[:frames] + [100] * (frames - 5))
    strip.set_type(pyvips.GValue.gint_type, "loop", 0)
    return strip


def animated_gif(frames: int = 5) -> bytes:
    data: bytes = animated_strip(frames).gifsave_buffer()
    return data


def animated_webp(frames: int = 5) -> bytes:
    data: bytes = animated_strip(frames).webpsave_buffer(Q=90)
    return data


def rotated_jpeg(orientation: int = 6) -> tuple[bytes, pyvips.Image]:
    """A JPEG stored as kodim05 with EXIF orientation set, and the upright image a viewer shows."""
    source = load(read(PHOTO / "kodim05.png"))
    tagged = source.copy()
    tagged.set_type(pyvips.GValue.gint_type, "orientation", orientation)
    data: bytes = tagged.jpegsave_buffer(Q=95, keep="all")
    return data, load(data).autorot()


def cmyk_jpeg(*, embed_profile: bool) -> tuple[bytes, pyvips.Image]:
    """kodim05 converted to CMYK with libvips' CMYK profile, and the sRGB original."""
    source = load(read(PHOTO / "kodim05.png"))
    cmyk = source.icc_transform("cmyk", input_profile="srgb", intent="relative")
    data: bytes = cmyk.jpegsave_buffer(Q=95, keep="icc" if embed_profile else "none")
    return data, source


def png16(path: Path = PHOTO / "kodim05.png") -> bytes:
    data: bytes = load(read(path)).colourspace("rgb16").pngsave_buffer(keep="none")
    return data


def half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def heic(pixels: np.ndarray, *, quality: int = 60, **save: object) -> bytes:
    """`pixels` (H x W x 3 or 4, uint8) as a HEIC written by pillow-heif's x265 encoder; `save` passes
    exif, icc_profile, primary_index... through."""
    out = io.BytesIO()
    pillow_heif.from_pillow(Image.fromarray(pixels)).save(out, quality=quality, **save)
    return out.getvalue()


def cut_before_rows(data: bytes) -> bytes:
    return hostile.cut_before_rows(data)
