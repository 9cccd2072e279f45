"""The tables a JPEG's first scan needs, checked at submit from the segments before it: libjpeg stops
with "Quantization table 0x01 was not defined" (or a Huffman table, in a progressive JPEG) only once
the worker decodes, so a file missing one is refused here instead.

Baseline JPEGs may leave out their Huffman tables (motion-JPEG frames do): libjpeg uses the standard
ones, so only progressive Huffman scans are checked for them. Arithmetic-coded JPEGs have none.
"""

from __future__ import annotations

from pixpress.errors import InvalidImage
from pixpress.imaging.formats.jpeg_segments import SOF_MARKERS, JpegHeader

DQT = 0xDB
DHT = 0xC4
PROGRESSIVE_HUFFMAN = frozenset({0xC2, 0xC6})


def check_first_scan(data: bytes, header: JpegHeader) -> None:
    """Raise InvalidImage when a table the first scan uses is not defined before it."""
    quant: set[int] = set()
    huffman: set[tuple[int, int]] = set()  # (class: 0 DC / 1 AC, id)
    component_tables: dict[int, int] = {}
    frame_marker = 0
    for segment in header.segments:
        payload = segment.payload(data)
        if segment.marker == DQT:
            quant |= _quant_ids(payload)
        elif segment.marker == DHT:
            huffman |= _huffman_ids(payload)
        elif segment.marker in SOF_MARKERS:
            frame_marker = segment.marker
            count = payload[5] if len(payload) > 5 else 0
            for i in range(count):
                entry = payload[6 + 3 * i : 9 + 3 * i]
                if len(entry) == 3:
                    component_tables[entry[0]] = entry[2]
    scan = header.sos.payload(data)
    count = scan[0] if scan else 0
    spectral_start = scan[1 + 2 * count] if len(scan) > 1 + 2 * count else 0
    for i in range(count):
        entry = scan[1 + 2 * i : 3 + 2 * i]
        if len(entry) < 2:
            break
        table = component_tables.get(entry[0])
        if table is not None and table not in quant:
            raise InvalidImage(f"The JPEG file is corrupt (quantization table {table} is missing).")
        if frame_marker in PROGRESSIVE_HUFFMAN:
            needed = (0, entry[1] >> 4) if spectral_start == 0 else (1, entry[1] & 15)
            if not (spectral_start == 0 and scan_refines(scan, count)) and needed not in huffman:
                raise InvalidImage("The JPEG file is corrupt (a Huffman table is missing).")


def scan_refines(scan: bytes, count: int) -> bool:
    """A DC refinement scan (Ah > 0) reads raw bits: it needs no Huffman table."""
    index = 3 + 2 * count
    return len(scan) > index and scan[index] >> 4 > 0


def _quant_ids(payload: bytes) -> set[int]:
    ids: set[int] = set()
    pos = 0
    while pos < len(payload):
        precision, table = payload[pos] >> 4, payload[pos] & 15
        ids.add(table)
        pos += 1 + (128 if precision else 64)
    return ids


def _huffman_ids(payload: bytes) -> set[tuple[int, int]]:
    ids: set[tuple[int, int]] = set()
    pos = 0
    while pos + 17 <= len(payload):
        ids.add((payload[pos] >> 4, payload[pos] & 15))
        pos += 17 + sum(payload[pos + 1 : pos + 17])
    return ids
