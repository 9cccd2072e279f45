"""Animated PNG and AVIF image sequences written by Pillow from the pipeline's frame strip (libvips
writes neither: its PNG and HEIF savers write one still image).

APNG holds one palette for every frame, so a lossy APNG is the whole strip quantised at once by
libimagequant (through libvips' palette PNG, read back as palette indices) and written with that
palette; lossless is every frame as it is, at deflate 9. Pillow's APNG writer stores only the
rectangle that changed from the previous frame. AVIF sequences go through libavif at the given
quality (lossless: quality 100 with full chroma, as close as AV1 in YUV gets).
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import pyvips
from PIL import Image

from pixpress.errors import ImageTooLarge, InternalError, TaskTimeout
from pixpress.imaging import presets, vips
from pixpress.imaging.deadline import Deadline
from pixpress.imaging.formats import png_chunks
from pixpress.imaging.steps import metadata
from pixpress.imaging.steps.colour import declares_srgb
from pixpress.imaging.steps.encode import adapt
from pixpress.imaging.types import ImageFormat, KeepMetadata

FORMATS = frozenset({ImageFormat.PNG, ImageFormat.AVIF})
ICC_FIELD = metadata.ICC
AVIF_SPEED = 9 - presets.AVIF_EFFORT  # the speed libvips' effort stands for (aom)


def encode(
    image: pyvips.Image,
    fmt: ImageFormat,
    quality: int | None,
    *,
    keep: KeepMetadata = KeepMetadata.NONE,
    deadline: Deadline | None = None,
    overrides: dict[str, Any] | None = None,
) -> bytes:
    """Every frame of the strip `image` (page-height, delay, loop) as an APNG or an AVIF sequence.
    quality None: lossless. Raises TaskTimeout past `deadline`, InternalError when the writer fails."""
    if deadline is not None:
        deadline.check(f"encode:{fmt.value}")
    strip = adapt(image, fmt, lossless=quality is None)
    frames = _frames(strip, fmt, quality, overrides or {})
    params = _params(image, fmt, quality, keep)
    out = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's bomb warning: pixpress's limits came first
            frames[0].save(out, fmt.value.upper(), save_all=True, append_images=frames[1:], **params)
    except MemoryError as exc:
        raise ImageTooLarge(
            "The image needs more memory than a worker may use (PIXPRESS_WORKER_MEMORY_MB).",
            details={"step": "encode", "format": fmt.value},
        ) from exc
    except (OSError, ValueError) as exc:
        if deadline is not None and deadline.expired:
            raise TaskTimeout(details={"step": "encode"}) from exc
        raise InternalError(details={"step": "encode", "format": fmt.value}) from exc
    if fmt is ImageFormat.PNG and declares_srgb(image):
        return png_chunks.with_srgb_chunk(out.getvalue())
    return out.getvalue()


def _frames(
    strip: pyvips.Image, fmt: ImageFormat, quality: int | None, overrides: dict[str, Any]
) -> list[Image.Image]:
    height = _page_height(strip)
    count = int(strip.height) // height
    if fmt is ImageFormat.PNG and quality is not None:
        indexed = _palette(strip, quality, overrides)
        return [indexed.crop((0, i * height, indexed.width, (i + 1) * height)) for i in range(count)]
    pixels = np.asarray(strip.numpy())
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[pixels.shape[2]]
    if mode == "LA" and fmt is ImageFormat.AVIF:
        pixels, mode = np.repeat(pixels, [3, 1], axis=2), "RGBA"  # libavif takes L, RGB or RGBA
    return [Image.fromarray(pixels[i * height : (i + 1) * height].squeeze(), mode) for i in range(count)]


def _palette(strip: pyvips.Image, quality: int, overrides: dict[str, Any]) -> Image.Image:
    """The strip quantised to one palette (libimagequant through libvips), as Pillow palette pixels."""
    params = {
        "palette": True,
        "Q": quality,
        "effort": overrides.get("effort", presets.PNG_EFFORT),
        "dither": overrides.get("dither", 1.0),
        "compression": 1,  # read straight back: only the indices and the palette matter
        "keep": "none",
    }
    data = strip.pngsave_buffer(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        indexed: Image.Image = Image.open(io.BytesIO(data))
        indexed.load()
    if indexed.mode != "P":
        indexed = indexed.convert("P")  # libvips wrote a truecolour PNG: a few colours, no palette
    return indexed


def _params(image: pyvips.Image, fmt: ImageFormat, quality: int | None, keep: KeepMetadata) -> dict[str, Any]:
    delays = metadata.get_ints(image, metadata.DELAY)
    params: dict[str, Any] = {"loop": metadata.get_int(image, metadata.LOOP, 0)}
    if delays:
        params["duration"] = delays
    profile = metadata.get_blob(image, ICC_FIELD)
    if keep is not KeepMetadata.NONE and profile is not None:
        params["icc_profile"] = profile
    if fmt is ImageFormat.PNG:
        params["compress_level"] = 9
        return params
    lossless = quality is None
    params.update(quality=100 if lossless else quality, speed=AVIF_SPEED)
    if lossless:
        params["subsampling"] = "4:4:4"
    return params


def _page_height(image: pyvips.Image) -> int:
    return vips.page_height(image)
