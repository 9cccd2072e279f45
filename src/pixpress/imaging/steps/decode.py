"""Step 3, decode: the pixels the output needs into memory (every frame of an animation kept animated,
the first frame otherwise; fewer pixels when the decoder can shrink on load, see shrink.py), failing on
truncated or corrupt data and re-checking the limits against what the decoder actually produced
(headers can lie about frames).

APNG and AVIF sequences kept animated are read by Pillow (animation_frames.py): libvips reads only
their default image. A PNG that fails the strict decode is rewritten (png_repair.py) and decoded
again: a missing IEND or a bad checksum does not lose an image whose data is whole. A JPEG or PNG
whose data stops early is read leniently and shows the rows a browser shows (rows_shown.py): the
rest is transparent. A GIF libnsgif stops on shows its first frame as a browser draws it
(formats/gif_partial.py), or, damaged in a later frame, the frames before that one. HEIC is read by
pi-heif (heic.py): libvips here has no HEVC decoder.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pyvips

from pixpress.errors import ImageTooLarge, InvalidImage, TaskTimeout
from pixpress.imaging import vips
from pixpress.imaging.context import Context
from pixpress.imaging.formats import (
    gif_partial,
    jpeg_partial,
    jpeg_segments,
    png_chunks,
    png_repair,
    png_stream,
)
from pixpress.imaging.limits import check_limits
from pixpress.imaging.plan import keeps_animation
from pixpress.imaging.steps import animation_frames, heic, metadata, rows_shown, shrink
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
    if ctx.source_format is ImageFormat.GIF and _gif_code_size_below_2(ctx.data):
        # libnsgif reads an LZW code size of 1 as if it were 2 and draws a whole frame of noise;
        # browsers draw the few pixels the codes give.
        return _gif_shown(ctx, animated=animated, error=InvalidImage("The GIF file's LZW code size is 1."))
    try:
        return _load(ctx, ctx.data, all_frames=animated, scaling=scaling)
    except InvalidImage as exc:
        if ctx.source_format is ImageFormat.JPEG:
            return _jpeg_rows_shown(ctx, scaling=scaling, error=exc)
        if ctx.source_format is ImageFormat.GIF:
            return _gif_shown(ctx, animated=animated, error=exc)
        if ctx.source_format is not ImageFormat.PNG:
            raise
    repaired = png_repair.rebuild(ctx.data)
    try:
        return _load(ctx, repaired, all_frames=animated, scaling=scaling)
    except InvalidImage as exc:
        # libpng also stops on a stream whose rows are all there but whose end is missing: that one is
        # read leniently; a stream that stops early is refused, saying where.
        header = png_chunks.parse_header(repaired)
        found = png_stream.read(repaired, header, max_chunks=None, max_inflate=None)
        if not found.rows or (animated and not found.complete):
            raise InvalidImage(found.describe(), details={**exc.details, "rows": found.rows}) from exc
        image = _load(ctx, repaired, all_frames=animated, scaling=scaling, fail_on="none")
        if found.complete:
            return image
        ctx.notes["rows_shown"] = found.rows
        return rows_shown.keep_rows(image, rows=found.rows, height=header.height).copy_memory()


def _jpeg_rows_shown(ctx: Context, *, scaling: dict[str, Any], error: InvalidImage) -> pyvips.Image:
    """A JPEG libjpeg stops on (cut short): the rows a browser shows, the rest transparent."""
    header = jpeg_segments.parse_header(ctx.data)
    rows = jpeg_partial.visible_rows(ctx.data, header)
    if rows <= 0:
        raise InvalidImage(
            "The JPEG file is truncated before its first row of pixels.", details=error.details
        ) from error
    image = _load(ctx, ctx.data, all_frames=False, scaling=scaling, fail_on="none")
    if rows < header.height:
        ctx.notes["rows_shown"] = rows
        image = rows_shown.keep_rows(image, rows=rows, height=header.height).copy_memory()
    return image


def _gif_shown(ctx: Context, *, animated: bool, error: InvalidImage) -> pyvips.Image:
    """A GIF libnsgif stops on: its first frame as a browser draws it (gif_partial.py); when that frame
    is whole and the damage is in a later one, the frames before that one (a browser's animation
    stops there)."""
    first = gif_partial.locate(ctx.data)
    check_limits(width=first.canvas_width, height=first.canvas_height, frames=1, limits=ctx.limits)
    try:
        shown = gif_partial.shown(ctx.data, first)
    except MemoryError as exc:  # the worker's memory cap (PIXPRESS_WORKER_MEMORY_MB)
        raise ImageTooLarge(
            "The image needs more memory than a worker may use (PIXPRESS_WORKER_MEMORY_MB).",
            details={"reason": "the GIF's first frame could not be allocated"},
        ) from exc
    if not shown.decoded:
        raise InvalidImage(
            "The GIF file's first frame has no pixel data that decodes.", details=error.details
        ) from error
    if shown.complete and animated:
        frames = _gif_frames_before_damage(ctx)
        if frames > 1:
            return _load(ctx, ctx.data, all_frames=False, scaling={"n": frames})
    if not shown.complete:
        ctx.notes["pixels_shown"] = shown.decoded
    image = pyvips.Image.new_from_array(shown.pixels, interpretation="srgb")
    return image.copy_memory()


def _gif_code_size_below_2(data: bytes) -> bool:
    try:
        return gif_partial.locate(data).literal_width < 2
    except InvalidImage:
        return False  # no first frame where gif_partial looks: libnsgif's verdict


def _gif_frames_before_damage(ctx: Context) -> int:
    """How many frames from the first decode cleanly (the first does): a binary search, each try a
    strict decode of that many frames."""
    assert ctx.info is not None, "probe runs first"
    good, bad = 1, ctx.info.frames
    while bad - good > 1:
        middle = (good + bad) // 2
        try:
            _load(ctx, ctx.data, all_frames=False, scaling={"n": middle})
        except InvalidImage:
            bad = middle
        else:
            good = middle
    return good


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
