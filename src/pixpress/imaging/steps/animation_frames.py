"""Every frame of an APNG or an AVIF image sequence, read by Pillow into the pipeline's frame strip.

libvips reads only the default image of these (the still a browser without animation support shows).
Pillow composes each APNG frame on the canvas (disposal, blending) and decodes AVIF sequences through
libavif. The frames are stacked vertically with page-height, delay and loop, like libvips' GIF and
WebP strips, so the rest of the pipeline does not know where they came from.

The limits are checked from what Pillow read of the header (frames, canvas) before a frame is decoded,
and the strip is one preallocated array (4 bytes a pixel, as the total-pixels limit assumes). An APNG
whose default image is not part of the animation starts at its first animation frame, as browsers do.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pyvips
from PIL import Image, UnidentifiedImageError

from pixpress.errors import ImageTooLarge, InvalidImage
from pixpress.imaging.deadline import Deadline
from pixpress.imaging.limits import check_limits
from pixpress.imaging.steps import metadata
from pixpress.imaging.types import ImageFormat, Limits

FORMATS = frozenset({ImageFormat.PNG, ImageFormat.AVIF})
_PILLOW_NAME = {ImageFormat.PNG: "PNG", ImageFormat.AVIF: "AVIF"}
DEFAULT_DELAY_MS = 100
_ERRORS = (OSError, SyntaxError, ValueError, EOFError, UnidentifiedImageError)


def read(data: bytes, fmt: ImageFormat, *, limits: Limits, deadline: Deadline) -> pyvips.Image:
    """The animation as an RGBA (RGB when every frame is opaque) strip. Raises InvalidImage when a frame
    does not decode completely, ImageTooLarge over the limits, TaskTimeout past the deadline."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's bomb warning: pixpress's own limits apply
            with Image.open(io.BytesIO(data), formats=[_PILLOW_NAME[fmt]]) as source:
                return _strip(source, limits=limits, deadline=deadline)
    except MemoryError as exc:  # the worker's memory cap (PIXPRESS_WORKER_MEMORY_MB)
        raise ImageTooLarge(
            "The image needs more memory than a worker may use (PIXPRESS_WORKER_MEMORY_MB).",
            details={"reason": "Pillow could not allocate the frames"},
        ) from exc
    except _ERRORS as exc:
        raise InvalidImage(details={"reason": f"{type(exc).__name__}: {exc}"[:300]}) from exc


def _strip(source: Image.Image, *, limits: Limits, deadline: Deadline) -> pyvips.Image:
    width, height = source.size
    first = 1 if source.info.get("default_image") else 0  # APNG: the default image is not a frame
    frames = int(getattr(source, "n_frames", 1)) - first
    check_limits(width=width, height=height, frames=frames, limits=limits)
    strip = np.empty((frames * height, width, 4), dtype=np.uint8)
    delays: list[int] = []
    for index in range(frames):
        deadline.check("decode")
        source.seek(first + index)
        frame = source.convert("RGBA")
        if frame.size != (width, height):
            raise InvalidImage("A frame of the animation is not the size of the image.")
        strip[index * height : (index + 1) * height] = np.asarray(frame)
        delays.append(_delay(metadata.pillow_number(source.info, "duration")))
    pixels = strip if bool(strip[:, :, 3].min() < 255) else strip[:, :, :3]
    image = pyvips.Image.new_from_array(pixels, interpretation="srgb")
    image.set_type(pyvips.GValue.gint_type, "page-height", height)
    image.set_type(pyvips.GValue.array_int_type, "delay", delays)
    image.set_type(pyvips.GValue.gint_type, "loop", int(metadata.pillow_number(source.info, "loop") or 0))
    image.set_type(pyvips.GValue.gint_type, "n-pages", frames)
    profile = metadata.pillow_bytes(source.info, "icc_profile")
    if profile is not None:
        image.set_type(pyvips.GValue.blob_type, "icc-profile-data", profile)
    return image.copy_memory()


def _delay(duration: float | None) -> int:
    if duration is not None and duration > 0:
        return int(duration)
    return DEFAULT_DELAY_MS
