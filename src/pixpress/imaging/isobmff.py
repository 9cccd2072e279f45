"""ISO-BMFF box structure of an AVIF, read without decoding: the top-level boxes must tile the file,
and an image sequence (brand avis: a `moov` with tracks) says how many frames its colour track has.

Bounded whatever the bytes: at most MAX_TOP_LEVEL_BOXES top-level boxes and MAX_NESTED_BOXES boxes
inside `moov` are visited; a file with more is refused (real sequences have a few dozen). The sample
count comes from the colour track's `stsz` box (one sample per frame), its size from `tkhd`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pixpress.errors import InvalidImage

# An AVIF has ftyp, meta and mdat at the top, sometimes free or moov; libheif limits what is nested.
MAX_TOP_LEVEL_BOXES = 256
MAX_NESTED_BOXES = 1024
# Boxes on the way from moov to a track's sample sizes.
_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl"})
MAX_DEPTH = len(_CONTAINERS)  # moov/trak/mdia/minf/stbl
_COLOUR_HANDLERS = frozenset({b"pict", b"vide"})  # an alpha track is `auxv`


@dataclass(frozen=True)
class Sequence:
    """The colour track of an image sequence (frames 0: a still image)."""

    frames: int = 0
    width: int = 0
    height: int = 0


def check(data: bytes) -> Sequence:
    """Raise InvalidImage when the top-level boxes are truncated or corrupt or there is no meta box;
    return the image sequence's frames when there is one."""
    boxes = _top_level(data)
    if b"meta" not in boxes:
        raise InvalidImage("The AVIF file is corrupt (no meta box).")
    if b"moov" not in boxes:
        return Sequence()
    start, end = boxes[b"moov"]
    return _sequence(data, start, end)


def _top_level(data: bytes) -> dict[bytes, tuple[int, int]]:
    """(payload start, end) of the first box of each type; junk too short to be a box after the last one
    is tolerated, as decoders do."""
    pos = 0
    n = len(data)
    seen: dict[bytes, tuple[int, int]] = {}
    for _ in range(MAX_TOP_LEVEL_BOXES):
        if pos >= n:
            return seen
        header = _box(data, pos, n)
        if header is None:
            if seen and b"mdat" in seen:
                return seen  # bytes after the last box that are not a box
            raise InvalidImage("The AVIF file is truncated.")
        kind, start, end = header
        seen.setdefault(kind, (start, end))
        pos = end
    if pos < n:
        raise InvalidImage(f"The AVIF file is corrupt (more than {MAX_TOP_LEVEL_BOXES} boxes).")
    return seen


def _box(data: bytes, pos: int, end: int) -> tuple[bytes, int, int] | None:
    """(type, payload start, box end) of the box at `pos`, None when it does not fit before `end`."""
    if pos + 8 > end:
        return None
    size, kind = struct.unpack(">I4s", data[pos : pos + 8])
    start = pos + 8
    if size == 1:
        if pos + 16 > end:
            return None
        size = int.from_bytes(data[pos + 8 : pos + 16], "big")
        start = pos + 16
    elif size == 0:
        size = end - pos
    if size < start - pos or pos + size > end:
        return None
    return kind, start, pos + size


def _sequence(data: bytes, start: int, end: int) -> Sequence:
    """The first colour track's frames and size, by a walk of moov bounded to MAX_NESTED_BOXES boxes."""
    budget = [MAX_NESTED_BOXES]
    tracks: list[dict[bytes, tuple[int, int]]] = []
    _walk(data, start, end, budget, tracks, None, depth=0)
    for track in tracks:
        if b"hdlr" in track and data[track[b"hdlr"][0] + 8 : track[b"hdlr"][0] + 12] in _COLOUR_HANDLERS:
            return Sequence(_sample_count(data, track), *_track_size(data, track))
    raise InvalidImage("The AVIF image sequence is corrupt (no colour track).")


def _walk(
    data: bytes,
    pos: int,
    end: int,
    budget: list[int],
    tracks: list[dict[bytes, tuple[int, int]]],
    track: dict[bytes, tuple[int, int]] | None,
    *,
    depth: int,
) -> None:
    if depth > MAX_DEPTH:
        raise InvalidImage("The AVIF image sequence is corrupt (boxes nested too deep).")
    while pos < end:
        budget[0] -= 1
        if budget[0] < 0:
            raise InvalidImage(f"The AVIF file is corrupt (more than {MAX_NESTED_BOXES} boxes in moov).")
        header = _box(data, pos, end)
        if header is None:
            raise InvalidImage("The AVIF image sequence is corrupt (bad box).")
        kind, start, box_end = header
        if kind == b"trak":
            track = {}
            tracks.append(track)
        if track is not None:
            track.setdefault(kind, (start, box_end))
        if kind in _CONTAINERS:
            _walk(data, start, box_end, budget, tracks, track, depth=depth + 1)
        pos = box_end


def _sample_count(data: bytes, track: dict[bytes, tuple[int, int]]) -> int:
    """stsz: version/flags, a sample size, then the sample count."""
    if b"stsz" not in track:
        raise InvalidImage("The AVIF image sequence is corrupt (no sample table).")
    start, end = track[b"stsz"]
    if end - start < 12:
        raise InvalidImage("The AVIF image sequence is corrupt (bad sample table).")
    return int.from_bytes(data[start + 8 : start + 12], "big")


def _track_size(data: bytes, track: dict[bytes, tuple[int, int]]) -> tuple[int, int]:
    """tkhd ends with width and height in 16.16 fixed point."""
    if b"tkhd" not in track:
        return 0, 0
    start, end = track[b"tkhd"]
    if end - start < 84:
        return 0, 0
    width, height = struct.unpack(">II", data[end - 8 : end])
    return int(width) >> 16, int(height) >> 16
