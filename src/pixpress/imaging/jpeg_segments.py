"""JPEG marker structure, read without decoding: the segments before the scan, where the image ends
(EOI), and a byte-safe way to drop metadata segments while keeping the entropy-coded data untouched.

This is how lossless JPEG optimization works here: libvips cannot rewrite Huffman tables without
decoding (no jpegtran), so "lossless" for a JPEG means removing metadata segments only. The pixels a
decoder produces are the same, bit for bit, because every byte from the first SOF to EOI is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pixpress.errors import InvalidImage

SOI = b"\xff\xd8"
# Markers without a length field (RSTn, SOI, EOI, TEM).
_STANDALONE = {0x01, *range(0xD0, 0xD8), 0xD8, 0xD9}
# In entropy-coded data 0xFF is followed by 0x00 (stuffing) or RSTn; any other byte starts a marker.
_MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})

APP1 = 0xE1  # EXIF or XMP
APP2 = 0xE2  # ICC profile chunks, or MPF (multi-picture: gain maps)
APP13 = 0xED  # Photoshop IRB / IPTC
APP14 = 0xEE  # Adobe: colour transform flag, needed to decode CMYK/YCCK correctly
COM = 0xFE


@dataclass(frozen=True)
class Segment:
    marker: int
    start: int  # offset of the 0xFF byte
    end: int  # offset after the segment's payload

    def payload(self, data: bytes) -> bytes:
        return data[self.start + 4 : self.end]


@dataclass(frozen=True)
class JpegLayout:
    header_segments: tuple[Segment, ...]  # every marker segment before the first SOS
    scan_start: int  # offset of the first SOS marker: from here to eoi_end is kept byte for byte
    eoi_end: int  # offset just after the EOI marker of the primary image
    width: int
    height: int
    length: int  # of the whole file; bytes past eoi_end are gain maps, MPF images or padding


def parse(data: bytes) -> JpegLayout:
    """Walk the markers of a baseline or progressive JPEG. Raises InvalidImage when truncated or corrupt."""
    if not data.startswith(SOI):
        raise InvalidImage("Not a JPEG stream.")
    pos = 2
    segments: list[Segment] = []
    width = height = 0
    n = len(data)
    while True:
        if pos + 4 > n:
            raise InvalidImage("The JPEG file is truncated (no image data).")
        if data[pos] != 0xFF:
            raise InvalidImage("The JPEG file is corrupt (bad marker).")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        end = pos + 2 + length
        if length < 2 or end > n:
            raise InvalidImage("The JPEG file is truncated.")
        segment = Segment(marker, pos, end)
        if marker in SOF_MARKERS and length >= 8:
            height = int.from_bytes(data[pos + 5 : pos + 7], "big")
            width = int.from_bytes(data[pos + 7 : pos + 9], "big")
        if marker == 0xDA:  # SOS: entropy-coded data follows
            break
        segments.append(segment)
        pos = end
    eoi_end = _find_eoi(data, end)
    return JpegLayout(tuple(segments), segment.start, eoi_end, width, height, n)


def _find_eoi(data: bytes, pos: int) -> int:
    """Skip scans and the segments between them (progressive JPEGs) up to EOI."""
    n = len(data)
    while True:
        match = _MARKER_IN_SCAN.search(data, pos)
        if match is None:
            raise InvalidImage("The JPEG file is truncated (no end-of-image marker).")
        start = match.start()
        marker = data[start + 1]
        if marker == 0xD9:
            return start + 2
        if marker in _STANDALONE:
            pos = start + 2
            continue
        if start + 4 > n:
            raise InvalidImage("The JPEG file is truncated.")
        length = int.from_bytes(data[start + 2 : start + 4], "big")
        if length < 2 or start + 2 + length > n:
            raise InvalidImage("The JPEG file is truncated.")
        pos = start + 2 + length


def is_icc(segment: Segment, data: bytes) -> bool:
    return segment.marker == APP2 and segment.payload(data).startswith(b"ICC_PROFILE\x00")


def is_exif(segment: Segment, data: bytes) -> bool:
    return segment.marker == APP1 and segment.payload(data).startswith(b"Exif\x00")


def strip_metadata(data: bytes, *, keep_icc: bool, orientation: int = 1) -> bytes:
    """The same JPEG without metadata segments (EXIF, XMP, IPTC, comments, MPF, data after EOI).

    Kept always: JFIF (APP0) and Adobe (APP14), which change how pixels decode, and the ICC profile when
    `keep_icc`. When `orientation` is not 1 a minimal EXIF segment holding only that tag is written,
    since the pixels are not rotated in this path (and GPS or camera data must not survive).
    Every other segment (DQT, SOF, DHT, DRI...) keeps its order, and everything from the first SOS to
    EOI is copied unchanged.
    """
    layout = parse(data)
    kept: list[bytes] = [SOI]
    exif = orientation_exif(orientation) if orientation != 1 else b""
    for segment in layout.header_segments:
        marker = segment.marker
        metadata = 0xE0 <= marker <= 0xEF or marker == COM
        keep = not metadata or marker in (0xE0, APP14) or (keep_icc and is_icc(segment, data))
        if exif and marker != 0xE0:
            kept.append(exif)  # right after SOI, or after JFIF when there is one
            exif = b""
        if keep:
            kept.append(data[segment.start : segment.end])
    kept.append(exif)
    kept.append(data[layout.scan_start : layout.eoi_end])
    return b"".join(kept)


def orientation_exif(orientation: int) -> bytes:
    """An APP1 EXIF segment with a single IFD0 entry: Orientation (0x0112, SHORT)."""
    tiff = (
        b"MM\x00\x2a\x00\x00\x00\x08"  # big-endian TIFF header, IFD0 at offset 8
        + (1).to_bytes(2, "big")
        + b"\x01\x12\x00\x03\x00\x00\x00\x01"
        + orientation.to_bytes(2, "big")
        + b"\x00\x00"
        + (0).to_bytes(4, "big")  # no next IFD
    )
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
