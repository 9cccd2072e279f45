"""Step 4, orient: apply the EXIF orientation to the pixels and drop the tag (what imgproxy does), so
every viewer shows the image the right way up whatever metadata is kept."""

from __future__ import annotations

from pixpress.imaging.context import Context


def orient(ctx: Context) -> None:
    image = ctx.pixels
    if "orientation" not in image.get_fields():
        return
    if ctx.animated or ctx.orientation == 1:
        image = image.copy()
        image.remove("orientation")
    else:
        image = image.autorot()  # rotates/flips and removes the tag
    ctx.image = image
