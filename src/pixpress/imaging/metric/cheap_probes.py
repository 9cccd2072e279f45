"""Searching at a cheap encoder effort, shipping at the real one: which quality to ship.

AVIF at libvips effort 0 costs about 1/40 of effort 4, so the quality search probes there, then encodes
once at the shipped effort. At the same quality the shipped effort scores higher, by an amount that
falls as the quality rises; encoding at the probes' quality would overshoot the target by that much
(about 10% more bytes than needed). So the first encode at the shipped effort aims lower by a part of
the typical gain, converted to quality steps along the probes' own slope; a miss is corrected from its
score (variants.py).

Measured on corpus/photo fitted into 1 MP (`python -m bench.encoder_efforts`, its gain table): the
effort-4 score minus the effort-0 score at the same quality, median (min) over 16 photos: Q55 2.65
(0.63), Q65 2.28 (0.89), Q75 1.69 (0.50), Q85 1.06 (0.32). Aiming at GAIN_SHARE of it at target 80:
1.12 effort-4 encodes per output and bytes 1.063x the smallest effort-4 file reaching the target
(median); aiming at none of it: 1 encode, 1.105x; at all of it: 1.31 encodes, 1.046x.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from pixpress.imaging.metric.quality_search import Probe
from pixpress.imaging.types import ImageFormat

# (quality, median gain in SSIMULACRA2 points of the shipped effort over the probe effort)
TYPICAL_GAIN: dict[ImageFormat, tuple[tuple[int, float], ...]] = {
    ImageFormat.AVIF: ((55, 2.65), (65, 2.28), (75, 1.69), (85, 1.06)),
}
GAIN_SHARE = 0.75
DEFAULT_SLOPE = 0.6  # score points per quality step of AVIF around the targets, when probes cannot tell
MIN_SLOPE = 0.2
# The probes' search stops within this many points of the target: cheap probes afford a close aim.
PROBE_TOLERANCE = 0.5
PROBE_MAX_ENCODES = 6


def typical_gain(fmt: ImageFormat, quality: int) -> float:
    points = TYPICAL_GAIN.get(fmt)
    if not points:
        return 0.0
    if quality <= points[0][0]:
        return points[0][1]
    for (q0, g0), (q1, g1) in itertools.pairwise(points):
        if quality <= q1:
            return g0 + (quality - q0) * (g1 - g0) / (q1 - q0)
    return points[-1][1]


def slope(probes: Sequence[Probe], quality: int) -> float:
    """Score points per quality step near `quality`, from the probes on either side of it."""
    ordered = sorted(probes, key=lambda p: p.quality)
    below = [p for p in ordered if p.quality < quality]
    above = [p for p in ordered if p.quality >= quality]
    if below and above:
        low, high = below[-1], above[0]
    elif len(ordered) >= 2:
        low, high = ordered[0], ordered[-1]
    else:
        return DEFAULT_SLOPE
    if high.quality == low.quality or high.score <= low.score:
        return DEFAULT_SLOPE
    return max(MIN_SLOPE, (high.score - low.score) / (high.quality - low.quality))


def first_quality(fmt: ImageFormat, found_quality: int, probes: Sequence[Probe], *, q_min: int) -> int:
    """Where the shipped effort's one encode aims: below the probes' quality by part of the typical gain."""
    steps = math.floor(GAIN_SHARE * typical_gain(fmt, found_quality) / slope(probes, found_quality))
    return max(q_min, found_quality - steps)


def next_quality(
    missed_quality: int, missed_score: float, target: float, per_step: float, ceiling: int
) -> int:
    """After a miss: up by the missing points along the slope, one step more for safety, at most
    `ceiling` (the probes' own quality), and at least one step."""
    steps = math.ceil((target - missed_score) / per_step) + 1
    return min(ceiling, missed_quality + max(1, steps))
