"""Step 7 for one target format: choose the encoder setting and produce an EncodedImage.

Lossy modes aim for a perceptual target (SSIMULACRA2, Limits.targets): the quality search finds the
smallest encoder setting whose output reaches it, measured against the oriented, resized source. An
explicit `quality` is a fixed setting (its score is still reported). Lossless stays pixel-exact.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import pyvips

from pixpress.errors import InvalidImage
from pixpress.imaging import presets, proxy
from pixpress.imaging.context import Context
from pixpress.imaging.metric import cheap_probes
from pixpress.imaging.metric.quality_search import (
    DEFAULT_TOLERANCE,
    JPEG_SEARCH_CURVES,
    SearchResult,
    search_quality,
)
from pixpress.imaging.perceptual import Judge
from pixpress.imaging.steps import animation_save, gain_map, icc
from pixpress.imaging.steps.encode import encode, encoder_settings
from pixpress.imaging.steps.lossless import exact_pixels, lossless_jpeg, lossless_png
from pixpress.imaging.types import ColourPath, EncodedImage, ImageFormat, Mode

SEARCHED = (ImageFormat.JPEG, ImageFormat.WEBP, ImageFormat.AVIF)
Q_MAX = 95


@dataclass(frozen=True)
class Encoded:
    data: bytes
    quality: int | None
    settings: dict[str, Any]
    score: float | None = None
    colour: ColourPath | None = None  # when not the colour step's path (the lossless JPEG path)


def encode_variant(ctx: Context, fmt: ImageFormat) -> EncodedImage:
    if ctx.animated and fmt in animation_save.FORMATS:
        encoded = _sequence(ctx, fmt)
    elif ctx.options.mode is Mode.LOSSLESS:
        encoded = _lossless(ctx, fmt)
    else:
        encoded = _lossy(ctx, fmt)
    assert ctx.info is not None
    if ctx.info.frames > 1 and not ctx.animated:
        encoded.settings["frames"] = "first only"  # an animation written to a still format
    return EncodedImage(
        data=gain_map.carry(ctx, fmt, encoded.data, encoded.settings),
        format=fmt,
        width=int(ctx.pixels.width),
        height=ctx.frame_height,
        quality=encoded.quality,
        score=encoded.score,
        settings=encoded.settings,
        colour=encoded.colour or ctx.colour_path,
    )


def judge(ctx: Context) -> Judge:
    """One prepared reference per image, shared by every format and every probe."""
    found = ctx.notes.get("judge")
    if isinstance(found, Future):  # being prepared in the background (prepare_judge_meanwhile)
        found = found.result()
        ctx.notes["judge"] = found
    if not isinstance(found, Judge):
        found = Judge(ctx.pixels, frame_height=ctx.frame_height)
        ctx.notes["judge"] = found
    return found


def prepare_judge_meanwhile(ctx: Context) -> None:
    """Start preparing the judge in a thread: for a large image the reference's preparation (0.65 s at
    12 MP) then overlaps the first full-size encode (1 s), which libvips runs outside the GIL."""
    if "judge" in ctx.notes:
        return
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="judge")
    ctx.notes["judge"] = pool.submit(lambda: Judge(ctx.pixels, frame_height=ctx.frame_height).prepare())
    pool.shutdown(wait=False)  # its thread ends with this one job


def _lossy(ctx: Context, fmt: ImageFormat) -> Encoded:
    options = ctx.options
    target = ctx.limits.targets.for_mode(options.mode)
    preset = presets.default_quality(options.mode, fmt)
    assert preset is not None and target is not None
    fixed = options.quality
    encode_at = partial(_encode, ctx, fmt)
    if fmt is ImageFormat.GIF:
        quality = fixed or preset
        return Encoded(encode_at(quality), quality, encoder_settings(fmt, quality))
    if fmt is ImageFormat.PNG:
        return _palette_or_lossless(ctx, fixed or preset, target, explicit=fixed is not None)
    scorer = judge(ctx)
    if fixed is not None or ctx.animated:
        # A fixed setting: the caller's, or one preset for every frame of an animation.
        quality = fixed or preset
        data = encode_at(quality)
        return Encoded(data, quality, _settings(ctx, fmt, quality, target), scorer.score(data))
    ctx.deadline.check(f"search:{fmt.value}")
    if fmt is ImageFormat.JPEG:
        return _search_jpeg(ctx, target)
    probe_effort = presets.PROBE_EFFORT.get(fmt)
    if probe_effort is None:
        found = search_quality(
            encode=encode_at, measure=scorer.score, target=target, format=fmt, start=preset, q_max=Q_MAX
        )
    else:
        found = search_quality(
            encode=partial(_encode, ctx, fmt, overrides={"effort": probe_effort}),
            measure=scorer.score,
            target=target,
            format=fmt,
            start=preset,
            q_max=Q_MAX,
            tolerance=cheap_probes.PROBE_TOLERANCE,
            max_encodes=cheap_probes.PROBE_MAX_ENCODES,
        )
    if not found.reached:
        return _best_effort(ctx, fmt, target, searched_up_to=found.quality, encodes=found.encodes + 1)
    settings = {**_settings(ctx, fmt, found.quality, target), "encodes": found.encodes, "reached": True}
    if probe_effort is None:
        return Encoded(found.data, found.quality, settings, found.score)
    return _at_shipped_effort(ctx, fmt, found, target, {**settings, "probe_effort": probe_effort})


def _at_shipped_effort(
    ctx: Context, fmt: ImageFormat, found: SearchResult, target: float, settings: dict[str, Any]
) -> Encoded:
    """The search ran at a cheap effort (presets.PROBE_EFFORT); the output is one encode at the shipped
    effort, a little below the probes' quality (cheap_probes.py), scored; after a miss, one more from
    its score. Should the shipped effort's file not reach the target by the probes' own quality, or be
    the larger, the probe's passing file is the output: never under the target."""
    scorer = judge(ctx)
    per_step = cheap_probes.slope(found.probes, found.quality)
    quality = cheap_probes.first_quality(fmt, found.quality, found.probes, q_min=1)
    for tried in range(1, presets.FINAL_ENCODES + 1):
        data = _encode(ctx, fmt, quality)
        score = scorer.score(data)
        if score >= target:
            if len(data) > found.size_bytes:
                break  # the probe's own file is smaller and reached the target too
            final = {**settings, **encoder_settings(fmt, quality), "final_encodes": tried}
            return Encoded(data, quality, final, score)
        if quality >= found.quality:
            break
        quality = cheap_probes.next_quality(quality, score, target, per_step, ceiling=found.quality)
    probe_settings = {**encoder_settings(fmt, found.quality), "effort": settings["probe_effort"]}
    return Encoded(found.data, found.quality, {**settings, **probe_settings, "final": "probe"}, found.score)


