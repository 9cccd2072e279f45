"""The largest image each encoder can write, so that a request no encoder can honour is refused at
submit (422 invalid_option, uncharged) instead of failing in the worker as internal_error.

Measured with the libvips bundled here (8.18.7, narrow 16-pixel strips, both orientations):
webpsave refuses a side above 16383 ("image too large": the WebP format's 14-bit size fields),
heifsave (AV1 through aom) above 16384, jpegsave above 65500 (libjpeg's JPEG_MAX_DIMENSION), gifsave
above 65535 (16-bit size fields); pngsave wrote 100,000 and PNG's fields are 31-bit.
"""

from __future__ import annotations

from pixpress.imaging.types import ImageFormat

MAX_SIDE_PX: dict[ImageFormat, int] = {
    ImageFormat.JPEG: 65_500,
    ImageFormat.PNG: 2**31 - 1,
    ImageFormat.GIF: 65_535,
    ImageFormat.WEBP: 16_383,
    ImageFormat.AVIF: 16_384,
}


def fits(fmt: ImageFormat, width: int, height: int) -> bool:
    """Whether `fmt` can hold a width x height frame."""
    limit = MAX_SIDE_PX[fmt]
    return width <= limit and height <= limit
