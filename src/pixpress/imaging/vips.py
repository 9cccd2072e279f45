"""The one place that talks to libvips directly for loading: process set-up and header/pixel loaders.

pyvips caches operations, including loads keyed by file name; pixpress only loads from buffers and
turns the operation cache off so a worker's memory does not grow with the images it has seen.
"""

from __future__ import annotations

from typing import Any

import pyvips

from pixpress.errors import ImageTooLarge, InvalidImage
from pixpress.imaging.steps import metadata
from pixpress.imaging.types import ImageFormat

pyvips.cache_set_max(0)

ANIMATED_FORMATS = frozenset({ImageFormat.GIF, ImageFormat.WEBP})


def load_header(data: bytes, fmt: ImageFormat) -> pyvips.Image:
    """The image with its header read and no pixel decoded (libvips loads lazily).

    Read through a memory source: new_from_buffer hands libvips a copy of the bytes (pyvips copies
    every blob argument), which at submit would double the memory of every 25 MB upload.
    """
    options: dict[str, Any] = {"fail_on": "none"}
    if fmt is ImageFormat.JPEG:
        options["autorotate"] = False
    try:
        return _from_source(data, fmt, **options)
    except pyvips.Error as exc:
        raise InvalidImage(details={"reason": _first_line(exc)}) from exc


def _from_source(data: bytes, fmt: ImageFormat, **options: Any) -> pyvips.Image:
    source = pyvips.Source.new_from_memory(data)
    if fmt is ImageFormat.AVIF:
        # libvips' sniffing does not know the avis brand of image sequences; libheif reads their
        # primary image, the still a browser without animation support shows.
        return pyvips.Image.heifload_source(source, **options)
    if fmt is ImageFormat.JPEG:
        # The primary image only, always: libvips' sniffing hands a JPEG with an MPF index (an HDR
        # gain map, imaging/steps/gain_map.py) to uhdrload, which takes none of jpegload's options.
        return pyvips.Image.jpegload_source(source, **options)
    return pyvips.Image.new_from_source(source, "", **options)


def load_pixels(
    data: bytes, fmt: ImageFormat, *, all_frames: bool = True, fail_on: str = "error", **scaling: Any
) -> pyvips.Image:
    """Every frame (or the first only), set up to fail on truncated or corrupt data; pixels are decoded
    when first read. `scaling`: the loader's shrink-on-load options (imaging/steps/shrink.py)."""
    options: dict[str, Any] = {"fail_on": fail_on, "access": "random", **scaling}
    if fmt in ANIMATED_FORMATS and all_frames:
        options["n"] = -1
    return _load(data, fmt, **options)


def _load(data: bytes, fmt: ImageFormat, **options: Any) -> pyvips.Image:
    """Through a memory source, as load_header: no copy of the upload. The caller keeps `data` alive
    until the pixels are in memory (the pipeline's Context holds it)."""
    if fmt is ImageFormat.JPEG:
        options["autorotate"] = False  # orientation is its own step
    try:
        return _from_source(data, fmt, **options)
    except pyvips.Error as exc:
        raise InvalidImage(details={"reason": _first_line(exc)}) from exc


def load_encoded(data: bytes) -> pyvips.Image:
    """An image pixpress encoded, read back (its first frame when animated) for scoring."""
    if data[4:8] == b"ftyp":
        return _from_source(data, ImageFormat.AVIF)
    if data[:2] == b"\xff\xd8":
        return _from_source(data, ImageFormat.JPEG)  # the base image of a gain-map JPEG
    return pyvips.Image.new_from_buffer(data, "")


def frame_count(image: pyvips.Image) -> int:
    """Frames the loader reports (n-pages), 1 for still images."""
    return max(1, metadata.get_int(image, metadata.N_PAGES, 1))


def page_height(image: pyvips.Image) -> int:
    """Height of one frame of a loaded strip (all frames stacked vertically)."""
    height = metadata.get_int(image, metadata.PAGE_HEIGHT, 0)
    if 0 < height <= image.height and image.height % height == 0:
        return height
    return int(image.height)


def _first_line(exc: pyvips.Error) -> str:
    text = f"{exc.message} {exc.detail or ''}".strip()
    return " ".join(text.split())[:300]


def error_reason(exc: pyvips.Error) -> str:
    return _first_line(exc)


def out_of_memory(exc: pyvips.Error) -> bool:
    """libvips could not allocate (the worker's memory cap, tasks/limits.py): the image is too large for
    this worker, not broken."""
    text = f"{exc.message} {exc.detail or ''}".lower()
    # Under the cap a thread's stack may be what cannot be allocated (measured: "Error creating thread:
    # Resource temporarily unavailable" at 200 MB for a 12-MP JPEG).
    return "out of memory" in text or "error creating thread" in text


def too_large(exc: pyvips.Error) -> ImageTooLarge:
    return ImageTooLarge(
        "The image needs more memory than a worker may use (PIXPRESS_WORKER_MEMORY_MB).",
        details={"reason": _first_line(exc)},
    )