def _search_jpeg(ctx: Context, target: float) -> Encoded:
    """4:2:0 chroma first, with the quantisation table measured best at this target; an image that 4:2:0
    cannot bring to the target below JPEG_SEARCH_SUBSAMPLED_UP_TO is searched again at full chroma."""
    table = presets.jpeg_search_table(target)
    encodes = proxy_encodes = 0
    for subsampled in (True, False):
        overrides = {"quant_table": table, "subsample_mode": "on" if subsampled else "off"}
        search = partial(
            search_quality,
            target=target,
            format=ImageFormat.JPEG,  # labels its time in the metrics; `curve` decides the predictions
            curve=JPEG_SEARCH_CURVES[(table, subsampled)],
            q_max=presets.JPEG_SEARCH_SUBSAMPLED_UP_TO if subsampled else 99,  # then q100 is left
            give_up_above=presets.JPEG_SEARCH_SUBSAMPLED_UP_TO + 3 if subsampled else None,
        )
        start = None
        if proxy.wanted(ctx.pixels.width, ctx.frame_height):
            tiles, tiles_judge = _mosaic(ctx)
            trial = search(
                encode=partial(
                    encode,
                    tiles,
                    ImageFormat.JPEG,
                    keep=ctx.options.keep_metadata,  # the profile the output carries: scored through it
                    overrides=overrides,
                    deadline=ctx.deadline,
                ),
                measure=tiles_judge.score,
                max_encodes=proxy.MAX_ENCODES,
                tolerance=proxy.TOLERANCE,
            )
            proxy_encodes += trial.encodes
            if not trial.reached and subsampled:
                continue  # 4:2:0 will not do on the full image either
            start = trial.quality
            prepare_judge_meanwhile(ctx)
        found = search(
            encode=partial(_encode, ctx, ImageFormat.JPEG, overrides=overrides),
            measure=judge(ctx).score,
            max_encodes=4,
            start=start,
            tolerance=DEFAULT_TOLERANCE if start is None else proxy.FULL_SIZE_TOLERANCE,
        )
        encodes += found.encodes
        if found.reached:
            settings = {
                **_settings(ctx, ImageFormat.JPEG, found.quality, target),
                **overrides,
                "encodes": encodes,
                "reached": True,
            }
            if proxy_encodes:
                settings["proxy_encodes"] = proxy_encodes  # of the 1 MP mosaic (proxy.py)
            return Encoded(found.data, found.quality, settings, found.score)
    return _best_effort(ctx, ImageFormat.JPEG, target, searched_up_to=found.quality, encodes=encodes + 1)


