"""Step 4, orient: apply the EXIF orientation to the pixels and drop the tag (what imgproxy does), so
every viewer shows the image the right way up whatever metadata is kept."""

from __future__ import annotations

from pixpress.imaging.context import Context
from pixpress.imaging.steps import metadata


def orient(ctx: Context) -> None:
    image = ctx.pixels
    if not metadata.has(image, metadata.ORIENTATION):
        return
    if ctx.animated or ctx.orientation == 1:
        image = metadata.without(image, metadata.ORIENTATION)
    else:
        image = image.autorot()  # rotates/flips and removes the tag
    ctx.image = image
