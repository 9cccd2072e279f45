"""Never bigger, for every output: the main image, each `sizes` entry and each format variant.

- An output with the upload's dimensions (and frame count) and format is never larger than the upload:
  when it would be, the upload itself is returned (`"fallback": "original"`).
- A resized or converted output is never larger than the same pixels saved plainly in the upload's
  format (plain.py): when it would be, that plain file is returned (`"fallback": "plain"`), or the
  upload when the plain file has the upload's size and is larger than it. The plain file is scored
  like any output and reported as it is: reaching the target would have cost more bytes than what the
  site had without pixpress, so this rule comes first (docs/formats.md).

With format=auto a variant in another format than the upload's that breaks the rule is dropped from
the variants instead (the upload's own format is among them and keeps the rule itself); the chosen
output lists what was dropped under `"dropped"`. HEIC uploads are exempt: pixpress does not write HEIC.

The plain encode costs CPU, so it runs only for an output larger than a cheap bound: BOUND_SHARE of the
upload's image-data bytes per pixel times the output's pixels. A smaller resize of the same picture
packs more detail into each pixel, so its plain save is rarely below that bound; an output under it is
taken as is (the corpus test checks every output against a plain save made without this shortcut).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from pixpress.errors import InvalidImage
from pixpress.imaging.context import Context
from pixpress.imaging.formats import jpeg_segments
from pixpress.imaging.steps import gain_map
from pixpress.imaging.steps.plain import plain
from pixpress.imaging.types import INPUT_ONLY_FORMATS, ColourPath, EncodedImage, ImageFormat, Mode

# The share of the upload's bytes per pixel below which an output is not checked against a plain save:
# a resize's plain save packs more detail per pixel than the upload, so it is rarely under this.
BOUND_SHARE = 0.8


Score = Callable[[bytes], float]  # the output's perceptual score against the same pixels


def enforce(ctx: Context, variants: list[EncodedImage], *, score: Score) -> list[EncodedImage]:
    """`variants` with each output that breaks the rule replaced (or, format=auto, dropped)."""
    assert ctx.info is not None, "probe runs first"
    if ctx.source_format in INPUT_ONLY_FORMATS:
        return variants
    source = ctx.source_format
    kept: list[EncodedImage] = []
    dropped: list[dict[str, Any]] = []
    has_own_format = any(v.format is source for v in variants)
    for variant in variants:
        fallback = _fallback(ctx, variant, score)
        if fallback is None:
            kept.append(variant)
        elif variant.format is not source and has_own_format and len(variants) > 1:
            dropped.append({"format": variant.format.value, "size": variant.size_bytes, "instead": fallback})
        else:
            kept.append(_instead(fallback, variant))
    if dropped:
        best = min(kept, key=lambda v: v.size_bytes)
        best.settings["dropped"] = [
            {"format": d["format"], "size": d["size"], "larger_than": d["instead"].settings["fallback"]}
            for d in dropped
        ]
    return kept


def _fallback(ctx: Context, variant: EncodedImage, score: Score) -> EncodedImage | None:
    """The original or plain file `variant` must not exceed, when it does; None when it keeps the rule."""
    assert ctx.info is not None
    same_picture = _same_picture(ctx, variant)
    if same_picture and variant.format is ctx.source_format:
        return None if variant.size_bytes <= len(ctx.data) else original(ctx)
    if variant.size_bytes <= cheap_bound(ctx, variant):
        return None
    found = ctx.notes.get("plain")
    if not isinstance(found, EncodedImage):
        data, settings = plain(ctx)
        settings = {**settings, "fallback": "plain"}
        if ctx.info.frames > 1 and not ctx.animated:
            settings["frames"] = "first only"
        fmt = ctx.source_format
        found = EncodedImage(
            data=gain_map.carry(ctx, fmt, data, settings),
            format=fmt,
            width=variant.width,
            height=variant.height,
            settings=settings,
            colour=variant.colour,  # the same pixels, colour step included
            score=100.0 if ctx.options.mode is Mode.LOSSLESS else score(data),
        )
        ctx.notes["plain"] = found
    if same_picture and found.size_bytes > len(ctx.data):
        found = original(ctx)  # the plain file has the upload's size and format: the upload is smaller
    return found if variant.size_bytes > found.size_bytes else None


def _same_picture(ctx: Context, variant: EncodedImage) -> bool:
    assert ctx.info is not None
    frames = ctx.frames if ctx.animated else 1
    return (variant.width, variant.height) == ctx.full_size and frames == ctx.info.frames


def cheap_bound(ctx: Context, variant: EncodedImage) -> float:
    """BOUND_SHARE of the upload's image-data bytes per pixel (all frames) times the output's pixels
    (all its frames). A JPEG's image data is its primary scan: its metadata (often 10-50 KB of EXIF,
    XMP and ICC on a small photo) and its gain map say nothing about what its pixels cost."""
    assert ctx.info is not None
    upload_pixels = ctx.info.width * ctx.info.height * max(1, ctx.info.frames)
    output_pixels = variant.width * variant.height * (ctx.frames if ctx.animated else 1)
    return BOUND_SHARE * _image_bytes(ctx) * output_pixels / max(1, upload_pixels)


def _image_bytes(ctx: Context) -> int:
    if ctx.source_format is ImageFormat.JPEG:
        try:
            layout = jpeg_segments.parse(ctx.data)
        except InvalidImage:
            return len(ctx.data)
        return layout.eoi_end - layout.scan_start
    return len(ctx.data)


def _instead(fallback: EncodedImage, variant: EncodedImage) -> EncodedImage:
    """A copy of `fallback` for this output, saying what it replaced."""
    settings = {
        **fallback.settings,
        "instead_of": {"format": variant.format.value, "size": variant.size_bytes},
    }
    return replace(fallback, settings=settings)


def original(ctx: Context) -> EncodedImage:
    """The upload as the result; its size as displayed (after EXIF orientation), like the variants."""
    assert ctx.info is not None
    width, height = ctx.full_size
    return EncodedImage(
        data=ctx.data,
        format=ctx.info.format,
        width=width,
        height=height,
        settings={"method": "original", "fallback": "original"},
        score=100.0,  # the upload itself: what it shows is the reference
        colour=ColourPath.UNTAGGED if ctx.source_profile is None else ColourPath.PROFILE_KEPT,
    )
