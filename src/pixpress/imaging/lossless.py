"""Lossless mode: outputs that decode to exactly the source pixels.

- PNG: the smallest of a few exact encodings at maximum deflate effort with adaptive filters: as is;
  grey when R=G=B everywhere; without alpha when every pixel is opaque; an indexed palette when there
  are at most 256 distinct colours. Each candidate is decoded and compared before it is accepted.
- JPEG: metadata segments removed, entropy-coded data untouched (see jpeg_segments). libvips cannot
  rebuild Huffman tables without re-encoding, so this is the only pixel-exact JPEG optimization here.
- WebP/AVIF: the encoders' lossless settings; `exact_pixels` verifies AVIF, whose lossless mode goes
  through YUV in some encoder builds.
"""

from __future__ import annotations

import numpy as np
import pyvips

from pixpress.imaging import jpeg_segments
from pixpress.imaging.deadline import Deadline
from pixpress.imaging.encode import encode
from pixpress.imaging.types import ImageFormat, KeepMetadata

# Adaptive filtering ("all") is a heuristic: on photos "sub" often wins by 5-7%, on flat graphics
# "none". Each extra filter costs one deflate pass (~0.15 s for 0.4 MP); beyond the pixel count
# below only the adaptive filter is tried.
PNG_FILTERS = ("all", "sub", "none", "paeth")
MAX_FILTER_TRIAL_PIXELS = 4_000_000
MAX_PALETTE_SCAN_PIXELS = 16_000_000  # counting distinct colours beyond this costs too much memory
_SAMPLE = 65_536


def lossless_png(image: pyvips.Image, *, keep: KeepMetadata, deadline: Deadline | None = None) -> bytes:
    """The smallest exact PNG among the reduced forms of `image` and the deflate filters."""
    # (pixels, quality): quality None is plain deflate, 100 the indexed (palette) encoding.
    forms: list[tuple[pyvips.Image, int | None]] = [(image, None)]
    forms += [(reduced, None) for reduced in _reduced(image)]
    if _few_colours(image):
        forms.append((image, 100))
    filters = PNG_FILTERS if image.width * image.height <= MAX_FILTER_TRIAL_PIXELS else PNG_FILTERS[:1]
    best = b""
    for index, (pixels, quality) in enumerate(forms):
        for png_filter in filters:
            if deadline is not None:
                deadline.check("encode:png")
            overrides = {"filter": png_filter, "dither": 0.0} if quality else {"filter": png_filter}
            data = encode(pixels, ImageFormat.PNG, quality, keep=keep, overrides=overrides)
            if best and len(data) >= len(best):
                continue
            if index == 0 or exact_pixels(image, data):  # the first form is the image itself
                best = data
    return best


def lossless_jpeg(data: bytes, *, keep: KeepMetadata, srgb_or_no_profile: bool, orientation: int) -> bytes:
    """The source JPEG without metadata segments (keep=all: unchanged).

    The ICC profile is kept unless keep=none and it is sRGB (dropping any other profile would shift
    colours, converting would change pixels); a rotation is kept as a minimal EXIF orientation tag.
    """
    if keep is KeepMetadata.ALL:
        return data
    keep_icc = not (keep is KeepMetadata.NONE and srgb_or_no_profile)
    return jpeg_segments.strip_metadata(data, keep_icc=keep_icc, orientation=orientation)


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


def _reduced(image: pyvips.Image) -> list[pyvips.Image]:
    """Fewer bands with the same pixels: alpha dropped when opaque, RGB made grey when R=G=B."""
    out: list[pyvips.Image] = []
    opaque = 65535 if image.format == "ushort" else 255
    colour = image
    if image.hasalpha() and image[image.bands - 1].min() == opaque:
        colour = image.extract_band(0, n=image.bands - 1)
        out.append(colour)
    if colour.bands >= 3:
        r, g, b = colour[0], colour[1], colour[2]
        if ((r == g) & (g == b)).min() == 255:
            grey = r.copy(interpretation="grey16" if image.format == "ushort" else "b-w")
            out.append(grey.bandjoin(colour[3]) if colour.bands == 4 else grey)
    return out


def _few_colours(image: pyvips.Image) -> bool:
    """At most 256 distinct 8-bit colours (a palette PNG can then be exact)."""
    if image.format != "uchar" or image.width * image.height > MAX_PALETTE_SCAN_PIXELS:
        return False
    pixels = image.numpy().reshape(-1, image.bands)
    packed = np.zeros(pixels.shape[0], dtype=np.uint32)
    for band in range(image.bands):
        packed |= pixels[:, band].astype(np.uint32) << (8 * band)
    if np.unique(packed[:: max(1, packed.size // _SAMPLE)]).size > 256:
        return False
    return bool(np.unique(packed).size <= 256)


def _animated(image: pyvips.Image) -> bool:
    return "page-height" in image.get_fields() and int(image.get("page-height")) < int(image.height)
