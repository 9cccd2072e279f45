"""The time limit of one optimization: checked between steps, and enforced inside long libvips
operations through the image's eval (progress) signal, which sets the kill flag once time is up."""

from __future__ import annotations

import time

import pyvips

from pixpress.errors import TaskTimeout


class Deadline:
    """A time.monotonic() instant, or None for no limit."""

    def __init__(self, at: float | None = None) -> None:
        self.at = at

    @property
    def expired(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def check(self, step: str) -> None:
        """Raise TaskTimeout when the deadline has passed (called between steps)."""
        if self.expired:
            raise TaskTimeout(details={"step": step})

    def watch(self, image: pyvips.Image) -> pyvips.Image:
        """Let libvips abort work on `image` (and what it is computed from) past the deadline.

        A killed operation raises pyvips.Error; callers turn that into TaskTimeout with `expired`.
        """
        if self.at is None:
            return image
        at = self.at

        def on_eval(target: pyvips.Image, _progress: object) -> None:
            if time.monotonic() >= at:
                target.set_kill(True)

        image.set_progress(True)
        image.signal_connect("eval", on_eval)
        return image
