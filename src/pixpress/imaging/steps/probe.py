"""Step 2, probe: the cheap submit-time check. Sniff, check the container structure, read the header
and enforce the limits, all before any pixel is decoded."""

from __future__ import annotations

from pixpress.imaging import vips
from pixpress.imaging.formats import jpeg_scan_size
from pixpress.imaging.formats.sniff import sniff
from pixpress.imaging.formats.structure import check_structure
from pixpress.imaging.limits import check_limits
from pixpress.imaging.steps import heic, metadata
from pixpress.imaging.types import ImageFormat, ImageInfo, Limits


def probe(data: bytes, *, limits: Limits) -> ImageInfo:
    """Format, size, frames and alpha from the header.

    Raises UnsupportedFormat (not a JPEG/PNG/WebP/GIF/AVIF/HEIC), InvalidImage (truncated or corrupt
    container) and ImageTooLarge (over `limits`; PNG and JPEG dimensions and GIF, WebP, APNG and AVIF
    sequence frame counts, and HEIC image sizes, are checked from the raw bytes before libvips or
    libheif is called, so a decompression bomb costs microseconds). Bounded whatever the bytes: see
    tests/imaging/test_submit_bounds.py.
    """
    fmt = sniff(data)
    structure = check_structure(data, fmt, max_frames=limits.max_frames)
    # APNG and AVIF sequences: frames from their own chunks or boxes (libvips sees only the still).
    frames = max(1, structure.frames)
    if structure.width or structure.height:
        check_limits(width=structure.width, height=structure.height, frames=frames, limits=limits)
    if fmt is ImageFormat.JPEG:
        jpeg_scan_size.check(data)  # after the limits: a bomb's claimed size is "too large" first
    if fmt is ImageFormat.HEIC:
        return _heic(data, limits=limits)
    header = vips.load_header(data if structure.header is None else structure.header, fmt)
    if fmt in vips.ANIMATED_FORMATS:
        frames = vips.frame_count(header)
    width, height = int(header.width), int(header.height)
    check_limits(width=width, height=height, frames=frames, limits=limits)
    orientation = metadata.get_int(header, metadata.ORIENTATION, 1)
    return ImageInfo(
        format=fmt,
        width=width,
        height=height,
        frames=frames,
        has_alpha=bool(header.hasalpha()),
        orientation=orientation,
    )


def _heic(data: bytes, *, limits: Limits) -> ImageInfo:
    """libheif's header of the primary image, already turned upright (orientation 1)."""
    header = heic.read_header(data)
    check_limits(width=header.width, height=header.height, frames=1, limits=limits)
    return ImageInfo(ImageFormat.HEIC, header.width, header.height, has_alpha=header.has_alpha)
