"""PNG chunk structure, read without decoding: the header chunks up to the first IDAT, the end of the
file, and the few chunks libvips needs to read the header.

Only the chunks before the image data are walked (at most MAX_HEADER_CHUNKS of them): that is where
the dimensions, the palette, transparency and the APNG marker (acTL must precede IDAT) live. The image
data can be split into any number of IDAT chunks, so it is not walked at submit: a complete file ends
with its IEND chunk, which is checked from the end. The decoder in the worker reads every chunk.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from pixpress.errors import InvalidImage, UnsupportedFormat

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A real PNG has a handful of chunks before IDAT (IHDR, PLTE, tRNS, gAMA, iCCP, pHYs, a few texts).
MAX_HEADER_CHUNKS = 1024
# Chunks that change what the header says (size, bands, alpha, orientation); the others (text, ICC,
# unknown) would only be decompressed and copied by libvips at submit: zTXt and iTXt are zlib bombs.
_DESCRIPTIVE = frozenset({b"IHDR", b"PLTE", b"tRNS", b"eXIf"})
MAX_EXIF_BYTES = 65_536  # as in a JPEG APP1; a bigger eXIf is left for the worker
_IEND = b"\x00\x00\x00\x00IEND\xae\x42\x60\x82"
_EMPTY_IDAT = b"\x00\x00\x00\x00IDAT\x35\xaf\x06\x1e"


@dataclass(frozen=True)
class PngHeader:
    width: int
    height: int
    chunks: tuple[tuple[int, int], ...]  # (start, end) of the descriptive chunks before IDAT


def parse_header(data: bytes) -> PngHeader:
    """IHDR and the chunks up to the first IDAT, and a final IEND. Raises InvalidImage when truncated or
    corrupt, UnsupportedFormat for an animated PNG."""
    pos = len(SIGNATURE)
    n = len(data)
    width = height = 0
    kept: list[tuple[int, int]] = []
    for index in range(MAX_HEADER_CHUNKS):
        if pos + 12 > n:
            raise InvalidImage("The PNG file is truncated (no IEND chunk).")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if not kind.isalpha() or length > 0x7FFFFFFF:
            raise InvalidImage("The PNG file is corrupt (bad chunk).")
        if end > n:
            raise InvalidImage("The PNG file is truncated.")
        if index == 0:
            width, height = _ihdr(data, pos, kind, length, end)
        elif kind == b"acTL":
            raise UnsupportedFormat("Animated PNG (APNG) is not supported: send a GIF or WebP animation.")
        elif kind in (b"IDAT", b"IEND"):
            _check_end(data, pos)
            return PngHeader(width, height, tuple(kept))
        if kind in _DESCRIPTIVE and not (kind == b"eXIf" and length > MAX_EXIF_BYTES):
            kept.append((pos, end))
        pos = end
    raise InvalidImage(
        f"The PNG file is corrupt (more than {MAX_HEADER_CHUNKS} chunks before the image data)."
    )


def header_only(data: bytes, header: PngHeader) -> bytes:
    """A PNG libvips can read the header of: the descriptive chunks, an empty IDAT and IEND."""
    chunks = [data[start:end] for start, end in header.chunks]
    return b"".join([SIGNATURE, *chunks, _EMPTY_IDAT, _IEND])


def _ihdr(data: bytes, pos: int, kind: bytes, length: int, end: int) -> tuple[int, int]:
    if kind != b"IHDR" or length != 13:
        raise InvalidImage("The PNG file is corrupt (no IHDR chunk).")
    crc = int.from_bytes(data[end - 4 : end], "big")
    if zlib.crc32(data[pos + 4 : end - 4]) != crc:
        raise InvalidImage("The PNG file is corrupt (bad IHDR checksum).")
    width, height = struct.unpack(">II", data[pos + 8 : pos + 16])
    return int(width), int(height)


def _check_end(data: bytes, image_data: int) -> None:
    """The last IEND chunk, searched from the end (bytes after it are tolerated, as decoders do)."""
    if data.rfind(_IEND, image_data) < 0:
        raise InvalidImage("The PNG file is truncated (no IEND chunk).")
