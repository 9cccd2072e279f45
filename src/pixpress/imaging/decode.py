"""Step 3, decode: the pixels the output needs into memory (every frame of an animation kept animated,
the first frame otherwise; fewer pixels when the decoder can shrink on load, see shrink.py), failing on
truncated or corrupt data and re-checking the limits against what the decoder actually produced
(headers can lie about frames).

APNG and AVIF sequences kept animated are read by Pillow (animation_frames.py): libvips reads only
their default image. A PNG that fails the strict decode is rewritten (png_repair.py) and decoded
again: a missing IEND or a bad checksum does not lose an image whose data is whole. HEIC is read by
pi-heif (heic.py): libvips here has no HEVC decoder.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pyvips

from pixpress.errors import InvalidImage, TaskTimeout
from pixpress.imaging import (
    animation_frames,
    heic,
    metadata,
    png_chunks,
    png_repair,
    png_stream,
    shrink,
    vips,
)
from pixpress.imaging.context import Context
from pixpress.imaging.limits import check_limits
from pixpress.imaging.plan import keeps_animation
from pixpress.imaging.types import ImageFormat


def decode(ctx: Context) -> None:
    assert ctx.info is not None, "probe runs first"
    animated = keeps_animation(ctx)
    scaling = shrink.load_options(ctx.info, ctx.options, animated_output=animated)
    if ctx.source_format is ImageFormat.HEIC:
        image = heic.decode(ctx.data, limits=ctx.limits, deadline=ctx.deadline)
    elif animated and ctx.source_format in animation_frames.FORMATS:
        image = _with_pillow(ctx)
    else:
        image = _with_libvips(ctx, animated=animated, scaling=scaling)
    frames = int(image.height) // vips.page_height(image)
    ctx.image = image
    ctx.frames = frames
    ctx.shrunk_on_load = bool(scaling)
    ctx.orientation = metadata.get_int(image, metadata.ORIENTATION, ctx.orientation)
    profile = metadata.get_blob(image, metadata.ICC)
    if profile is not None:
        ctx.source_profile = profile


def _with_pillow(ctx: Context) -> pyvips.Image:
    read = partial(animation_frames.read, fmt=ctx.source_format, limits=ctx.limits, deadline=ctx.deadline)
    try:
        return read(ctx.data)
    except InvalidImage:
        if ctx.source_format is not ImageFormat.PNG:
            raise
    # Pillow refuses a damaged text chunk or checksum, and a missing IEND after the last frame.
    return read(png_repair.rebuild(ctx.data))


def _with_libvips(ctx: Context, *, animated: bool, scaling: dict[str, Any]) -> pyvips.Image:
    try:
        return _load(ctx, ctx.data, all_frames=animated, scaling=scaling)
    except InvalidImage:
        if ctx.source_format is not ImageFormat.PNG:
            raise
    repaired = png_repair.rebuild(ctx.data)
    try:
        return _load(ctx, repaired, all_frames=animated, scaling=scaling)
    except InvalidImage as exc:
        # libpng also stops on a stream whose rows are all there but whose end is missing: that one is
        # read leniently; a stream that stops early is refused, saying where.
        found = png_stream.read(
            repaired, png_chunks.parse_header(repaired), max_chunks=None, max_inflate=None
        )
        if not found.complete:
            raise InvalidImage(found.describe(), details={**exc.details, "rows": found.rows}) from exc
        return _load(ctx, repaired, all_frames=animated, scaling=scaling, fail_on="none")


def _load(
    ctx: Context, data: bytes, *, all_frames: bool, scaling: dict[str, Any], fail_on: str = "error"
) -> pyvips.Image:
    image = vips.load_pixels(data, ctx.source_format, all_frames=all_frames, fail_on=fail_on, **scaling)
    page_height = vips.page_height(image)
    frames = int(image.height) // page_height
    check_limits(width=int(image.width), height=page_height, frames=frames, limits=ctx.limits)
    ctx.deadline.watch(image)
    try:
        return image.copy_memory()
    except pyvips.Error as exc:
        if ctx.deadline.expired:
            raise TaskTimeout(details={"step": "decode"}) from exc
        if vips.out_of_memory(exc):
            raise vips.too_large(exc) from exc
        raise InvalidImage(details={"reason": vips.error_reason(exc)}) from exc
