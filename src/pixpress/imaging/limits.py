"""Limit checks: pixels per frame, frames, side length and total pixels, before and during decode."""

from __future__ import annotations

from pixpress.errors import ImageTooLarge
from pixpress.imaging.types import Limits


def check_limits(*, width: int, height: int, frames: int, limits: Limits) -> None:
    """Raise ImageTooLarge (with details) when one frame or the whole animation is over a limit."""
    details = {"width": width, "height": height, "frames": frames}
    if width > limits.max_dimension_px or height > limits.max_dimension_px:
        raise ImageTooLarge(
            f"The image is {width}x{height}; each side must be at most {limits.max_dimension_px} pixels.",
            details=details,
        )
    if width * height > limits.max_pixels:
        raise ImageTooLarge(
            f"The image has {width * height} pixels per frame; the limit is {limits.max_pixels}.",
            details=details,
        )
    if frames > limits.max_frames:
        raise ImageTooLarge(
            f"The animation has {frames} frames; the limit is {limits.max_frames}.", details=details
        )
    if width * height * frames > limits.max_total_pixels:
        raise ImageTooLarge(
            f"The animation has {width * height * frames} pixels in all; the limit is "
            f"{limits.max_total_pixels}.",
            details=details,
        )
