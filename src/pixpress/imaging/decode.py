"""Step 3, decode: the pixels the output needs into memory (every frame of an animation kept animated,
the first frame otherwise; fewer pixels when the decoder can shrink on load, see shrink.py), failing on
truncated or corrupt data and re-checking the limits against what the decoder actually produced
(headers can lie about frames)."""

from __future__ import annotations

import pyvips

from pixpress.errors import InvalidImage, TaskTimeout
from pixpress.imaging import shrink, vips
from pixpress.imaging.context import Context
from pixpress.imaging.limits import check_limits
from pixpress.imaging.plan import keeps_animation


def decode(ctx: Context) -> None:
    assert ctx.info is not None, "probe runs first"
    fmt = ctx.source_format
    animated = keeps_animation(ctx)
    scaling = shrink.load_options(ctx.info, ctx.options, animated_output=animated)
    image = vips.load_pixels(ctx.data, fmt, all_frames=animated, **scaling)
    page_height = vips.page_height(image)
    frames = int(image.height) // page_height
    check_limits(width=int(image.width), height=page_height, frames=frames, limits=ctx.limits)
    ctx.deadline.watch(image)
    try:
        image = image.copy_memory()
    except pyvips.Error as exc:
        if ctx.deadline.expired:
            raise TaskTimeout(details={"step": "decode"}) from exc
        if vips.out_of_memory(exc):
            raise vips.too_large(exc) from exc
        raise InvalidImage(details={"reason": vips.error_reason(exc)}) from exc
    ctx.image = image
    ctx.frames = frames
    ctx.shrunk_on_load = bool(scaling)
    fields = image.get_fields()
    if "orientation" in fields:
        ctx.orientation = int(image.get("orientation"))
    if "icc-profile-data" in fields:
        ctx.source_profile = bytes(image.get("icc-profile-data"))
