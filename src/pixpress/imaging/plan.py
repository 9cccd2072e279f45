"""Which output formats to encode, from the options and the source (set before decoding)."""

from __future__ import annotations

from pixpress.errors import InvalidOption
from pixpress.imaging.context import Context
from pixpress.imaging.encoder_limits import MAX_SIDE_PX, fits
from pixpress.imaging.steps import metadata
from pixpress.imaging.steps.resize import target_size
from pixpress.imaging.types import (
    OUTPUT_FORMATS,
    AcceptFor,
    ImageFormat,
    ImageInfo,
    OptimizeOptions,
    OutputFormat,
)

ANIMATION_FORMATS = frozenset({ImageFormat.GIF, ImageFormat.WEBP})  # libvips writes these animated
# An APNG or an AVIF sequence stays one in its own format (written by Pillow, animation_save.py) when
# the output keeps the source's format (original, or auto's own candidate); PNG or AVIF asked for by
# name is a still of the default image.
SEQUENCE_FORMATS = frozenset({ImageFormat.PNG, ImageFormat.AVIF})
SWAPPED_ORIENTATIONS = frozenset({5, 6, 7, 8})  # EXIF orientations that turn the image a quarter


def plan(ctx: Context) -> None:
    assert ctx.info is not None, "probe runs first"
    ctx.targets = output_formats(ctx.info, ctx.options)


def main_targets(ctx: Context) -> None:
    """accept_for=sizes: the image itself is encoded in its first target only, the upload's format (the
    sizes keep every target). Called once the sizes have taken their copy of the context."""
    if ctx.options.accept_for is AcceptFor.SIZES:
        ctx.targets = ctx.targets[:1]


def output_formats(info: ImageInfo, options: OptimizeOptions) -> tuple[ImageFormat, ...]:
    """The formats to encode: targets() without those whose encoder cannot hold the output size.

    Called at submit too, so the refusal is a 422 before anything is charged. Raises InvalidOption
    when a format asked for by name (or the source's, for format=original) cannot hold the image, or
    when none of the format=auto candidates can; auto otherwise just drops the ones that cannot.
    """
    wanted = targets(options.format, options.accept, info.format, info.frames > 1)
    width, height = output_size(info, options, wanted)
    fitting = tuple(fmt for fmt in wanted if fits(fmt, width, height))
    if fitting and (options.format is OutputFormat.AUTO or fitting == wanted):
        return fitting
    refused = next(fmt for fmt in wanted if fmt not in fitting)
    limit = MAX_SIDE_PX[refused]
    raise InvalidOption(
        f"The output would be {width}x{height} pixels and {refused.value.upper()} holds at most {limit} "
        "pixels a side: set max_width/max_height or choose another format.",
        details={"field": "format", "format": refused.value, "max_side_px": limit},
    )


def output_size(
    info: ImageInfo, options: OptimizeOptions, formats: tuple[ImageFormat, ...]
) -> tuple[int, int]:
    """Width and height of the encoded frames, as the pipeline makes them: the first frame when an
    animation goes to a still format, turned by its EXIF orientation (stills only), then fitted."""
    still = info.frames == 1 or not all(fmt in animated_formats(info, options) for fmt in formats)
    width, height = info.width, info.height
    if still and info.orientation in SWAPPED_ORIENTATIONS:
        width, height = height, width
    return target_size(width, height, options.max_width, options.max_height)


def targets(
    requested: OutputFormat, accept: frozenset[ImageFormat], source: ImageFormat, animated: bool
) -> tuple[ImageFormat, ...]:
    """format=original: the source format; a named format: that one; auto: the source format plus every
    accepted one (animations: only the formats that animate, the source's always among them). A format
    pixpress only reads (HEIC) stands for the one it is served as (JPEG), and is never written."""
    source = source.servable
    if requested is OutputFormat.ORIGINAL:
        return (source,)
    if requested is not OutputFormat.AUTO:
        return (ImageFormat(requested.value),)
    extra = sorted((accept & OUTPUT_FORMATS) - {source}, key=lambda f: f.value)
    if animated:
        extra = [f for f in extra if f in ANIMATION_FORMATS]
    return (source, *extra)


def animated_formats(info: ImageInfo, options: OptimizeOptions) -> frozenset[ImageFormat]:
    """The output formats that keep this source's animation."""
    own = options.format in (OutputFormat.ORIGINAL, OutputFormat.AUTO) and info.format in SEQUENCE_FORMATS
    return ANIMATION_FORMATS | {info.format} if own else ANIMATION_FORMATS


def keeps_animation(ctx: Context) -> bool:
    """An animated source whose every output format animates (otherwise the first frame is all)."""
    assert ctx.info is not None, "probe runs first"
    animating = animated_formats(ctx.info, ctx.options)
    return ctx.info.frames > 1 and all(f in animating for f in ctx.targets)


def keep_first_frame(ctx: Context) -> None:
    """Animated source, still output format (JPEG/PNG/AVIF): the first frame only (decode loads only
    that one, the default image of an APNG or AVIF sequence; this drops the others of a strip that
    holds more)."""
    assert ctx.info is not None, "probe runs first"
    if ctx.frames > 1 and not all(f in animated_formats(ctx.info, ctx.options) for f in ctx.targets):
        image = ctx.pixels
        first = image.crop(0, 0, image.width, ctx.frame_height).copy_memory()
        ctx.image = metadata.without(first, *metadata.ANIMATION)
        ctx.frames = 1
