"""optimize(): the fixed list of steps, with a deadline check between them (imgproxy's shape).

probe -> plan -> decode -> gain map (JPEG) -> first frame (still outputs of animations) -> orient
-> resize -> colour -> encode each target format (a JPEG's gain map added back) -> choose (never
bigger: than the upload at its size, than a plain save in the upload's format when resized).
"""

from __future__ import annotations

from collections.abc import Callable

from pixpress.imaging.context import Context
from pixpress.imaging.deadline import Deadline
from pixpress.imaging.plan import keep_first_frame, main_targets, plan
from pixpress.imaging.steps import gain_map, never_bigger
from pixpress.imaging.steps.colour import colour
from pixpress.imaging.steps.decode import decode
from pixpress.imaging.steps.orient import orient
from pixpress.imaging.steps.probe import probe
from pixpress.imaging.steps.resize import resize
from pixpress.imaging.types import EncodedImage, Limits, OptimizeOptions, OptimizeResult
from pixpress.imaging.variants import encode_variant, judge

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
    main_targets(ctx)
    return encode_and_choose(ctx)


def encode_and_choose(ctx: Context) -> OptimizeResult:
    """Encode every target format of prepared pixels and keep the best (also used by imaging/sizes.py)."""
    variants: list[EncodedImage] = []
    for fmt in ctx.targets:
        ctx.deadline.check(f"encode:{fmt.value}")
        variants.append(encode_variant(ctx, fmt))
    return choose(ctx, variants)


def choose(ctx: Context, variants: list[EncodedImage]) -> OptimizeResult:
    """The smallest variant once every output keeps the never-bigger rule (never_bigger.py): no larger
    than the upload at the upload's size, no larger than a plain save in its format when resized."""
    # A plain save that replaces an output is scored like one (its reference: the variants' judge).
    checked = never_bigger.enforce(ctx, variants, score=lambda data: judge(ctx).score(data))
    best = min(checked, key=lambda v: v.size_bytes)
    kept_original = best.settings.get("fallback") == "original"
    return OptimizeResult(image=best, variants=tuple(checked), kept_original=kept_original)
