"""PNG in glossy/lossy mode: a libimagequant palette (pngquant-style) when it keeps the look.

The look check compares the palette image with the source at half size (dithering is meant to be
seen from a distance; the 2x2 average is what the eye integrates) in CIELAB: the mean and the 99th
percentile of ΔE76, after flattening both on mid-grey, plus the mean alpha error. The thresholds were
calibrated against SSIMULACRA2 (the `ssimulacra2` package) on the corpus, see bench/imaging_quality.md:

- lossy (target 70): mean ΔE ≤ 2.0, p99 ≤ 9 -> every corpus photo passes (SSIMULACRA2 73-83) and the
  smooth gradients of graphic/color.png (SSIMULACRA2 45, mean ΔE 2.5) are refused;
- glossy (target 80): mean ΔE ≤ 1.25, p99 ≤ 5 -> logos, text and coffee.png pass (≥ 83), kodim03
  (76.6, mean ΔE 1.31) and hopper (73, 1.83) fall back to lossless.

A quality given by the caller is an explicit request: the palette is used without the look check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvips

from pixpress.imaging.encode import encode
from pixpress.imaging.types import ImageFormat, KeepMetadata, Mode


@dataclass(frozen=True)
class LookThreshold:
    mean_de: float
    p99_de: float
    mean_alpha_error: float  # 0-255 scale


THRESHOLDS = {
    Mode.LOSSY: LookThreshold(mean_de=2.0, p99_de=9.0, mean_alpha_error=2.0),
    Mode.GLOSSY: LookThreshold(mean_de=1.25, p99_de=5.0, mean_alpha_error=1.0),
}
GREY = 128


@dataclass(frozen=True)
class LookDifference:
    mean_de: float
    p99_de: float
    mean_alpha_error: float

    def within(self, limit: LookThreshold) -> bool:
        return (
            self.mean_de <= limit.mean_de
            and self.p99_de <= limit.p99_de
            and self.mean_alpha_error <= limit.mean_alpha_error
        )


def palette_png(
    image: pyvips.Image, *, quality: int, mode: Mode, keep: KeepMetadata, checked: bool = True
) -> bytes | None:
    """Palette PNG bytes, or None when it would not keep the look (the caller goes lossless)."""
    data = encode(image, ImageFormat.PNG, quality, keep=keep)
    if not checked or mode is Mode.LOSSLESS:
        return data
    decoded = pyvips.Image.new_from_buffer(data, "")
    return data if difference(image, decoded).within(THRESHOLDS[mode]) else None


def difference(source: pyvips.Image, candidate: pyvips.Image) -> LookDifference:
    """How far `candidate` looks from `source` (same size), measured at half resolution."""
    a, b = _comparable(source), _comparable(candidate)
    alpha_error = 0.0
    if a.hasalpha():
        alpha_error = float((a[3] - b[3]).abs().avg())
        a = a.flatten(background=[GREY] * 3)
        b = b.flatten(background=[GREY] * 3)
    de = a.colourspace("lab").dE76(b.colourspace("lab")).numpy()
    return LookDifference(float(de.mean()), float(np.percentile(de, 99)), alpha_error)


def _comparable(image: pyvips.Image) -> pyvips.Image:
    """8-bit sRGB with alpha (when there is any), shrunk 2x2 when the image is big enough."""
    if image.format != "uchar":
        image = image.colourspace("srgb" if image.bands >= 3 else "b-w").cast("uchar")
    image = image.colourspace("srgb")
    if not image.hasalpha():
        image = image.bandjoin(255)
    if image.width >= 16 and image.height >= 16:
        image = image.shrink(2, 2)
    return image.cast("uchar")
