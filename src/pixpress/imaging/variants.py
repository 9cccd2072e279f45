"""Step 7 for one target format: choose the encoder settings for the mode and produce an EncodedImage.

This is where the per-image quality search will plug in: today the quality is the mode's fixed
preset (or the caller's `quality`); `encode(image, fmt, quality)` does the encoding itself.
"""

from __future__ import annotations

from typing import Any

from pixpress.imaging import icc, presets
from pixpress.imaging.context import Context
from pixpress.imaging.encode import encode, encoder_settings
from pixpress.imaging.lossless import exact_pixels, lossless_jpeg, lossless_png
from pixpress.imaging.palette import palette_png
from pixpress.imaging.types import EncodedImage, ImageFormat, Mode


def encode_variant(ctx: Context, fmt: ImageFormat) -> EncodedImage:
    if ctx.options.mode is Mode.LOSSLESS:
        data, quality, settings = _lossless(ctx, fmt)
    else:
        data, quality, settings = _lossy(ctx, fmt)
    image = ctx.pixels
    return EncodedImage(
        data=data,
        format=fmt,
        width=int(image.width),
        height=ctx.frame_height,
        quality=quality,
        settings=settings,
    )


def choose_quality(ctx: Context, fmt: ImageFormat) -> int:
    """The encoder quality for `fmt`: the caller's, else the mode's preset. The seam for the
    per-image quality search (SSIMULACRA2 target), which will search here with `encode`."""
    quality = ctx.options.quality or presets.default_quality(ctx.options.mode, fmt)
    assert quality is not None, "lossless mode has no quality"
    return quality


def _lossy(ctx: Context, fmt: ImageFormat) -> tuple[bytes, int | None, dict[str, Any]]:
    options = ctx.options
    quality = choose_quality(ctx, fmt)
    keep = options.keep_metadata
    if fmt is ImageFormat.PNG:
        data = palette_png(
            ctx.pixels, quality=quality, mode=options.mode, keep=keep, checked=options.quality is None
        )
        if data is not None:
            return data, quality, {**encoder_settings(fmt, quality)}
        # The palette would change the look: lossless PNG instead.
        return (
            lossless_png(ctx.pixels, keep=keep, deadline=ctx.deadline),
            None,
            {"palette": False, **encoder_settings(fmt, None)},
        )
    data = encode(ctx.pixels, fmt, quality, keep=keep, deadline=ctx.deadline)
    return data, quality, encoder_settings(fmt, quality)


def _lossless(ctx: Context, fmt: ImageFormat) -> tuple[bytes, int | None, dict[str, Any]]:
    keep = ctx.options.keep_metadata
    image = ctx.pixels
    if fmt is ImageFormat.JPEG and ctx.source_format is ImageFormat.JPEG and not ctx.resized:
        profile = ctx.source_profile  # not the pixels': the colour step may have converted them
        data = lossless_jpeg(
            ctx.data,
            keep=keep,
            srgb_or_no_profile=profile is None or icc.is_srgb(profile),
            orientation=ctx.orientation,
        )
        return data, None, {"method": "metadata-strip", "exact": True}
    if fmt is ImageFormat.PNG:
        return (
            lossless_png(image, keep=keep, deadline=ctx.deadline),
            None,
            {**encoder_settings(fmt, None), "exact": True},
        )
    data = encode(image, fmt, None, keep=keep, deadline=ctx.deadline)
    settings: dict[str, Any] = encoder_settings(fmt, None)
    if fmt is ImageFormat.JPEG:
        # JPEG from other pixels cannot be exact: quality 100 with full chroma is the closest.
        return data, 100, {**settings, "exact": False}
    exact = exact_pixels(image, data)
    if not exact and fmt is ImageFormat.GIF and not ctx.resized:
        return ctx.data, None, {"method": "original", "exact": True}
    return data, None, {**settings, "exact": exact}
