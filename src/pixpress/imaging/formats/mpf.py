"""The Multi-Picture Format index (CIPA DC-007) of a JPEG: where the images after the primary one are,
read and written without decoding. Gain-map JPEGs (Ultra HDR, Adobe, ISO 21496-1, Apple) store the
gain map as the second picture of this index.

The index is an APP2 segment "MPF\\0" holding a small TIFF structure: one IFD whose MPEntry tag lists,
per image, its attributes, size and offset. Offsets count from the TIFF header (the byte after
"MPF\\0"); the primary image's is 0. Reading is bounded: at most MAX_IMAGES entries are looked at, and
an entry pointing outside the file is ignored.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pixpress.imaging.formats import jpeg_segments
from pixpress.imaging.formats.jpeg_segments import APP2, SOI, Segment

MAGIC = b"MPF\x00"
MAX_IMAGES = 16  # cameras write 2-4 (primary, gain map or depth map, preview)
_MP_ENTRY = 0xB002
_PRIMARY_ATTRIBUTE = 0x20030000  # representative image, baseline MP primary image
_GAIN_MAP_ATTRIBUTE = 0x00000000  # what Ultra HDR, Adobe and Apple writers put on the gain map
# The segment written here: marker, length, magic, TIFF header, IFD of 3 entries, two MP entries.
SEGMENT_BYTES = 2 + 2 + len(MAGIC) + 8 + 2 + 3 * 12 + 4 + 2 * 16


@dataclass(frozen=True)
class Picture:
    """One image of the index after the primary: where its bytes are in the file."""

    start: int
    end: int


def is_mpf(segment: Segment, data: bytes) -> bool:
    return segment.marker == APP2 and segment.payload(data).startswith(MAGIC)


def pictures(data: bytes, segment: Segment) -> list[Picture]:
    """The images after the primary one that the MPF `segment` of `data` points to and that start with
    SOI inside the file (empty when the index is unreadable)."""
    tiff_start = segment.start + 4 + len(MAGIC)
    tiff = data[tiff_start : segment.end]
    if tiff[:4] == b"MM\x00*":
        order = ">"
    elif tiff[:4] == b"II*\x00":
        order = "<"
    else:
        return []
    try:
        (ifd,) = struct.unpack_from(order + "I", tiff, 4)
        (count,) = struct.unpack_from(order + "H", tiff, ifd)
        for i in range(min(count, 32)):
            tag, _type, length, value = struct.unpack_from(order + "HHII", tiff, ifd + 2 + 12 * i)
            if tag == _MP_ENTRY:
                return _entries(data, tiff, order, tiff_start, offset=value, images=length // 16)
    except struct.error:
        return []
    return []


def _entries(
    data: bytes, tiff: bytes, order: str, tiff_start: int, *, offset: int, images: int
) -> list[Picture]:
    found = []
    for i in range(1, min(images, MAX_IMAGES)):
        _attribute, size, start = struct.unpack_from(order + "III", tiff, offset + 16 * i)
        absolute = tiff_start + start
        if start and size and absolute + size <= len(data) and data.startswith(SOI, absolute):
            found.append(Picture(absolute, absolute + size))
    return found


def segment(*, primary_bytes: int, second_bytes: int, segment_start: int) -> bytes:
    """An MPF APP2 segment (big-endian) for a primary image of `primary_bytes` (this segment included)
    followed directly by one more image of `second_bytes`; `segment_start` is where the segment sits in
    the primary image."""
    tiff_start = segment_start + 4 + len(MAGIC)
    entries_offset = 8 + 2 + 3 * 12 + 4
    ifd = struct.pack(
        ">H" + "HHI4s" + "HHII" + "HHII" + "I",
        3,
        0xB000, 7, 4, b"0100",  # MPFVersion
        0xB001, 4, 1, 2,  # NumberOfImages
        _MP_ENTRY, 7, 32, entries_offset,
        0,  # no next IFD
    )  # fmt: skip
    entries = struct.pack(">IIIHH", _PRIMARY_ATTRIBUTE, primary_bytes, 0, 0, 0) + struct.pack(
        ">IIIHH", _GAIN_MAP_ATTRIBUTE, second_bytes, primary_bytes - tiff_start, 0, 0
    )
    payload = MAGIC + b"MM\x00*" + struct.pack(">I", 8) + ifd + entries
    written = b"\xff\xe2" + struct.pack(">H", len(payload) + 2) + payload
    assert len(written) == SEGMENT_BYTES
    return written


def join(primary: bytes, extra_segments: list[bytes], second: bytes) -> bytes:
    """`primary` (a whole JPEG without an MPF index) with `extra_segments` and an MPF index inserted in
    its header, then `second` appended: a two-picture MPF file."""
    header = jpeg_segments.parse_header(primary)
    insert_at = len(SOI)
    for found in header.segments:  # after JFIF/EXIF, which readers expect first
        if found.marker not in (jpeg_segments.APP0, jpeg_segments.APP1) or found.start != insert_at:
            break
        if found.marker == jpeg_segments.APP1 and not jpeg_segments.is_exif(found, primary):
            break
        insert_at = found.end
    before = primary[:insert_at] + b"".join(extra_segments)
    after = primary[insert_at:]
    total = len(before) + SEGMENT_BYTES + len(after)
    index = segment(primary_bytes=total, second_bytes=len(second), segment_start=len(before))
    return before + index + after + second
