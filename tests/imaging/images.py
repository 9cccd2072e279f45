"""Images made in code for the imaging tests: animations, rotated and CMYK JPEGs, 16-bit PNGs and
hostile inputs (bombs, truncations, wrong formats). Real photos come from the shared corpus."""

from __future__ import annotations

import io
import struct
import tempfile
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


def profile_of(data: bytes) -> bytes | None:
    image = load(data)
    return bytes(image.get("icc-profile-data")) if image.get_typeof("icc-profile-data") else None


ADOBE_RGB_FROM = PHOTO / "rocket.jpg"  # the corpus photo whose Adobe RGB (1998) profile the tests reuse


def wide_gamut(name: str, space: str, *, width: int = 400, fmt: str = "jpeg") -> bytes:
    """A corpus photo (thumbnailed to `width`) with its colours transformed into `space` ("p3": libvips'
    Display P3, "adobe": the Adobe RGB profile of rocket.jpg) and that profile embedded: what an iPhone
    or a photographer's export looks like. JPEG at quality 95, or PNG."""
    image = load(read(PHOTO / name)).thumbnail_image(width)
    if image.get_typeof("icc-profile-data"):
        image = image.icc_transform("srgb", embedded=True, intent="relative")
    if space == "p3":
        out = image.icc_transform("p3", input_profile="srgb", intent="relative")
    else:
        adobe = profile_of(read(ADOBE_RGB_FROM))
        assert adobe is not None
        with tempfile.NamedTemporaryFile(suffix=".icc") as file:
            file.write(adobe)
            file.flush()
            out = image.icc_transform(file.name, input_profile="srgb", intent="relative").copy_memory()
    if fmt == "png":
        return bytes(out.pngsave_buffer(keep="icc"))
    return bytes(out.jpegsave_buffer(Q=95, keep="icc"))


def as_shown(data: bytes) -> pyvips.Image:
    """What a colour-managed browser shows: the image through its embedded profile to 8-bit sRGB,
    alpha on white (written here without pixpress's code, to check it)."""
    image = load(data) if data[4:8] != b"ftyp" else pyvips.Image.heifload_buffer(data)
    if image.get_typeof("icc-profile-data"):
        image = image.icc_transform("srgb", embedded=True, intent="relative", depth=8)
    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255])
    image = image.colourspace("srgb").cast("uchar").copy()
    if image.get_typeof("icc-profile-data"):
        image.remove("icc-profile-data")
    return image


# Colorants (D50, Bradford) of the standard spaces, for profiles made in the tests.
SRGB_COLORANTS = ((0.43607, 0.22249, 0.01392), (0.38515, 0.71687, 0.09708), (0.14307, 0.06061, 0.71410))
P3_COLORANTS = ((0.51512, 0.24120, -0.00105), (0.29198, 0.69225, 0.04189), (0.15710, 0.06657, 0.78407))


def srgb_table(entries: int = 1024) -> bytes:
    """A curveType tag holding sRGB's tone curve as a table (how the 3,144-byte sRGB profile says it)."""

    def linear(x: float) -> float:
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4

    values = [round(linear(i / (entries - 1)) * 65535) for i in range(entries)]
    return b"curv\x00\x00\x00\x00" + struct.pack(f">I{entries}H", entries, *values)


def gamma_curve(gamma: float) -> bytes:
    return b"curv\x00\x00\x00\x00" + struct.pack(">IH", 1, round(gamma * 256)) + b"\x00\x00"


def matrix_trc_profile(
    colorants: tuple[tuple[float, float, float], ...], curve: bytes, *, description: str = "test"
) -> bytes:
    """A minimal ICC v2 RGB display profile: desc, wtpt (D50), the colorants and one tone curve shared by
    the three channels. libvips (littlecms) can transform with it."""

    def xyz(values: tuple[float, float, float]) -> bytes:
        return b"XYZ \x00\x00\x00\x00" + b"".join(struct.pack(">i", round(v * 65536)) for v in values)

    text = description.encode("ascii") + b"\x00"
    desc = b"desc\x00\x00\x00\x00" + struct.pack(">I", len(text)) + text + b"\x00" * (4 + 4 + 2 + 1 + 67)
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz((0.9642, 1.0, 0.8249))),
        (b"rXYZ", xyz(colorants[0])),
        (b"gXYZ", xyz(colorants[1])),
        (b"bXYZ", xyz(colorants[2])),
        (b"rTRC", curve),
    ]
    table_size = 4 + 12 * (len(tags) + 2)  # + gTRC and bTRC pointing at rTRC's data
    offset = 128 + table_size
    entries, body = [], b""
    for signature, data in tags:
        data += b"\x00" * (-len(data) % 4)
        entries.append((signature, offset + len(body), len(data)))
        body += data
    entries += [(b"gTRC", entries[-1][1], entries[-1][2]), (b"bTRC", entries[-1][1], entries[-1][2])]
    table = struct.pack(">I", len(entries)) + b"".join(struct.pack(">4sII", *e) for e in entries)
    size = 128 + len(table) + len(body)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + b"\x02\x10\x00\x00"
        + b"mntrRGB XYZ "
        + b"\x00" * 12
        + b"acsp"
        + b"\x00" * 24
        + b"\x00" * 4  # rendering intent
        + b"".join(struct.pack(">i", round(v * 65536)) for v in (0.9642, 1.0, 0.8249))
        + b"\x00" * 48
    )
    assert len(header) == 128
    return header + table + body