def _mosaic(ctx: Context) -> tuple[pyvips.Image, Judge]:
    """The mosaic of a large image and its judge, made once per image. JPEG only: WebP and AVIF start
    well from their presets (the 12 MP dog photo with format=auto took 30.5 s with a mosaic, 19.4 s
    without)."""
    found = ctx.notes.get("mosaic")
    if not isinstance(found, tuple):
        tiles = proxy.mosaic(ctx.pixels)
        found = (tiles, Judge(tiles, frame_height=tiles.height))
        ctx.notes["mosaic"] = found
    return found


def _best_effort(
    ctx: Context, fmt: ImageFormat, target: float, *, searched_up_to: int, encodes: int
) -> Encoded:
    """No lossy setting reaches the target: never hand out a file that looks worse than promised.
    WebP and AVIF go lossless; JPEG goes to quality 100 with full colour resolution."""
    quality = 100 if fmt is ImageFormat.JPEG else None
    data = _encode(ctx, fmt, quality)
    settings = {
        **_settings(ctx, fmt, quality, target),
        "fallback": "lossless" if quality is None else "q100",
        "searched_up_to": searched_up_to,
        "encodes": encodes,
    }
    return Encoded(data, quality, settings, judge(ctx).score(data))


def _encode(
    ctx: Context, fmt: ImageFormat, quality: int | None, *, overrides: dict[str, Any] | None = None
) -> bytes:
    ctx.deadline.check(f"encode:{fmt.value}")
    return encode(
        ctx.pixels, fmt, quality, keep=ctx.options.keep_metadata, deadline=ctx.deadline, overrides=overrides
    )


def _settings(ctx: Context, fmt: ImageFormat, quality: int | None, target: float) -> dict[str, Any]:
    return {**encoder_settings(fmt, quality), "target": target, "scored": judge(ctx).measured_on}


