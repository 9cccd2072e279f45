"""Cheap structural checks on the raw bytes, run at submit time before libvips sees the file.

They catch truncated uploads (a JPEG without its end-of-image marker, a PNG without IEND, a GIF
without its trailer, a WebP or AVIF whose boxes run past the end) and garbage after a valid signature,
they read PNG and JPEG dimensions straight from the header so a decompression bomb is refused before
any decoder is involved, and they count GIF and WebP frames so the frame limit applies before libvips
keeps a record per frame.

Every walk here is bounded whatever the bytes (a 25 MB upload is millions of 4-byte segments or
8-byte chunks): each stops with InvalidImage past a count no real file reaches, and scans long runs in
C. tests/imaging/test_submit_bounds.py holds the crafted files and the measured cost.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pixpress.errors import ImageTooLarge, InvalidImage
from pixpress.imaging import gif_blocks, jpeg_segments, png_chunks
from pixpress.imaging.types import ImageFormat

# A still WebP has at most VP8X, ICCP, ANIM, EXIF, XMP, ALPH and one image chunk; libwebp's demuxer
# keeps a record for every chunk, unknown ones included, so they are counted (frames apart).
MAX_RIFF_CHUNKS = 256
# libvips copies the ICC, EXIF and XMP chunks of a WebP while reading its header (a 20 MB XMP chunk
# cost 20 MB at submit); no image made for the web carries this much.
MAX_WEBP_METADATA_BYTES = 8 * 1024 * 1024
_WEBP_METADATA = frozenset({b"ICCP", b"EXIF", b"XMP "})
# An AVIF has ftyp, meta and mdat at the top, sometimes free or moov; libheif limits what is nested.
MAX_TOP_LEVEL_BOXES = 256


@dataclass(frozen=True)
class Structure:
    """What the container says, where it says it cheaply (0 when only the decoder knows)."""

    width: int = 0
    height: int = 0
    frames: int = 0
    # What libvips reads the header from when not the upload itself: the descriptive segments or
    # chunks of a JPEG or PNG, without the metadata libvips would decompress and copy.
    header: bytes | None = None


def check_structure(data: bytes, fmt: ImageFormat, *, max_frames: int = 1000) -> Structure:
    """Raise InvalidImage when the container is truncated or corrupt, ImageTooLarge when it holds
    more than `max_frames` frames; return header dimensions and frame count where known."""
    if fmt is ImageFormat.JPEG:
        jpeg = jpeg_segments.parse_header(data)
        if not jpeg_segments.has_end(data, jpeg):
            raise InvalidImage("The JPEG file is truncated (no end-of-image marker).")
        return Structure(jpeg.width, jpeg.height, 1, jpeg_segments.header_only(data, jpeg))
    if fmt is ImageFormat.PNG:
        png = png_chunks.parse_header(data)
        return Structure(png.width, png.height, 1, png_chunks.header_only(data, png))
    if fmt is ImageFormat.GIF:
        if len(data) < 13:
            raise InvalidImage("The GIF file is truncated.")
        return Structure(frames=gif_blocks.count_frames(data, max_frames=max_frames))
    if fmt is ImageFormat.WEBP:
        return Structure(frames=_webp(data, max_frames=max_frames))
    if fmt is ImageFormat.AVIF:
        _isobmff(data)
    return Structure()


def _webp(data: bytes, *, max_frames: int) -> int:
    """RIFF chunks tile the declared size; returns the ANMF frames (0 for a still image)."""
    riff_end = int.from_bytes(data[4:8], "little") + 8
    if riff_end > len(data):
        raise InvalidImage("The WebP file is truncated.")
    if riff_end < 20:
        raise InvalidImage("The WebP file is corrupt.")
    pos = 12
    frames = chunks = metadata_bytes = 0
    while pos + 8 <= riff_end:
        kind = data[pos : pos + 4]
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        if kind == b"ANMF":
            frames += 1
            if frames > max_frames:
                raise ImageTooLarge(
                    f"The animation has more than {max_frames} frames; the limit is {max_frames}.",
                    details={"frames": frames},
                )
        else:
            chunks += 1
            if chunks > MAX_RIFF_CHUNKS:
                raise InvalidImage(f"The WebP file is corrupt (more than {MAX_RIFF_CHUNKS} chunks).")
            if kind in _WEBP_METADATA:
                metadata_bytes += size
                if metadata_bytes > MAX_WEBP_METADATA_BYTES:
                    raise InvalidImage(
                        f"The WebP file carries more than {MAX_WEBP_METADATA_BYTES // (1024 * 1024)} MB "
                        "of metadata (ICC, EXIF, XMP)."
                    )
        if pos + 8 + size > riff_end:
            raise InvalidImage("The WebP file is truncated.")
        pos += 8 + size + (size & 1)  # chunks are padded to an even size
    return frames


def _isobmff(data: bytes) -> None:
    """Top-level boxes (ftyp, meta, mdat...) must tile the file without running past its end."""
    pos = 0
    n = len(data)
    seen: set[bytes] = set()
    for _ in range(MAX_TOP_LEVEL_BOXES):
        if pos >= n:
            break
        if pos + 8 > n:
            raise InvalidImage("The AVIF file is truncated.")
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            if pos + 16 > n:
                raise InvalidImage("The AVIF file is truncated.")
            size = int.from_bytes(data[pos + 8 : pos + 16], "big")
        elif size == 0:
            size = n - pos
        if size < 8:
            raise InvalidImage("The AVIF file is corrupt (bad box).")
        if pos + size > n:
            raise InvalidImage("The AVIF file is truncated.")
        seen.add(kind)
        pos += size
    else:
        if pos < n:
            raise InvalidImage(f"The AVIF file is corrupt (more than {MAX_TOP_LEVEL_BOXES} boxes).")
    if b"meta" not in seen:
        raise InvalidImage("The AVIF file is corrupt (no meta box).")
