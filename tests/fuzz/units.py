"""The containers' units (PNG chunks, JPEG segments, GIF blocks, RIFF chunks, ISO-BMFF boxes) found by
forgiving walkers, so mutations can duplicate a unit or corrupt its length field.

These walkers are deliberately not pixpress's own parsers (imaging/formats/structure.py, jpeg_segments.py):
they never raise, they stop at the first thing that does not make sense, and they must keep working
on bytes that earlier mutations have already damaged.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    start: int
    end: int  # exclusive, clamped to the data
    length_at: int  # offset of the length field
    length_size: int  # bytes: 1, 2 or 4
    big_endian: bool = True


def units(data: bytes) -> list[Unit]:
    """Every unit the matching walker finds ([] for bytes no walker recognises)."""
    if data.startswith(b"\x89PNG"):
        return _png(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg(data)
    if data.startswith(b"GIF8"):
        return _gif(data)
    if data.startswith(b"RIFF"):
        return _riff(data)
    if data[4:8] == b"ftyp":
        return _boxes(data, 0, len(data), depth=0)
    return []


def _png(data: bytes) -> list[Unit]:
    found: list[Unit] = []
    pos, n = 8, len(data)
    while pos + 12 <= n and len(found) < 256:
        length = int.from_bytes(data[pos : pos + 4], "big")
        end = min(n, pos + 12 + length)
        found.append(Unit(pos, end, pos, 4))
        pos = end
    return found


def _jpeg(data: bytes) -> list[Unit]:
    """Marker segments up to the first scan, and the SOS/DHT/DQT segments between later scans."""
    found: list[Unit] = []
    pos, n = 2, len(data)
    while pos + 4 <= n and len(found) < 256:
        if data[pos] != 0xFF:
            nxt = data.find(b"\xff", pos + 1)  # entropy-coded data: the next marker candidate
            while nxt != -1 and nxt + 1 < n and data[nxt + 1] in (0x00, 0xFF, *range(0xD0, 0xD8)):
                nxt = data.find(b"\xff", nxt + 2)
            if nxt == -1:
                break
            pos = nxt
            continue
        marker = data[pos + 1]
        if marker in (0xD8, 0xD9, 0x01, 0xFF, *range(0xD0, 0xD8)):
            pos += 2 if marker != 0xFF else 1
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        end = min(n, pos + 2 + max(length, 2))
        found.append(Unit(pos, end, pos + 2, 2))
        pos = end
    return found


def _gif(data: bytes) -> list[Unit]:
    """Extension and image blocks; each data sub-block is a unit of its own (1-byte length)."""
    n = len(data)
    if n < 13:
        return []
    pos = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    found: list[Unit] = []
    while pos < n and len(found) < 512:
        kind = data[pos]
        if kind == 0x21:
            pos += 2
        elif kind == 0x2C:
            if pos + 10 > n:
                break
            flags = data[pos + 9]
            pos += 10 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0) + 1  # + LZW minimum code size
        else:
            break
        while pos < n and data[pos] != 0 and len(found) < 512:  # sub-blocks up to the terminator
            end = min(n, pos + 1 + data[pos])
            found.append(Unit(pos, end, pos, 1))
            pos = end
        pos += 1
    return found


def _riff(data: bytes) -> list[Unit]:
    found = [Unit(0, len(data), 4, 4, big_endian=False)]
    pos, n = 12, len(data)
    while pos + 8 <= n and len(found) < 256:
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        end = min(n, pos + 8 + size + (size & 1))
        found.append(Unit(pos, end, pos + 4, 4, big_endian=False))
        if data[pos : pos + 4] == b"ANMF" and pos + 24 <= end:  # frames hold chunks of their own
            found.extend(_riff_inner(data, pos + 24, end))
        pos = end
    return found


def _riff_inner(data: bytes, pos: int, stop: int) -> list[Unit]:
    found: list[Unit] = []
    while pos + 8 <= stop and len(found) < 64:
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        end = min(stop, pos + 8 + size + (size & 1))
        found.append(Unit(pos, end, pos + 4, 4, big_endian=False))
        pos = end
    return found


# Boxes that hold boxes (after a 4-byte version/flags header for the "full" ones).
_CONTAINERS = {b"meta": 4, b"iprp": 0, b"ipco": 0, b"dinf": 0, b"iinf": 6, b"moov": 0, b"trak": 0}


def _boxes(data: bytes, pos: int, stop: int, *, depth: int) -> list[Unit]:
    found: list[Unit] = []
    while pos + 8 <= stop and len(found) < 256:
        size = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if size < 8:
            break
        end = min(stop, pos + size)
        found.append(Unit(pos, end, pos, 4))
        skip = _CONTAINERS.get(kind)
        if skip is not None and depth < 4:
            found.extend(_boxes(data, pos + 8 + skip, end, depth=depth + 1))
        pos = end
    return found
