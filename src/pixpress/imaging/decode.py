"""Step 3, decode: every pixel of every frame into memory, failing on truncated or corrupt data and
re-checking the limits against what the decoder actually produced (headers can lie about frames)."""

from __future__ import annotations

import pyvips

from pixpress.errors import InvalidImage, TaskTimeout
from pixpress.imaging import vips
from pixpress.imaging.context import Context
from pixpress.imaging.limits import check_limits


def decode(ctx: Context) -> None:
    fmt = ctx.source_format
    image = vips.load_pixels(ctx.data, fmt)
    page_height = vips.page_height(image)
    frames = int(image.height) // page_height
    check_limits(width=int(image.width), height=page_height, frames=frames, limits=ctx.limits)
    ctx.deadline.watch(image)
    try:
        image = image.copy_memory()
    except pyvips.Error as exc:
        if ctx.deadline.expired:
            raise TaskTimeout(details={"step": "decode"}) from exc
        raise InvalidImage(details={"reason": vips.error_reason(exc)}) from exc
    ctx.image = image
    ctx.frames = frames
    fields = image.get_fields()
    if "orientation" in fields:
        ctx.orientation = int(image.get("orientation"))
    if "icc-profile-data" in fields:
        ctx.source_profile = bytes(image.get("icc-profile-data"))
