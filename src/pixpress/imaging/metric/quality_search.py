"""The per-image search for the smallest encoder setting whose output reaches a SSIMULACRA2 target.

Encodes are the cost, so the search predicts rather than bisects:

1. The first probe is where a typical image of the format reaches the target (`TYPICAL_CURVES`: median
   SSIMULACRA2 per quality setting over the photo corpus, measured with pixpress' encoder settings).
2. Each image sits above or below that curve by roughly a constant: the next probe is where the curve,
   shifted through the measured point, reaches the target plus a small margin.
3. Once two probes bracket the target, the next is interpolated between them; with two on one side,
   extrapolated along their own slope.

It stops when the best passing probe is within `tolerance` points of the target, when the bracket is
one step wide, or after `max_encodes`. Of the probes that reach the target it returns the smallest file;
none ever scores under the target when one reached it. If none did, the last probe is spent on q_max,
and that result comes back with `reached=False`, for the caller to fall back (lossless, or the original).
A caller with a better fallback than q_max (JPEG: full-resolution chroma) can ask the search to give up
as soon as its probes predict a setting above `give_up_above` (a little above q_max: predictions from one
probe are rough).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pixpress.imaging.types import ImageFormat
from pixpress.metrics import record

Curve = tuple[tuple[int, float], ...]  # (quality, typical score), both increasing

# Median SSIMULACRA2 over the repository's corpus/photo (thumbnailed to 1 MP), per encoder setting.
# JPEG: libvips jpegsave (mozjpeg) with trellis_quant, overshoot_deringing, optimize_scans, interlace;
# from Q=90 up libvips turns chroma subsampling off, hence the step between 89 and 90.
# WebP: webpsave effort 4. AVIF: heifsave AV1 (aom) at effort 2 when measured; presets.AVIF_EFFORT is 4
# now, and the AVIF curve was not measured again at 4 (a curve only places the first probe; the search
# corrects from there). Values at 100 for WebP and AVIF are extrapolated, not measured.
TYPICAL_CURVES: dict[ImageFormat, Curve] = {
    ImageFormat.JPEG: (
        (30, 46.5), (35, 50.5), (40, 53.8), (45, 56.9), (50, 59.8), (55, 62.1), (60, 64.1), (65, 66.7),
        (70, 69.7), (75, 72.5), (80, 75.8), (85, 79.0), (87, 80.6), (89, 82.1), (90, 86.8), (92, 88.1),
        (95, 90.9), (98, 94.2), (100, 96.1),
    ),
    ImageFormat.WEBP: (
        (30, 46.2), (35, 49.8), (40, 52.7), (45, 55.4), (50, 58.1), (55, 61.0), (60, 63.2), (65, 65.3),
        (70, 67.1), (75, 69.4), (80, 74.7), (85, 78.9), (90, 83.3), (95, 87.7), (100, 92.0),
    ),
    ImageFormat.AVIF: (
        (30, 31.2), (35, 40.7), (40, 49.4), (45, 57.7), (50, 63.8), (55, 68.7), (60, 73.2), (65, 75.7),
        (70, 79.4), (75, 81.6), (80, 84.1), (85, 85.6), (90, 89.8), (95, 92.7), (100, 96.0),
    ),
}  # fmt: skip
# The quality search's JPEG settings (presets.jpeg_search_table), same corpus and method: (quantisation
# table, chroma subsampled) -> curve.
JPEG_SEARCH_CURVES: dict[tuple[int, bool], Curve] = {
    (5, True): (
        (20, 33.2), (25, 42.1), (30, 47.0), (35, 52.5), (40, 55.0), (45, 58.4), (50, 60.8), (55, 62.8),
        (60, 65.8), (65, 67.7), (70, 69.9), (75, 72.7), (80, 75.9), (85, 79.3), (87, 80.9), (89, 82.2),
        (90, 83.1), (92, 84.8), (95, 87.3), (98, 90.5), (100, 92.1),
    ),
    (5, False): (
        (20, 35.8), (25, 45.2), (30, 50.6), (35, 56.3), (40, 59.4), (45, 62.5), (50, 64.9), (55, 66.5),
        (60, 69.1), (65, 70.9), (70, 73.4), (75, 75.4), (80, 78.0), (85, 81.6), (87, 83.1), (89, 84.5),
        (90, 85.5), (92, 87.1), (95, 89.5), (98, 93.4), (100, 95.9),
    ),
    (2, True): (
        (20, 26.3), (25, 36.6), (30, 45.4), (35, 50.7), (40, 53.5), (45, 56.8), (50, 59.7), (55, 62.0),
        (60, 64.2), (65, 67.5), (70, 70.0), (75, 72.7), (80, 76.3), (85, 79.6), (87, 81.2), (89, 82.6),
        (90, 83.7), (92, 85.4), (95, 87.8), (98, 90.8), (100, 92.1),
    ),
    (2, False): (
        (20, 31.1), (25, 40.1), (30, 48.1), (35, 53.8), (40, 57.8), (45, 61.1), (50, 63.9), (55, 65.9),
        (60, 68.2), (65, 71.0), (70, 73.4), (75, 75.1), (80, 78.9), (85, 82.6), (87, 84.1), (89, 85.3),
        (90, 86.3), (92, 87.9), (95, 90.9), (98, 94.2), (100, 95.9),
    ),
}  # fmt: skip
DEFAULT_TOLERANCE = 1.5  # points above the target at which a passing probe is good enough
_GENERIC_CURVE: Curve = ((1, 0.0), (30, 45.0), (60, 64.0), (80, 76.0), (90, 84.0), (100, 95.0))


@dataclass(frozen=True)
class Probe:
    quality: int
    size_bytes: int
    score: float


@dataclass(frozen=True)
class SearchResult:
    data: bytes
    quality: int
    score: float
    encodes: int  # how many times `encode` ran
    reached: bool  # False: nothing up to q_max reached the target; this is the best that was tried
    probes: tuple[Probe, ...] = ()  # every encode, in order

    @property
    def size_bytes(self) -> int:
        return len(self.data)


@record.timed(record.QUALITY_SEARCH_SECONDS, label_arg="format")
def search_quality(
    *,
    encode: Callable[[int], bytes],
    measure: Callable[[bytes], float],
    target: float,
    q_min: int = 30,
    q_max: int = 95,
    max_encodes: int = 4,
    format: ImageFormat | None = None,
    start: int | None = None,
    margin: float = 0.5,
    tolerance: float = DEFAULT_TOLERANCE,
    curve: Curve | None = None,
    give_up_above: int | None = None,
) -> SearchResult:
    """The smallest output of `encode(quality)`, q_min <= quality <= q_max, whose `measure` reaches
    `target`. `format` picks the typical curve the predictions start from (another format gets a generic
    one) unless `curve` is given; `start` overrides the first probe; predictions aim `margin` points
    above the target; the search stops once a passing probe is within `tolerance` points of it."""
    if not 1 <= q_min <= q_max:
        raise ValueError(f"need 1 <= q_min <= q_max, got {q_min}, {q_max}")
    if max_encodes < 1:
        raise ValueError("max_encodes must be at least 1")
    if curve is None:
        curve = TYPICAL_CURVES.get(format, _GENERIC_CURVE) if format is not None else _GENERIC_CURVE
    tried: dict[int, tuple[bytes, float]] = {}
    order: list[int] = []

    def probe(quality: int) -> None:
        data = encode(quality)
        tried[quality] = (data, measure(data))
        order.append(quality)

    probe(_clamp(start if start is not None else _quality_for(curve, target + margin), q_min, q_max))
    while len(order) < max_encodes:
        quality = _next_quality(tried, curve, target, margin, tolerance, q_min, q_max)
        if quality is None:
            break
        if give_up_above is not None and quality > give_up_above:
            break  # every probe failed and the next lies well past q_max: the caller's fallback is better
        quality = min(quality, q_max)
        if len(order) == max_encodes - 1 and all(score < target for _, score in tried.values()):
            quality = q_max  # the last encode: make sure the best possible one was tried
        if quality in tried:
            break
        probe(quality)

    probes = tuple(Probe(q, len(tried[q][0]), tried[q][1]) for q in order)
    passing = [q for q in order if tried[q][1] >= target]
    if passing:
        best = min(passing, key=lambda q: (len(tried[q][0]), q))
        reached = True
    else:
        best = max(order, key=lambda q: (tried[q][1], q))
        reached = False
    data, score = tried[best]
    return SearchResult(data, best, score, len(order), reached, probes)


def _next_quality(
    tried: dict[int, tuple[bytes, float]],
    curve: Curve,
    target: float,
    margin: float,
    tolerance: float,
    q_min: int,
    q_max: int,
) -> int | None:
    """The next quality to try, or None when the search is done."""
    passing = sorted(q for q, (_, score) in tried.items() if score >= target)
    failing = sorted(q for q, (_, score) in tried.items() if score < target)
    high = passing[0] if passing else None  # lowest passing
    low = failing[-1] if failing else None  # highest failing below it
    if high is not None:
        failing = [q for q in failing if q < high]
        low = failing[-1] if failing else None
        if tried[high][1] - target <= tolerance or high == q_min:
            return None
        if low is not None and high - low <= 1:
            return None
    elif low == q_max:
        return None  # unreachable

    aim = target + margin
    if high is not None and low is not None:
        quality = _interpolate(low, tried[low][1], high, tried[high][1], aim)
    else:
        side = [q for q in (passing if high is not None else failing)]
        quality = _extrapolate(side, tried, curve, aim)
    lowest = (low + 1) if low is not None else q_min
    if high is None:
        # Nothing passed yet (and q_max did not fail, see above): a prediction past q_max is returned
        # as it is, for give_up_above.
        return max(lowest, quality)
    return _clamp(quality, lowest, high - 1)


def _interpolate(q0: int, s0: float, q1: int, s1: float, aim: float) -> int:
    if s1 <= s0:
        return (q0 + q1 + 1) // 2
    return math.ceil(q0 + (aim - s0) * (q1 - q0) / (s1 - s0))


def _extrapolate(side: Sequence[int], tried: dict[int, tuple[bytes, float]], curve: Curve, aim: float) -> int:
    """From probes all above or all below the target: along their own slope when there are two with a
    believable one, else along the typical curve shifted through the probe nearest the target."""
    nearest = min(side, key=lambda q: abs(tried[q][1] - aim))
    if len(side) >= 2:
        q0, q1 = side[0], side[-1]
        slope = (tried[q1][1] - tried[q0][1]) / (q1 - q0)
        if 0.1 <= slope <= 5.0:
            return math.ceil(nearest + (aim - tried[nearest][1]) / slope)
    offset = tried[nearest][1] - _score_at(curve, nearest)
    quality = _quality_for(curve, aim - offset)
    step = 1 if aim > tried[nearest][1] else -1
    # Move at least one step, towards the target.
    return quality if (quality - nearest) * step >= 1 else nearest + step


def _score_at(curve: Curve, quality: float) -> float:
    qualities = [q for q, _ in curve]
    i = min(max(bisect.bisect_left(qualities, quality), 1), len(curve) - 1)
    (q0, s0), (q1, s1) = curve[i - 1], curve[i]
    return s0 + (quality - q0) * (s1 - s0) / (q1 - q0)


def _quality_for(curve: Curve, score: float) -> int:
    """The lowest quality where the curve reaches `score` (extrapolated beyond its ends)."""
    scores = [s for _, s in curve]
    i = min(max(bisect.bisect_left(scores, score), 1), len(curve) - 1)
    (q0, s0), (q1, s1) = curve[i - 1], curve[i]
    return math.ceil(q0 + (score - s0) * (q1 - q0) / (s1 - s0) - 1e-9)


def _clamp(quality: int, lowest: int, highest: int) -> int:
    return max(lowest, min(highest, quality))
