"""A PNG whose trailer or checksums are damaged, rewritten so a strict decoder reads what is there.

libpng stops at a bad checksum in a critical chunk (IHDR, PLTE, IDAT...) and at a missing IEND,
where browsers and Pillow show the image when its data is whole. The rewrite keeps every chunk in
order with a fresh checksum, drops ancillary chunks whose checksum is wrong (text, colour hints: a
damaged one is better lost than misread), ends the image data where the file ends and adds IEND.
Whether the pixels are then complete is the decoder's verdict (and png_stream's, for the message).

The worker's path only, after a strict decode failed: it walks every chunk of the upload.
"""

from __future__ import annotations

import struct
import zlib

from pixpress.imaging.formats.png_chunks import IEND, SIGNATURE, chunk

# APNG's chunks are ancillary by their names, but without them there is no animation.
_ANIMATION = frozenset({b"acTL", b"fcTL", b"fdAT"})


def rebuild(data: bytes) -> bytes:
    """The chunks of `data` up to IEND or the end of the file, with fresh checksums, then IEND."""
    view = memoryview(data)
    out = [SIGNATURE]
    pos = len(SIGNATURE)
    n = len(data)
    while pos + 8 <= n:
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IEND" or not kind.isalpha() or length > 0x7FFFFFFF:
            break
        end = pos + 8 + length
        payload = view[pos + 8 : min(end, n)]
        critical = kind[:1].isupper() or kind in _ANIMATION
        whole = end + 4 <= n
        if critical or (whole and _crc_ok(data, pos, end, kind)):
            out.append(chunk(kind, payload))
        if not whole:
            break
        pos = end + 4
    out.append(IEND)
    return b"".join(out)


def _crc_ok(data: bytes, pos: int, end: int, kind: bytes) -> bool:
    crc = zlib.crc32(memoryview(data)[pos + 8 : end], zlib.crc32(kind))
    return crc == int.from_bytes(data[end : end + 4], "big")
