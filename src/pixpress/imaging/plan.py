"""Which output formats to encode, from the options and the source (set before decoding)."""

from __future__ import annotations

from pixpress.imaging.context import Context
from pixpress.imaging.types import ImageFormat, OutputFormat

ANIMATION_FORMATS = frozenset({ImageFormat.GIF, ImageFormat.WEBP})


def plan(ctx: Context) -> None:
    assert ctx.info is not None, "probe runs first"
    ctx.targets = targets(ctx.options.format, ctx.options.accept, ctx.source_format, ctx.info.frames > 1)


def targets(
    requested: OutputFormat, accept: frozenset[ImageFormat], source: ImageFormat, animated: bool
) -> tuple[ImageFormat, ...]:
    """format=original: the source format; a named format: that one; auto: the source format plus every
    accepted one (animations: only the formats that animate, the source's always among them)."""
    if requested is OutputFormat.ORIGINAL:
        return (source,)
    if requested is not OutputFormat.AUTO:
        return (ImageFormat(requested.value),)
    extra = sorted(accept - {source}, key=lambda f: f.value)
    if animated:
        extra = [f for f in extra if f in ANIMATION_FORMATS]
    return (source, *extra)


def conversion_requested(ctx: Context) -> bool:
    """A named output format other than the source's (the result may then be bigger than the input)."""
    requested = ctx.options.format
    if requested in (OutputFormat.ORIGINAL, OutputFormat.AUTO):
        return False
    return ImageFormat(requested.value) is not ctx.source_format


def keeps_animation(ctx: Context) -> bool:
    """An animated source whose every output format animates (otherwise the first frame is all)."""
    assert ctx.info is not None, "probe runs first"
    return ctx.info.frames > 1 and all(f in ANIMATION_FORMATS for f in ctx.targets)


def keep_first_frame(ctx: Context) -> None:
    """Animated source, still output format (JPEG/PNG/AVIF): the first frame only (decode loads only
    that one; this drops the others of a strip that holds more)."""
    if ctx.frames > 1 and not all(f in ANIMATION_FORMATS for f in ctx.targets):
        image = ctx.pixels
        first = image.crop(0, 0, image.width, ctx.frame_height).copy_memory()
        for name in ("page-height", "delay", "loop", "n-pages"):
            if name in first.get_fields():
                first.remove(name)
        ctx.image = first
        ctx.frames = 1
