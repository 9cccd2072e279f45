"""How close two RGBA renderings are, as a person on any page would see them.

Both are composited on white and on black (a transparent area Chromium leaves where the data stopped
shows the page behind it) and the lower PSNR of the two counts. A JPEG output has no alpha: pixpress
flattens it on white (imaging/steps/encode.py), so it is compared on white only.
"""

from __future__ import annotations

import numpy as np

BACKGROUNDS = (255.0, 0.0)


def composite(pixels: np.ndarray, background: float) -> np.ndarray:
    rgb = pixels[:, :, :3].astype(np.float64)
    alpha = pixels[:, :, 3:4].astype(np.float64) / 255.0
    return rgb * alpha + background * (1.0 - alpha)


def psnr_db(
    expected: np.ndarray, actual: np.ndarray, *, backgrounds: tuple[float, ...] = BACKGROUNDS
) -> float:
    """The lower PSNR over `backgrounds`; 0 when the sizes differ, 99 for identical pixels."""
    if expected.shape != actual.shape:
        return 0.0
    worst = 99.0
    for background in backgrounds:
        error = np.mean((composite(expected, background) - composite(actual, background)) ** 2)
        if error > 0:
            worst = min(worst, float(10 * np.log10(255.0**2 / error)))
    return worst
