"""Cheap structural checks on the raw bytes, run at submit time before libvips sees the file.

They catch truncated uploads (a JPEG without its end-of-image marker, a PNG without IEND, a GIF
without its trailer, a WebP or AVIF whose boxes run past the end) and garbage after a valid signature,
and they read PNG and JPEG dimensions straight from the header so a decompression bomb is refused
before any decoder is involved. Nothing here decodes pixels; the cost is a scan of the chunk or marker
structure, milliseconds for a 25 MB upload.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from pixpress.errors import InvalidImage, UnsupportedFormat
from pixpress.imaging import jpeg_segments
from pixpress.imaging.types import ImageFormat

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Structure:
    """What the container says, where it says it cheaply (0 when only the decoder knows)."""

    width: int = 0
    height: int = 0


def check_structure(data: bytes, fmt: ImageFormat) -> Structure:
    """Raise InvalidImage when the container is truncated or corrupt; return header dimensions if known."""
    if fmt is ImageFormat.JPEG:
        layout = jpeg_segments.parse(data)
        return Structure(layout.width, layout.height)
    if fmt is ImageFormat.PNG:
        return _png(data)
    if fmt is ImageFormat.GIF:
        _gif(data)
    elif fmt is ImageFormat.WEBP:
        _webp(data)
    elif fmt is ImageFormat.AVIF:
        _isobmff(data)
    return Structure()


def _png(data: bytes) -> Structure:
    pos = len(PNG_SIGNATURE)
    n = len(data)
    width = height = 0
    first = True
    while True:
        if pos + 12 > n:
            raise InvalidImage("The PNG file is truncated (no IEND chunk).")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if not kind.isalpha() or length > 0x7FFFFFFF:
            raise InvalidImage("The PNG file is corrupt (bad chunk).")
        if end > n:
            raise InvalidImage("The PNG file is truncated.")
        if first:
            if kind != b"IHDR" or length != 13:
                raise InvalidImage("The PNG file is corrupt (no IHDR chunk).")
            crc = int.from_bytes(data[end - 4 : end], "big")
            if zlib.crc32(data[pos + 4 : end - 4]) != crc:
                raise InvalidImage("The PNG file is corrupt (bad IHDR checksum).")
            width, height = struct.unpack(">II", data[pos + 8 : pos + 16])
            first = False
        elif kind == b"acTL":
            raise UnsupportedFormat("Animated PNG (APNG) is not supported: send a GIF or WebP animation.")
        elif kind == b"IEND":
            return Structure(width, height)
        pos = end


def _gif(data: bytes) -> None:
    if len(data) < 13:
        raise InvalidImage("The GIF file is truncated.")
    if not data.rstrip(b"\x00").endswith(b"\x3b"):
        raise InvalidImage("The GIF file is truncated (no trailer).")


def _webp(data: bytes) -> None:
    riff_size = int.from_bytes(data[4:8], "little") + 8
    if riff_size > len(data):
        raise InvalidImage("The WebP file is truncated.")
    if riff_size < 20:
        raise InvalidImage("The WebP file is corrupt.")


def _isobmff(data: bytes) -> None:
    """Top-level boxes (ftyp, meta, mdat...) must tile the file without running past its end."""
    pos = 0
    n = len(data)
    seen: set[bytes] = set()
    while pos < n:
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
    if b"meta" not in seen:
        raise InvalidImage("The AVIF file is corrupt (no meta box).")
