"""Cheap structural checks on the raw bytes, run at submit time before libvips sees the file.

They catch truncated uploads a browser cannot show (a JPEG or PNG cut before its first row of pixels,
a GIF cut before the first pixel of its first frame, a WebP, AVIF or HEIC whose boxes run past the
end) and garbage after a valid signature, while letting through what browsers show (a JPEG or PNG cut
after some rows, a GIF cut after some pixels, a PNG whose IEND alone is missing, a GIF without its
trailer: docs/formats.md),
they read PNG and JPEG dimensions straight from the header so a decompression bomb is refused before
any decoder is involved, and they count GIF, WebP, APNG and AVIF sequence frames so the frame limit
applies before a decoder keeps a record per frame.

Every walk here is bounded whatever the bytes (a 25 MB upload is millions of 4-byte segments or
8-byte chunks): each stops with InvalidImage past a count no real file reaches, and scans long runs in
C. tests/imaging/test_submit_bounds.py holds the crafted files and the measured cost.
"""

from __future__ import annotations

from dataclasses import dataclass

from pixpress.errors import ImageTooLarge, InvalidImage
from pixpress.imaging.formats import gif_blocks, isobmff, jpeg_segments, jpeg_tables, png_chunks, png_stream
from pixpress.imaging.types import ImageFormat

# A still WebP has at most VP8X, ICCP, ANIM, EXIF, XMP, ALPH and one image chunk; libwebp's demuxer
# keeps a record for every chunk, unknown ones included, so they are counted (frames apart).
MAX_RIFF_CHUNKS = 256
# libvips copies the ICC, EXIF and XMP chunks of a WebP while reading its header (a 20 MB XMP chunk
# cost 20 MB at submit); no image made for the web carries this much.
MAX_WEBP_METADATA_BYTES = 8 * 1024 * 1024
_WEBP_METADATA = frozenset({b"ICCP", b"EXIF", b"XMP "})


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
        # A JPEG without EOI (cut short) is shown down to where its data stops: the worker keeps
        # those rows (decode.py); jpeg_scan_size refuses one with too little data to hold its pixels.
        jpeg = jpeg_segments.parse_header(data)
        jpeg_tables.check_first_scan(data, jpeg)
        return Structure(jpeg.width, jpeg.height, 1, jpeg_segments.header_only(data, jpeg))
    if fmt is ImageFormat.PNG:
        png = png_chunks.parse_header(data, max_frames=max_frames)
        if not png_chunks.has_end(data, png):
            _png_without_end(data, png)
        return Structure(png.width, png.height, png.frames, png_chunks.header_only(data, png))
    if fmt is ImageFormat.GIF:
        if len(data) < 13:
            raise InvalidImage("The GIF file is truncated.")
        return Structure(frames=gif_blocks.count_frames(data, max_frames=max_frames))
    if fmt is ImageFormat.WEBP:
        return Structure(frames=_webp(data, max_frames=max_frames))
    if fmt is ImageFormat.AVIF:
        sequence = isobmff.check(data)
        return Structure(sequence.width, sequence.height, sequence.frames)
    if fmt is ImageFormat.HEIC:
        # The largest image size the meta box declares: the limits apply before libheif is called.
        # Only the primary image is read (a burst's others, depth maps and sequences are left), so 1 frame.
        found = isobmff.items(data, name="HEIC")
        return Structure(found.width, found.height, 1)
    return Structure()


def _png_without_end(data: bytes, png: png_chunks.PngHeader) -> None:
    """No IEND: browsers show the rows whose data is there (a writer that forgot IEND, a file cut in
    its last checksum or in its image data); refused when not one row is (an interlaced image shows no
    whole row before its last pass) and when an APNG's frame is cut. A file too big to inflate here
    (png_stream's bounds) goes to the worker, which counts its rows."""
    found = png_stream.read(
        data, png, max_chunks=png_stream.MAX_SUBMIT_CHUNKS, max_inflate=png_stream.MAX_SUBMIT_INFLATE_BYTES
    )
    # An APNG's frames are read whole (animation_frames.py): one cut short is refused.
    if found.complete is False and (found.rows == 0 or png.frames > 1):
        raise InvalidImage(found.describe(), details={"rows": found.rows, "height": found.height})


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
