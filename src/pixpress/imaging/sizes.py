"""The `sizes` option: one upload decoded once, then the optimized upload plus one copy per size.

The preparation steps of the pipeline run once; before the main image is resized, a copy of the
context keeps the full-size decoded, oriented pixels. Each size starts from that copy (never from
another size), is fitted or centre-cropped to its box, goes through the remaining steps (colour) and
is encoded like the main image: same mode, same format rules (format=auto: each size keeps its own
smallest accepted format), its quality searched against its own resized pixels with its own Judge
(a fresh `notes`). The one Deadline of the task is shared, so the time limit covers every size.
"""

from __future__ import annotations

from dataclasses import replace

import pyvips

from pixpress.imaging import pipeline
from pixpress.imaging.context import Context
from pixpress.imaging.deadline import Deadline
from pixpress.imaging.plan import main_targets
from pixpress.imaging.size_specs import output_size
from pixpress.imaging.steps.resize import resize_frame
from pixpress.imaging.types import Limits, OptimizeOptions, SizedImage, SizedResult, SizeSpec

SPLIT_BEFORE = "resize"  # the steps before it are shared; the ones from it on run once per image


def optimize_with_sizes(
    data: bytes, *, options: OptimizeOptions, limits: Limits, deadline: float | None = None
) -> SizedResult:
    """optimize() plus one SizedImage per options.sizes entry; without sizes, exactly optimize()."""
    if not options.sizes:
        return SizedResult(main=pipeline.optimize(data, options=options, limits=limits, deadline=deadline))
    ctx = Context(data=data, options=options, limits=limits, deadline=Deadline(deadline))
    full: Context | None = None
    later: list[pipeline.Step] = []
    for name, step in pipeline.STEPS:
        if name == SPLIT_BEFORE:
            full = replace(ctx, notes={})
        if full is not None and name != SPLIT_BEFORE:
            later.append(step)
        ctx.deadline.check(name)
        step(ctx)
    assert full is not None, f"the pipeline has a {SPLIT_BEFORE} step"
    main_targets(ctx)
    main = pipeline.encode_and_choose(ctx)
    sizes = tuple(_one_size(full, spec, later) for spec in options.sizes)
    return SizedResult(main=main, sizes=sizes)


def _one_size(full: Context, spec: SizeSpec, later: list[pipeline.Step]) -> SizedImage:
    ctx = replace(full, notes={})  # its own Judge and mosaic
    ctx.deadline.check(f"size:{spec.name}")
    shape(ctx, spec)
    for step in later:
        step(ctx)
    return SizedImage(spec=spec, result=pipeline.encode_and_choose(ctx))


def shape(ctx: Context, spec: SizeSpec) -> None:
    """Fit inside the box (the resize step with the box as max_width/max_height) or centre-crop to it.
    Marked resized either way: a size is never the upload's own bytes."""
    if spec.crop:
        _crop(ctx, spec)
    else:
        ctx.options = replace(ctx.options, max_width=spec.width or None, max_height=spec.height or None)
        dict(pipeline.STEPS)[SPLIT_BEFORE](ctx)  # the main image's own resize step
    ctx.resized = True


def _crop(ctx: Context, spec: SizeSpec) -> None:
    image = ctx.pixels
    width, height = int(image.width), ctx.frame_height
    out_width, out_height = output_size(spec, width, height)
    # The largest centred region of the box's aspect ratio, then scaled down to the box.
    scale = max(out_width / width, out_height / height)
    region_width = min(width, round(out_width / scale))
    region_height = min(height, round(out_height / scale))
    left, top = (width - region_width) // 2, (height - region_height) // 2
    ctx.region = (left / width, top / height, (left + region_width) / width, (top + region_height) / height)

    def frame(i: int) -> pyvips.Image:
        region = image.crop(left, i * height + top, region_width, region_height)
        if (region_width, region_height) == (out_width, out_height):
            return region
        return resize_frame(region, out_width, out_height)

    if ctx.animated:
        strip = pyvips.Image.arrayjoin([frame(i) for i in range(ctx.frames)], across=1).copy()
        strip.set_type(pyvips.GValue.gint_type, "page-height", out_height)
        ctx.image = strip.copy_memory()
    else:
        ctx.image = frame(0).copy_memory()
