"""A JPEG whose entropy-coded data is too short to hold its pixels: refused at submit.

Every 8x8 block of every component carries at least one Huffman-coded DC difference, so a whole image
needs at least one bit per block however flat it is (an arithmetic-coded JPEG is left alone: its coder
can go below that). A file whose scans hold less has lost its pixels (cut and given an EOI back, or a
header that claims a larger image than was coded); libjpeg only warns ("premature end of data
segment") and fills the rest with grey, which a browser shows as a broken image. Found by the fuzz test:
a 1.6 KB progressive JPEG claiming 1000x1000 was "optimized" into grey.
"""

from __future__ import annotations

import math

from pixpress.errors import InvalidImage
from pixpress.imaging.formats.jpeg_segments import EOI, SOF_MARKERS, JpegHeader, parse_header

ARITHMETIC_SOF = frozenset({0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def check(data: bytes) -> None:
    """check_scan_size of a JPEG whose structure was checked already (after the size limits: a bomb's
    claimed size is refused as too large first)."""
    header = parse_header(data)
    end = data.rfind(EOI, header.sos.end)
    check_scan_size(data, header, scan_end=end if end >= 0 else len(data))  # cut short: to the end


def check_scan_size(data: bytes, header: JpegHeader, *, scan_end: int) -> None:
    """Raise InvalidImage when the bytes from the first SOS to `scan_end` cannot hold the blocks."""
    blocks = coded_blocks(data, header)
    needed = math.ceil(blocks / 8)
    have = scan_end - header.sos.end
    if blocks and have < needed:
        raise InvalidImage(
            f"The JPEG's image data is {have} bytes; a {header.width}x{header.height} image needs at least "
            f"{needed}: its pixels are missing (the file was cut, or its header claims a larger image).",
            details={"reason": "image_data_too_short"},
        )


def coded_blocks(data: bytes, header: JpegHeader) -> int:
    """8x8 blocks of all components together (0 when unknown or arithmetic-coded)."""
    for segment in header.segments:
        if segment.marker not in SOF_MARKERS:
            continue
        if segment.marker in ARITHMETIC_SOF:
            return 0
        payload = segment.payload(data)
        count = payload[5] if len(payload) > 5 else 0
        factors = [
            (payload[7 + 3 * i] >> 4, payload[7 + 3 * i] & 15)
            for i in range(count)
            if len(payload) > 8 + 3 * i
        ]
        if not factors or header.width == 0 or header.height == 0:
            return 0
        h_max = max(h for h, _ in factors) or 1
        v_max = max(v for _, v in factors) or 1
        return sum(
            math.ceil(math.ceil(header.width * h / h_max) / 8)
            * math.ceil(math.ceil(header.height * v / v_max) / 8)
            for h, v in factors
        )
    return 0
