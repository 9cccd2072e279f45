"""Step 7, encode: one image, one format, one quality -> bytes. Pure encoder calls, no decisions
beyond adapting the pixels to what the format can hold (alpha on JPEG, 16-bit, bands).

`encode(image, fmt, quality)` is the callable the quality search drives: quality None means the
format's lossless setting (JPEG has none: quality 100 with full-resolution chroma is used).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyvips

from pixpress.errors import InternalError, TaskTimeout
from pixpress.imaging import presets, vips
from pixpress.imaging.deadline import Deadline
from pixpress.imaging.formats import png_chunks
from pixpress.imaging.steps.colour import declares_srgb
from pixpress.imaging.types import INPUT_ONLY_FORMATS, ImageFormat, KeepMetadata
from pixpress.metrics import record

KEEP = {KeepMetadata.NONE: "none", KeepMetadata.ICC: "icc", KeepMetadata.ALL: "all"}


@record.timed(record.ENCODE_SECONDS, label_arg="fmt")
def encode(
    image: pyvips.Image,
    fmt: ImageFormat,
    quality: int | None,
    *,
    keep: KeepMetadata = KeepMetadata.NONE,
    deadline: Deadline | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> bytes:
    """Encode every frame of `image` (page-height/delay/loop metadata is honoured by GIF and WebP).

    Raises TaskTimeout when `deadline` passes while libvips computes the pixels, InternalError when
    the encoder fails. `overrides` replaces saver parameters (e.g. the PNG filter).
    """
    params = {**encoder_settings(fmt, quality), **(overrides or {})}
    out = adapt(image, fmt, lossless=quality is None)
    if deadline is not None:
        out = deadline.watch(out.copy())
    saver = getattr(out, f"{_saver(fmt)}_buffer")
    try:
        data: bytes = saver(keep=KEEP[keep], **params)
    except pyvips.Error as exc:
        if deadline is not None and deadline.expired:
            raise TaskTimeout(details={"step": "encode"}) from exc
        if vips.out_of_memory(exc):
            raise vips.too_large(exc) from exc
        raise InternalError(details={"step": "encode", "format": fmt.value}) from exc
    if fmt is ImageFormat.PNG and declares_srgb(image):
        data = png_chunks.with_srgb_chunk(data)  # the dropped sRGB profile, said in 13 bytes
    return data


def encoder_settings(fmt: ImageFormat, quality: int | None) -> dict[str, Any]:
    """The libvips saver parameters for `fmt` at `quality` (None: lossless)."""
    if fmt is ImageFormat.JPEG:
        q = 100 if quality is None else quality
        return {"Q": q, **presets.MOZJPEG, "subsample_mode": _subsample(q)}
    if fmt is ImageFormat.PNG:
        if quality is None:
            return {"compression": 9, "filter": "all", "interlace": False}
        return {
            "compression": presets.PNG_PALETTE_COMPRESSION,
            "filter": "none",  # adaptive filtering costs palette images 20-30% (presets.py)
            "palette": True,
            "Q": quality,
            "dither": 1.0,
            "effort": presets.PNG_EFFORT,
        }
    if fmt is ImageFormat.WEBP:
        if quality is None:
            return {"lossless": True, "exact": True, "effort": presets.WEBP_LOSSLESS_EFFORT}
        return {"Q": quality, "effort": presets.WEBP_EFFORT, "smart_subsample": True, "alpha_q": 100}
    if fmt is ImageFormat.AVIF:
        base: dict[str, Any] = {"compression": "av1", "effort": presets.AVIF_EFFORT, "bitdepth": 8}
        if quality is None:
            return {**base, "lossless": True}
        return {**base, "Q": quality}
    # GIF: quality sets how far a pixel may drift to be reused from the previous frame (lossy q80:
    # 10 -> about -18% on a photographic animation, glossy q90: 5 -> -6%).
    max_error = 0.0 if quality is None else max(0.0, (100 - quality) / 2)
    return {
        "effort": presets.GIF_EFFORT,
        "interframe_maxerror": max_error,
        "interpalette_maxerror": 3.0 if quality is not None else 0.0,
        "reuse": quality is None,
        "dither": 0.0 if quality is None else 1.0,
    }


def adapt(image: pyvips.Image, fmt: ImageFormat, *, lossless: bool) -> pyvips.Image:
    """Pixels the format can hold: no alpha for JPEG, 8-bit except lossless PNG, sRGB or grey bands."""
    if fmt is ImageFormat.JPEG and image.hasalpha():
        white = [65535] if image.format == "ushort" else [255]
        image = image.flatten(background=white * (image.bands - 1))
    keep_16bit = fmt is ImageFormat.PNG and lossless
    if image.format not in ("uchar",) and not keep_16bit:
        grey = image.bands <= 2
        image = image.colourspace("b-w" if grey else "srgb")
        if image.format != "uchar":
            image = image.cast("uchar")
    return image


def _subsample(quality: int) -> str:
    return "off" if quality >= presets.JPEG_NO_SUBSAMPLE_FROM else "on"


def _saver(fmt: ImageFormat) -> str:
    if fmt in INPUT_ONLY_FORMATS:  # plan.targets never asks for one: a bug, not a bad upload
        raise ValueError(f"pixpress never writes {fmt.value}")
    return "heifsave" if fmt is ImageFormat.AVIF else f"{fmt.value}save"
