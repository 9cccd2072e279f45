"""Judging candidates the way a site visitor sees them: SSIMULACRA2 against the oriented, resized
source (alpha composited on white and on black, the worse counts; see ssimulacra2.Reference).

Both sides are scored colour-managed, as a browser shows them (colour.displayed): pixels that carry a
profile other than sRGB (an Adobe RGB or Display P3 photo whose profile is kept) go through it to sRGB
first, the reference once, each candidate that carries one once (one libvips icc_transform). Scored on
raw values instead, an Adobe RGB photo's JPEG passed at 70.96 and looked like 67.2.

Images above MAX_SCORED_MEGAPIXELS are scored on both sides downscaled to that size with the same
kernel: the prepared reference keeps about 57 bytes per pixel (its planes and the workspace every score
reuses), so a 50 MP upload would need 3 GB for a full-size score. The reported score says where it was
measured.
"""

from __future__ import annotations

import math

import pyvips

from pixpress.imaging import vips
from pixpress.imaging.metric.ssimulacra2 import Reference
from pixpress.imaging.steps.colour import displayed

MAX_SCORED_MEGAPIXELS = 16.0


class Judge:
    def __init__(self, pixels: pyvips.Image, *, frame_height: int) -> None:
        first_frame = (
            pixels if frame_height == pixels.height else pixels.crop(0, 0, pixels.width, frame_height)
        )
        megapixels = first_frame.width * first_frame.height / 1e6
        self.scale = min(1.0, (MAX_SCORED_MEGAPIXELS / megapixels) ** 0.5)
        self.reference = Reference(self._scaled(displayed(first_frame)))

    def _scaled(self, image: pyvips.Image) -> pyvips.Image:
        return image if self.scale >= 1.0 else image.resize(self.scale)

    def prepare(self) -> Judge:
        """Prepare the reference now rather than on the first score; returns itself."""
        self.reference.prepare()
        return self

    def score(self, data: bytes) -> float:
        """SSIMULACRA2 of encoded `data` (its first frame) against the source."""
        candidate = vips.load_encoded(data)
        frame_height = vips.page_height(candidate)
        if frame_height != candidate.height:
            candidate = candidate.crop(0, 0, candidate.width, frame_height)
        # Rounded down: a candidate reported at the target is at or above it (69.995 is not 70.00).
        return math.floor(self.reference.score(self._scaled(displayed(candidate))) * 100) / 100

    @property
    def measured_on(self) -> str:
        return "full size" if self.scale >= 1.0 else f"downscaled x{self.scale:.2f}"
