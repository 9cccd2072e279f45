"""optimize(): the fixed list of steps, with a deadline check between them (imgproxy's shape).

probe -> plan -> decode -> gain map (JPEG) -> first frame (still outputs of animations) -> orient
-> resize -> colour -> encode each target format (a JPEG's gain map added back) -> choose (never
bigger than the upload unless a resize or a format was asked for).
"""

from __future__ import annotations

from collections.abc import Callable

from pixpress.imaging import gain_map
from pixpress.imaging.colour import colour
from pixpress.imaging.context import Context
from pixpress.imaging.deadline import Deadline
from pixpress.imaging.decode import decode
from pixpress.imaging.orient import orient
from pixpress.imaging.plan import conversion_requested, keep_first_frame, plan
from pixpress.imaging.probe import probe
from pixpress.imaging.resize import resize
from pixpress.imaging.types import EncodedImage, Limits, OptimizeOptions, OptimizeResult
from pixpress.imaging.variants import encode_variant

Step = Callable[[Context], None]


def _probe(ctx: Context) -> None:
    ctx.info = probe(ctx.data, limits=ctx.limits)


STEPS: tuple[tuple[str, Step], ...] = (
    ("probe", _probe),
    ("plan", plan),
    ("decode", decode),
    ("gain_map", gain_map.find_step),
    ("first_frame", keep_first_frame),
    ("orient", orient),
    ("resize", resize),
    ("colour", colour),
)


def optimize(
    data: bytes, *, options: OptimizeOptions, limits: Limits, deadline: float | None = None
) -> OptimizeResult:
    """Optimize one image. `deadline` is a time.monotonic() instant; past it TaskTimeout is raised.

    Raises UnsupportedFormat, InvalidImage, ImageTooLarge, TaskTimeout, InternalError.
    """
    ctx = Context(data=data, options=options, limits=limits, deadline=Deadline(deadline))
    for name, step in STEPS:
        ctx.deadline.check(name)
        step(ctx)
    return encode_and_choose(ctx)


def encode_and_choose(ctx: Context) -> OptimizeResult:
    """Encode every target format of prepared pixels and keep the best (also used by imaging/sizes.py)."""
    variants: list[EncodedImage] = []
    for fmt in ctx.targets:
        ctx.deadline.check(f"encode:{fmt.value}")
        variants.append(encode_variant(ctx, fmt))
    return choose(ctx, variants)


def choose(ctx: Context, variants: list[EncodedImage]) -> OptimizeResult:
    """The smallest variant; the upload itself when nothing smaller came out and the caller asked for
    neither a resize nor another format."""
    best = min(variants, key=lambda v: v.size_bytes)
    may_keep_original = not ctx.resized and not conversion_requested(ctx)
    if may_keep_original and best.size_bytes >= len(ctx.data):
        return OptimizeResult(image=original(ctx), variants=tuple(variants), kept_original=True)
    return OptimizeResult(image=best, variants=tuple(variants))


def original(ctx: Context) -> EncodedImage:
    """The upload as the result; its size as displayed (after EXIF orientation), like the variants."""
    assert ctx.info is not None
    return EncodedImage(
        data=ctx.data,
        format=ctx.info.format,
        width=int(ctx.pixels.width),
        height=ctx.frame_height,
        settings={"method": "original"},
    )
