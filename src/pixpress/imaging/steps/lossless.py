"""Lossless mode: outputs that decode to exactly the source pixels.

- PNG: oxipng (level 2: reductions to palette, grey, fewer bits or no alpha where exact, row filters,
  libdeflate) over libvips' uncompressed PNG: oxipng deflates again anyway, so feeding it libvips'
  deflate 9 only cost time (same bytes, kodim03 805 -> 529 ms, logo 615 -> 364 ms). Measured on
  corpus/ (`python -m bench.png_paths`): smaller than the old trial of 4 filters x reduced forms
  at deflate 9 on 15 of 17 PNGs (up to -10%: color.png), text.png +0.6%. The result is decoded and
  compared before it is used. Above MAX_OXIPNG_PIXELS: libvips at deflate 9 with adaptive filters.
- JPEG: metadata segments removed, entropy-coded data untouched (see jpeg_segments). libvips cannot
  rebuild Huffman tables without re-encoding, so this is the only pixel-exact JPEG optimization here.
- WebP/AVIF: the encoders' lossless settings; `exact_pixels` verifies AVIF, whose lossless mode goes
  through YUV in some encoder builds.
"""

from __future__ import annotations

import time

import oxipng
import pyvips

from pixpress.imaging.deadline import Deadline
from pixpress.imaging.formats import jpeg_segments
from pixpress.imaging.steps import metadata
from pixpress.imaging.steps.encode import encode
from pixpress.imaging.types import ImageFormat, KeepMetadata

OXIPNG_LEVEL = 2  # 1: ~2x faster but up to 3% larger than the old trial (kodim03); 3: slower, no smaller
# oxipng holds several filtered copies (~46 bytes per pixel at peak on 0.4 MP photos): larger images
# keep the libvips encode.
MAX_OXIPNG_PIXELS = 4_000_000
UNCOMPRESSED = {"compression": 0, "filter": "none"}  # oxipng's input: it filters and deflates itself


def lossless_png(image: pyvips.Image, *, keep: KeepMetadata, deadline: Deadline | None = None) -> bytes:
    """oxipng's PNG of `image` (libvips' deflate 9 for large images); exact."""
    if image.width * image.height > MAX_OXIPNG_PIXELS:
        return encode(image, ImageFormat.PNG, None, keep=keep, deadline=deadline)
    data = encode(image, ImageFormat.PNG, None, keep=keep, deadline=deadline, overrides=UNCOMPRESSED)
    if deadline is not None:
        deadline.check("encode:png")
    timeout = None if deadline is None or deadline.at is None else max(1, int(deadline.at - time.monotonic()))
    smaller = oxipng.optimize_from_memory(
        data,
        level=OXIPNG_LEVEL,
        bit_depth_reduction=image.format == "uchar",  # 16-bit stays 16-bit
        strip=oxipng.StripChunks.none(),  # metadata is what `keep` left
        timeout=timeout,
    )
    if exact_pixels(image, smaller):
        return smaller
    return encode(image, ImageFormat.PNG, None, keep=keep, deadline=deadline)


def lossless_jpeg(data: bytes, *, keep: KeepMetadata, srgb_or_no_profile: bool, orientation: int) -> bytes:
    """The source JPEG without metadata segments (keep=all: every one but an sRGB profile).

    An sRGB-equivalent profile is dropped whatever `keep` says (an untagged JPEG is sRGB to every
    browser); any other profile is kept, even with keep=none (dropping it would shift colours,
    converting would change pixels); a rotation is kept as a minimal EXIF orientation tag.
    """
    if keep is KeepMetadata.ALL:
        return (
            data
            if not srgb_or_no_profile
            else jpeg_segments.strip_metadata(data, keep_icc=False, keep_other=True)
        )
    return jpeg_segments.strip_metadata(data, keep_icc=not srgb_or_no_profile, orientation=orientation)


def exact_pixels(source: pyvips.Image, encoded: bytes) -> bool:
    """True when `encoded` decodes to the same pixel values as `source` (all frames, all bands;
    a missing alpha band equals an opaque one, a grey image equals R=G=B)."""
    options = {"n": -1} if _animated(source) else {}
    decoded = pyvips.Image.new_from_buffer(encoded, "", **options)
    if (decoded.width, decoded.height) != (source.width, source.height):
        return False
    a, b = _normalised(source), _normalised(decoded)
    if a.format != b.format:
        return False
    return bool((a == b).min() == 255)


def _normalised(image: pyvips.Image) -> pyvips.Image:
    if image.bands <= 2:  # grey (+alpha) -> RGB (+alpha), no colour conversion
        grey = image[0]
        rgb = grey.bandjoin([grey, grey])
        image = rgb.bandjoin(image[1]) if image.bands == 2 else rgb
    if image.bands == 3:
        opaque = 65535 if image.format == "ushort" else 255
        image = image.bandjoin(opaque)
    return image


def _animated(image: pyvips.Image) -> bool:
    return 0 < metadata.get_int(image, metadata.PAGE_HEIGHT, 0) < int(image.height)
