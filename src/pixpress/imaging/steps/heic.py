"""HEIC/HEIF uploads (iPhone photos): header and pixels of the primary image through pi-heif.

The libvips in pyvips-binary reads a HEIC's header but cannot decode HEVC ("Support for this
compression format has not been built in: HEVC"), so both come from pi-heif's libheif with its
libde265 decoder: one decoder path. libheif applies the image's transformations (irot, imir, clap),
so the pixels come out the right way up; the EXIF orientation a HEIC carries describes the same turn
(HEIF says it is informative only) and is set to 1 in the EXIF that is kept.

Only the primary image is read: the other images of a burst, thumbnails, depth maps and auxiliary
images are neither decoded nor kept. HDR (10/12-bit) images are read as 8 bits. The ICC profile
(Display P3 on iPhones) travels as `icc-profile-data`, for the colour step like any other format's.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

import pyvips

from pixpress.errors import ImageTooLarge, InvalidImage
from pixpress.imaging.deadline import Deadline
from pixpress.imaging.limits import check_limits
from pixpress.imaging.steps import metadata
from pixpress.imaging.types import Limits

if TYPE_CHECKING:
    import pi_heif
_BANDS = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}


@dataclass(frozen=True)
class Header:
    width: int  # as displayed: libheif's transformations applied
    height: int
    has_alpha: bool


@functools.cache
def _pi_heif() -> ModuleType:
    """pi-heif, imported on the first HEIC: the API process, which only reads headers, stays without it
    (and NumPy) until one comes (about 20 MB)."""
    library = importlib.import_module("pi_heif")
    # What pixpress never reads of a HEIC: libheif then skips these images' headers too.
    library.options.THUMBNAILS = False
    library.options.DEPTH_IMAGES = False
    library.options.AUX_IMAGES = False
    return library


def read_header(data: bytes) -> Header:
    """The primary image's size and alpha, without decoding. Raises InvalidImage."""
    image = _primary(data)
    width, height = image.size
    return Header(int(width), int(height), image.mode in ("LA", "RGBA"))


def decode(data: bytes, *, limits: Limits, deadline: Deadline) -> pyvips.Image:
    """The primary image's pixels (8-bit, turned upright) with its ICC profile and, as `exif-data`,
    its EXIF with the orientation set to 1 and its XMP. Raises InvalidImage, ImageTooLarge."""
    import numpy  # only where pixels are decoded: the worker, which has it loaded anyway

    image = _primary(data)
    width, height = image.size
    check_limits(width=width, height=height, frames=1, limits=limits)
    deadline.check("decode")
    try:
        pixels = numpy.asarray(image)
    except MemoryError as exc:
        raise ImageTooLarge(
            "The image needs more memory than a worker may use (PIXPRESS_WORKER_MEMORY_MB).",
            details={"reason": "libheif could not allocate the image"},
        ) from exc
    except (OSError, ValueError, RuntimeError) as exc:
        raise InvalidImage(details={"reason": f"{type(exc).__name__}: {exc}"[:300]}) from exc
    if image.mode not in _BANDS or pixels.dtype != numpy.uint8:
        raise InvalidImage(details={"reason": f"unexpected HEIC pixels: {image.mode} {pixels.dtype}"})
    interpretation = "b-w" if _BANDS[image.mode] <= 2 else "srgb"
    out = pyvips.Image.new_from_array(pixels, interpretation=interpretation)
    for name, value in (
        (metadata.ICC, metadata.pillow_bytes(image.info, "icc_profile")),
        (metadata.EXIF, metadata.exif_upright(metadata.pillow_bytes(image.info, "exif"))),
        (metadata.XMP, metadata.pillow_bytes(image.info, "xmp")),
    ):
        if value is not None:
            out.set_type(pyvips.GValue.blob_type, name, value)
    return out.copy_memory()


def _primary(data: bytes) -> pi_heif.HeifImage:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            heif = _pi_heif().open_heif(data, convert_hdr_to_8bit=True)
            return heif[heif.primary_index]
    except MemoryError as exc:
        raise ImageTooLarge(details={"reason": "libheif could not allocate the header"}) from exc
    except (OSError, ValueError, RuntimeError, IndexError) as exc:
        raise InvalidImage(details={"reason": f"{type(exc).__name__}: {exc}"[:300]}) from exc
