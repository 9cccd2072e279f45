"""The plain save: the output's pixels written in the upload's own format the way any tool would, with
libvips' defaults and no search. It is the yardstick of "never bigger" (never_bigger.py): a resized
or converted output is never larger than this.

- JPEG: libvips' jpegsave (4:2:0, baseline, standard tables) at the upload's own quality, estimated
  from its luminance quantisation table as libjpeg scales it (estimate_jpeg_quality), DEFAULT_JPEG_Q
  when the table is not a scaled standard one. The upload's quality, not a fixed one: a Q60 upload
  resized and saved at Q85 would be a yardstick no optimizer needs to beat.
- PNG: pngsave with its defaults (deflate 6, adaptive filters, truecolour).
- GIF: gifsave with its defaults, every frame.
- WebP: webpsave at its default quality (75), every frame; AVIF: heifsave AV1 at its default (50).
- APNG and AVIF sequences kept animated: the animation writer, lossless APNG, AVIF at the mode's preset.
- Lossless mode: the format's lossless setting (JPEG: quality 100), since the output must stay exact.
"""

from __future__ import annotations

from typing import Any

from pixpress.imaging import presets
from pixpress.imaging.context import Context
from pixpress.imaging.formats import jpeg_segments
from pixpress.imaging.steps import animation_save
from pixpress.imaging.steps.encode import KEEP, adapt, encode, encoder_settings
from pixpress.imaging.types import ImageFormat, Mode

DEFAULT_JPEG_Q = 85
# libjpeg's standard luminance table (ITU T.81 Annex K), in natural order; the mean is all that is used.
_STANDARD_LUMA = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip


def plain(ctx: Context) -> tuple[bytes, dict[str, Any]]:
    """The pixels of `ctx` saved plainly in the upload's format, and the settings used."""
    fmt = ctx.source_format.servable
    keep = ctx.options.keep_metadata
    if ctx.options.mode is Mode.LOSSLESS:
        if ctx.animated and fmt in animation_save.FORMATS:
            return animation_save.encode(ctx.pixels, fmt, None, keep=keep, deadline=ctx.deadline), {}
        return encode(ctx.pixels, fmt, None, keep=keep, deadline=ctx.deadline), encoder_settings(fmt, None)
    if ctx.animated and fmt in animation_save.FORMATS:
        quality = None if fmt is ImageFormat.PNG else presets.default_quality(ctx.options.mode, fmt)
        sequence = animation_save.encode(ctx.pixels, fmt, quality, keep=keep, deadline=ctx.deadline)
        return sequence, {"writer": "pillow", "quality": quality}
    settings: dict[str, Any] = {}
    if fmt is ImageFormat.JPEG:
        settings["Q"] = estimate_jpeg_quality(ctx.data) or DEFAULT_JPEG_Q
    elif fmt is ImageFormat.AVIF:
        settings["compression"] = "av1"
    saver = "heifsave" if fmt is ImageFormat.AVIF else f"{fmt.value}save"
    image = adapt(ctx.pixels, fmt, lossless=False)
    ctx.deadline.check(f"plain:{fmt.value}")
    data: bytes = getattr(image, f"{saver}_buffer")(keep=KEEP[keep], **settings)
    return data, settings


def estimate_jpeg_quality(data: bytes) -> int | None:
    """The libjpeg quality whose scaled standard luminance table has the same mean as the upload's
    first quantisation table (None when there is none or it is no JPEG)."""
    if not data.startswith(jpeg_segments.SOI):
        return None
    try:
        header = jpeg_segments.parse_header(data)
    except Exception:
        return None
    for segment in header.segments:
        if segment.marker != 0xDB:
            continue
        payload = segment.payload(data)
        if not payload:
            return None
        wide = payload[0] >> 4  # 16-bit entries
        values = payload[1 : 1 + 64 * (2 if wide else 1)]
        if wide:
            table = [int.from_bytes(values[i : i + 2], "big") for i in range(0, len(values), 2)]
        else:
            table = list(values)
        if len(table) != 64:
            return None
        scale = 100 * sum(table) / sum(_STANDARD_LUMA)
        quality = (200 - scale) / 2 if scale <= 100 else 5000 / scale
        return max(1, min(100, round(quality)))
    return None