def _palette_or_lossless(ctx: Context, quality: int, target: float, *, explicit: bool) -> Encoded:
    """The first libimagequant palette (presets.PNG_PALETTE_TRIALS) reaching the target, else lossless
    PNG. An explicit quality is one encode at the best palette setting."""
    scorer = judge(ctx)
    if explicit:
        palette = _encode(ctx, ImageFormat.PNG, quality)
        settings = {**encoder_settings(ImageFormat.PNG, quality), "palette": True, "target": target}
        return Encoded(palette, quality, settings, scorer.score(palette))
    best = 0.0
    for tried, trial in enumerate(presets.PNG_PALETTE_TRIALS):
        if trial.within is not None and best < target - trial.within:
            break  # this palette cannot reach the target either: do not pay for it
        overrides = {"effort": trial.effort, "dither": trial.dither}
        palette = _encode(ctx, ImageFormat.PNG, quality, overrides=overrides)
        score = scorer.score(palette)
        if score >= target:
            settings = {
                **encoder_settings(ImageFormat.PNG, quality),
                **overrides,
                "palette": True,
                "target": target,
                "encodes": tried + 1,
            }
            return Encoded(palette, quality, settings, score)
        best = max(best, score)
    data = lossless_png(ctx.pixels, keep=ctx.options.keep_metadata, deadline=ctx.deadline)
    settings = {**encoder_settings(ImageFormat.PNG, None), "palette": False, "palette_score": best}
    return Encoded(data, None, settings, 100.0)


def _sequence(ctx: Context, fmt: ImageFormat) -> Encoded:
    """An APNG or AVIF sequence kept animated (animation_save.py): one setting for every frame, scored on
    the first. A lossy APNG is one palette for the whole strip; when it misses the target (and no
    quality was asked for) the APNG is lossless."""
    keep = ctx.options.keep_metadata
    settings: dict[str, Any] = {"writer": "pillow", "frames": ctx.frames}
    target = ctx.limits.targets.for_mode(ctx.options.mode)
    if target is not None:
        quality = ctx.options.quality or presets.default_quality(ctx.options.mode, fmt)
        assert quality is not None
        data = animation_save.encode(ctx.pixels, fmt, quality, keep=keep, deadline=ctx.deadline)
        score = judge(ctx).score(data)
        settings.update(quality=quality, target=target)
        if fmt is ImageFormat.PNG:
            settings["palette"] = True
        if fmt is ImageFormat.AVIF or score >= target or ctx.options.quality is not None:
            return Encoded(data, quality, settings, score)
        settings.update(palette=False, palette_score=score)
    data = animation_save.encode(ctx.pixels, fmt, None, keep=keep, deadline=ctx.deadline)
    return Encoded(data, None, {**settings, "lossless": True}, 100.0 if fmt is ImageFormat.PNG else None)


def _lossless(ctx: Context, fmt: ImageFormat) -> Encoded:
    keep = ctx.options.keep_metadata
    image = ctx.pixels
    # A JPEG cut short (no EOI) has no end to keep the scans up to: its pixels are encoded instead.
    if fmt is ImageFormat.JPEG and ctx.source_format is ImageFormat.JPEG and not ctx.resized:
        profile = ctx.source_profile  # not the pixels': the colour step may have converted them
        with contextlib.suppress(InvalidImage):
            data = lossless_jpeg(
                ctx.data,
                keep=keep,
                srgb_or_no_profile=profile is None or icc.srgb_equivalent(profile),
                orientation=ctx.orientation,
            )
            # The upload's own segments: an sRGB profile dropped, any other kept as it was (not compacted).
            path = ColourPath.PROFILE_KEPT if ctx.colour_path is ColourPath.COMPACT_PROFILE else None
            return Encoded(data, None, {"method": "metadata-strip", "exact": True}, 100.0, path)
    if fmt is ImageFormat.PNG:
        data = lossless_png(image, keep=keep, deadline=ctx.deadline)
        return Encoded(data, None, {**encoder_settings(fmt, None), "exact": True}, 100.0)
    data = encode(image, fmt, None, keep=keep, deadline=ctx.deadline)
    settings: dict[str, Any] = encoder_settings(fmt, None)
    if fmt is ImageFormat.JPEG:
        # JPEG from other pixels cannot be exact: quality 100 with full chroma is the closest.
        return Encoded(data, 100, {**settings, "exact": False})
    exact = exact_pixels(image, data)
    if not exact and fmt is ImageFormat.GIF and not ctx.resized:
        return Encoded(ctx.data, None, {"method": "original", "exact": True}, 100.0)
    return Encoded(data, None, {**settings, "exact": exact}, 100.0 if exact else None)
