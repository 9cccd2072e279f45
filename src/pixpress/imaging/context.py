"""The one object every optimization step reads and updates (imgproxy's processing context)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyvips

from pixpress.imaging.deadline import Deadline
from pixpress.imaging.types import ColourPath, ImageFormat, ImageInfo, Limits, OptimizeOptions

if TYPE_CHECKING:
    from pixpress.imaging.steps.gain_map import GainMap


@dataclass
class Context:
    data: bytes  # the uploaded bytes, never modified
    options: OptimizeOptions
    limits: Limits
    deadline: Deadline
    info: ImageInfo | None = None  # set by probe
    image: pyvips.Image | None = None  # set by decode; all frames stacked vertically when animated
    frames: int = 1
    orientation: int = 1  # EXIF orientation of the source (1 = as stored)
    source_profile: bytes | None = None  # the embedded ICC profile of the upload, set by decode
    shrunk_on_load: bool = False  # the decoder skipped pixels (shrink.py): sizes come from `info`
    resized: bool = False
    converted_colour: bool = False  # pixels were transformed to sRGB (the source profile is gone)
    colour_path: ColourPath = ColourPath.UNTAGGED  # set by the colour step
    targets: tuple[ImageFormat, ...] = ()  # output formats to encode, set by plan
    gain_map: GainMap | None = None  # the upload's HDR gain map (gain_map.py), set after decode
    # The part of the upright full image the pixels show, as fractions (left, top, right, bottom):
    # set by a cropped size; None is the whole image.
    region: tuple[float, float, float, float] | None = None
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def source_format(self) -> ImageFormat:
        assert self.info is not None, "probe runs first"
        return self.info.format

    @property
    def pixels(self) -> pyvips.Image:
        assert self.image is not None, "decode runs first"
        return self.image

    @property
    def animated(self) -> bool:
        return self.frames > 1

    @property
    def full_size(self) -> tuple[int, int]:
        """The upload's size as shown (after its EXIF orientation), whatever was decoded."""
        assert self.info is not None, "probe runs first"
        return self.info.display_size

    @property
    def frame_height(self) -> int:
        return int(self.pixels.height) // self.frames
