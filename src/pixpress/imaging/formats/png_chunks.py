"""PNG chunk structure, read without decoding: the header chunks up to the first IDAT, the APNG
animation control (acTL), and the few chunks libvips needs to read the header.

Only the chunks before the image data are walked (at most MAX_HEADER_CHUNKS of them): that is where
the dimensions, the palette, transparency and the APNG marker (acTL must precede IDAT) live. The image
data can be split into any number of IDAT chunks, so it is not walked here; whether it is complete is
png_stream's question. The decoder in the worker reads every chunk.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from pixpress.errors import InvalidImage
from pixpress.imaging.formats import apng_chunks

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A real PNG has a handful of chunks before IDAT (IHDR, PLTE, tRNS, gAMA, iCCP, pHYs, a few texts).
MAX_HEADER_CHUNKS = 1024
# Chunks that change what the header says (size, bands, alpha, orientation); the others (text, ICC,
# unknown) would only be decompressed and copied by libvips at submit: zTXt and iTXt are zlib bombs.
_DESCRIPTIVE = frozenset({b"IHDR", b"PLTE", b"tRNS", b"eXIf"})
_CRITICAL = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND"})
MAX_EXIF_BYTES = 65_536  # as in a JPEG APP1; a bigger eXIf is left for the worker
END_SEARCH_BYTES = 64 * 1024
IEND = b"\x00\x00\x00\x00IEND\xae\x42\x60\x82"
_EMPTY_IDAT = b"\x00\x00\x00\x00IDAT\x35\xaf\x06\x1e"


@dataclass(frozen=True)
class PngHeader:
    width: int
    height: int
    chunks: tuple[tuple[int, int], ...]  # (start, end) of the descriptive chunks before IDAT
    image_data: int = 0  # offset of the first IDAT chunk
    bits_per_pixel: int = 24  # bit depth x channels: how many bytes a row of pixels takes
    interlaced: bool = False
    frames: int = 1  # APNG: frames its acTL announces (with the default image when it is not one)

    def row_bytes(self, width: int) -> int:
        return (width * self.bits_per_pixel + 7) // 8


# Channels per colour type (grey, RGB, palette, grey+alpha, RGBA).
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def parse_header(data: bytes, *, max_frames: int = 1000) -> PngHeader:
    """IHDR and the chunks up to the first IDAT. Raises InvalidImage when truncated or corrupt.

    An APNG's frames are its acTL's count, or the count of fcTL chunks when more (each frame has one;
    found in C and checked by apng_chunks, at most `max_frames` + 1). A damaged acTL (bad checksum) is
    ignored, as browsers do: the file is then the still default image.
    """
    pos = len(SIGNATURE)
    n = len(data)
    ihdr = _Ihdr(0, 0, 24, False)
    kept: list[tuple[int, int]] = []
    announced = 0
    for index in range(MAX_HEADER_CHUNKS):
        if pos + 12 > n:
            raise InvalidImage("The PNG file is truncated (no image data).")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if not kind.isalpha() or length > 0x7FFFFFFF:
            raise InvalidImage("The PNG file is corrupt (bad chunk).")
        if kind == b"IEND" or (kind == b"IDAT" and index == 0):
            raise InvalidImage("The PNG file is corrupt (no image data).")
        if end > n and kind != b"IDAT":  # the image data's own end is png_stream's question
            raise InvalidImage("The PNG file is truncated.")
        if kind[:1].isupper() and kind not in _CRITICAL:
            # libpng stops at a critical chunk it does not know, and browsers show nothing.
            raise InvalidImage(f"The PNG file has an unknown critical chunk ({kind.decode()}).")
        if index == 0:
            ihdr = _ihdr(data, pos, kind, length, end)
        elif kind == b"acTL" and length == 8 and _crc_ok(data, pos, end):
            announced = int.from_bytes(data[pos + 8 : pos + 12], "big")
        elif kind == b"IDAT":
            frames = 1
            if announced > 1:
                controls = apng_chunks.count_frames(
                    data,
                    image_data=pos,
                    width=ihdr.width,
                    height=ihdr.height,
                    announced=announced,
                    max_frames=max_frames,
                )
                frames = max(announced, controls)  # a default image outside the animation is not shown
            return PngHeader(
                ihdr.width, ihdr.height, tuple(kept), pos, ihdr.bits_per_pixel, ihdr.interlaced, frames
            )
        if kind in _DESCRIPTIVE and not (kind == b"eXIf" and length > MAX_EXIF_BYTES):
            kept.append((pos, end))
        pos = end
    raise InvalidImage(
        f"The PNG file is corrupt (more than {MAX_HEADER_CHUNKS} chunks before the image data)."
    )


def header_only(data: bytes, header: PngHeader) -> bytes:
    """A PNG libvips can read the header of: the descriptive chunks, an empty IDAT and IEND."""
    chunks = [data[start:end] for start, end in header.chunks]
    return b"".join([SIGNATURE, *chunks, _EMPTY_IDAT, IEND])


@dataclass(frozen=True)
class _Ihdr:
    width: int
    height: int
    bits_per_pixel: int
    interlaced: bool


def _ihdr(data: bytes, pos: int, kind: bytes, length: int, end: int) -> _Ihdr:
    if kind != b"IHDR" or length != 13:
        raise InvalidImage("The PNG file is corrupt (no IHDR chunk).")
    if not _crc_ok(data, pos, end):
        raise InvalidImage("The PNG file is corrupt (bad IHDR checksum).")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[pos + 8 : pos + 21])
    channels = _CHANNELS.get(colour)
    if channels is None or depth not in (1, 2, 4, 8, 16):
        raise InvalidImage("The PNG file is corrupt (bad IHDR).")
    return _Ihdr(int(width), int(height), depth * channels, interlace == 1)


def _crc_ok(data: bytes, pos: int, end: int) -> bool:
    return zlib.crc32(data[pos + 4 : end - 4]) == int.from_bytes(data[end - 4 : end], "big")


def has_end(data: bytes, header: PngHeader) -> bool:
    """An IEND chunk in the last END_SEARCH_BYTES (bytes after it are tolerated, as decoders do; a file
    with more goes to png_stream's walk, which meets the IEND). Not searched further: finding nothing
    in 25 MB of repetitive data took 22 ms."""
    return data.rfind(IEND, max(header.image_data, len(data) - END_SEARCH_BYTES)) >= 0


def chunk(kind: bytes, payload: bytes | memoryview) -> bytes:
    crc = zlib.crc32(payload, zlib.crc32(kind))
    return struct.pack(">I", len(payload)) + kind + bytes(payload) + struct.pack(">I", crc)


SRGB_PERCEPTUAL = chunk(b"sRGB", b"\x00")  # "these pixels are sRGB" (rendering intent 0): 13 bytes


def with_srgb_chunk(data: bytes) -> bytes:
    """The PNG `data` (as a pixpress encoder wrote it: IHDR first) with an sRGB chunk right after IHDR,
    where the colour chunks belong (before PLTE and IDAT); unchanged when it already says its colours
    (sRGB or iCCP before the image data)."""
    if data[12:16] != b"IHDR":
        return data
    pos, header_end = 8, 0
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind in (b"sRGB", b"iCCP"):
            return data
        if kind in (b"IDAT", b"PLTE"):
            break
        pos += 12 + length
        header_end = header_end or pos
    if not header_end:
        return data
    return data[:header_end] + SRGB_PERCEPTUAL + data[header_end:]
