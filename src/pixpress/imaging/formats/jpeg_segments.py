"""JPEG marker structure, read without decoding: the segments before the scan, the segments between
progressive scans, where the image ends (EOI), and a byte-safe way to drop metadata segments while
keeping the entropy-coded data untouched.

This is how lossless JPEG optimization works here: libvips cannot rewrite Huffman tables without
decoding (no jpegtran), so "lossless" for a JPEG means removing metadata segments only. The pixels a
decoder produces are the same, bit for bit, because every table, frame and scan byte is kept.

Every walk is bounded whatever the bytes: at most MAX_SEGMENTS markers are visited (a 25 MB upload
of 4-byte comments would otherwise be 6.5 million), and runs of fill bytes and entropy-coded data
are skipped by regular expressions in C, never byte by byte in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pixpress.errors import InvalidImage

SOI = b"\xff\xd8"
EOI = b"\xff\xd9"
SOS = 0xDA
# Real files have a few dozen segments (a 25 MB extended XMP is 400 APP1 segments, an ICC profile at
# most 255 APP2, a progressive scan script a few dozen SOS/DHT): this is far above any of them.
MAX_SEGMENTS = 4096
# The tables and frame header libjpeg needs are a few KB; only these reach libvips at submit.
MAX_TABLE_BYTES = 1024 * 1024
# Markers without a length field (RSTn, SOI, EOI, TEM).
_STANDALONE = {0x01, *range(0xD0, 0xD8), 0xD8, 0xD9}
# Any number of 0xFF fill bytes, then the marker code.
_MARKER = re.compile(rb"\xff+([^\xff])")
# libjpeg's next_marker: bytes that are not a marker are skipped up to one (with a warning, "extraneous
# bytes before marker"); 0xFF 0x00 is not a marker. Browsers show such files (a segment length off by
# a few bytes, junk between segments).
# Found at its last fill byte (a search for "fill bytes, then a code" would be quadratic on a run of
# 0xFF bytes).
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xff]")
# In entropy-coded data 0xFF is followed by 0x00 (stuffing) or RSTn; any other byte starts a marker.
_MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})

APP0 = 0xE0  # JFIF
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

    @property
    def is_metadata(self) -> bool:
        return 0xE0 <= self.marker <= 0xEF or self.marker == COM


@dataclass(frozen=True)
class JpegHeader:
    """Everything before the entropy-coded data: what the submit-time check reads."""

    segments: tuple[Segment, ...]  # every marker segment before the first SOS
    sos: Segment  # the first SOS
    width: int
    height: int


@dataclass(frozen=True)
class JpegLayout:
    header_segments: tuple[Segment, ...]  # every marker segment before the first SOS
    scan_start: int  # offset of the first SOS marker
    scan_segments: tuple[Segment, ...]  # SOS and every segment between scans (DHT, APPn, COM...)
    eoi_end: int  # offset just after the EOI marker of the primary image
    width: int
    height: int
    length: int  # of the whole file; bytes past eoi_end are gain maps, MPF images or padding


def parse_header(data: bytes) -> JpegHeader:
    """Walk the markers up to the first SOS. Raises InvalidImage when truncated, corrupt or made of
    more than MAX_SEGMENTS markers."""
    if not data.startswith(SOI):
        raise InvalidImage("Not a JPEG stream.")
    pos = 2
    segments: list[Segment] = []
    width = height = 0
    n = len(data)
    for _ in range(MAX_SEGMENTS):
        if pos + 4 > n:
            raise InvalidImage("The JPEG file is truncated (no image data).")
        found = _MARKER.match(data, pos) if data[pos] == 0xFF else None
        if found is not None and found.group(1) != b"\x00":
            start = found.start(1) - 1  # the last fill byte is the marker's own 0xFF
        else:
            skipped = _NEXT_MARKER.search(data, pos)  # junk before the next marker, as libjpeg skips it
            if skipped is None:
                raise InvalidImage("The JPEG file is truncated (no image data).")
            start = skipped.start()
        marker = data[start + 1]
        if marker in _STANDALONE:
            pos = start + 2
            continue
        segment = _segment(data, start, marker)
        if marker in SOF_MARKERS and segment.end - start >= 10:
            height = int.from_bytes(data[start + 5 : start + 7], "big")
            width = int.from_bytes(data[start + 7 : start + 9], "big")
        if marker == SOS:
            return JpegHeader(tuple(segments), segment, width, height)
        segments.append(segment)
        pos = segment.end
    raise _too_many()


def parse(data: bytes) -> JpegLayout:
    """The header and the scans of a baseline or progressive JPEG, up to its EOI. Raises InvalidImage
    when truncated or corrupt. The scan data is searched in C; markers still count to MAX_SEGMENTS."""
    header = parse_header(data)
    scan_segments, eoi_end = _walk_scans(data, header.sos, budget=MAX_SEGMENTS - len(header.segments))
    return JpegLayout(
        header.segments, header.sos.start, scan_segments, eoi_end, header.width, header.height, len(data)
    )


def header_only(data: bytes, header: JpegHeader) -> bytes:
    """A stream libjpeg can read the header of, without the metadata it would copy: the tables, the
    frame, JFIF/Adobe (they change the colour interpretation), the first EXIF (the orientation), the
    first SOS and EOI. libvips saves every APPn/COM segment it reads, so a 25 MB upload of XMP or ICC
    chunks would cost 25 MB twice over if it read the upload itself."""
    kept = [SOI]
    table_bytes = 0
    exif_seen = False
    for segment in header.segments:
        if segment.is_metadata:
            first_exif = not exif_seen and is_exif(segment, data)
            exif_seen = exif_seen or first_exif
            if not (first_exif or segment.marker in (APP0, APP14)):
                continue
        else:
            table_bytes += segment.end - segment.start
            if table_bytes > MAX_TABLE_BYTES:
                raise InvalidImage("The JPEG file is corrupt (oversized tables).")
        kept.append(data[segment.start : segment.end])
    kept.append(data[header.sos.start : header.sos.end])
    kept.append(EOI)
    return b"".join(kept)


def _walk_scans(data: bytes, sos: Segment, *, budget: int) -> tuple[tuple[Segment, ...], int]:
    """The segments from the first SOS to EOI (scan headers, tables and metadata between progressive
    scans) and the offset after EOI."""
    segments = [sos]
    pos = sos.end
    for _ in range(budget):
        found = _MARKER_IN_SCAN.search(data, pos)
        if found is None:
            raise InvalidImage("The JPEG file is truncated (no end-of-image marker).")
        start = found.start()
        marker = data[start + 1]
        if marker == 0xD9:
            return tuple(segments), start + 2
        if marker in _STANDALONE:
            pos = start + 2
            continue
        segment = _segment(data, start, marker)
        segments.append(segment)
        pos = segment.end
    raise _too_many()


def _segment(data: bytes, start: int, marker: int) -> Segment:
    if start + 4 > len(data):
        raise InvalidImage("The JPEG file is truncated.")
    length = int.from_bytes(data[start + 2 : start + 4], "big")
    if length < 2 and (0xE0 <= marker <= 0xEF or marker == COM):
        length = 2  # libjpeg skips nothing of a metadata segment whose length is too short
    end = start + 2 + length
    if length < 2 or end > len(data):
        raise InvalidImage("The JPEG file is truncated.")
    return Segment(marker, start, end)


def _too_many() -> InvalidImage:
    return InvalidImage(f"The JPEG file is corrupt (too many segments: more than {MAX_SEGMENTS}).")


def is_icc(segment: Segment, data: bytes) -> bool:
    return segment.marker == APP2 and segment.payload(data).startswith(b"ICC_PROFILE\x00")


def is_exif(segment: Segment, data: bytes) -> bool:
    return segment.marker == APP1 and segment.payload(data).startswith(b"Exif\x00")


def strip_metadata(data: bytes, *, keep_icc: bool, orientation: int = 1, keep_other: bool = False) -> bytes:
    """The same JPEG without metadata segments (EXIF, XMP, IPTC, comments, MPF, data after EOI),
    wherever they sit: before the frame or between the scans of a progressive JPEG.

    Kept always: JFIF (APP0) and Adobe (APP14), which change how pixels decode, and the ICC profile when
    `keep_icc`; every other metadata segment and what follows EOI too when `keep_other`. When
    `orientation` is not 1 a minimal EXIF segment holding only that tag is written, since the pixels are
    not rotated in this path (and GPS or camera data must not survive).
    Every other segment (DQT, SOF, DHT, DRI, SOS...) keeps its order, and the entropy-coded data is
    copied unchanged.
    """
    layout = parse(data)
    kept: list[bytes] = [SOI]
    exif = orientation_exif(orientation) if orientation != 1 else b""
    for segment in layout.header_segments:
        if exif and segment.marker != APP0:
            kept.append(exif)  # right after SOI, or after JFIF when there is one
            exif = b""
        if _kept(segment, data, keep_icc=keep_icc, keep_other=keep_other):
            kept.append(data[segment.start : segment.end])
    kept.append(exif)
    pos = layout.scan_start
    for segment in layout.scan_segments:
        if not _kept(segment, data, keep_icc=keep_icc, keep_other=keep_other):
            kept.append(data[pos : segment.start])
            pos = segment.end
    kept.append(data[pos : layout.eoi_end] if not keep_other else data[pos:])  # keep_other: MPF images too
    return b"".join(kept)


def _kept(segment: Segment, data: bytes, *, keep_icc: bool, keep_other: bool) -> bool:
    if not segment.is_metadata or segment.marker in (APP0, APP14):
        return True
    if is_icc(segment, data):
        return keep_icc
    return keep_other


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
