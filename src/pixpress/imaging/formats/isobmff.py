"""ISO-BMFF box structure of an AVIF or a HEIC, read without decoding: the top-level boxes must tile
the file, an image sequence (brand avis: a `moov` with tracks) says how many frames its colour track
has, and the `meta` box says what its items are coded with (av01: AVIF, hvc1: HEIC; a file whose only
brand is the generic mif1 is told apart by them) and how large its images are (`ispe`).

Bounded whatever the bytes: at most MAX_TOP_LEVEL_BOXES top-level boxes, MAX_NESTED_BOXES boxes
inside `moov` and MAX_META_BOXES inside `meta` are visited; a file with more is refused (real sequences
have a few dozen, an iPhone HEIC about 60 items: a 48-tile grid, a thumbnail, EXIF, auxiliary images).
The sample count comes from the colour track's `stsz` box (one sample per frame), its size from `tkhd`.
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
# Boxes visited inside meta, all levels together (iinf's item entries, iprp/ipco's properties).
MAX_META_BOXES = 4096
_META_CONTAINERS = frozenset({b"iinf", b"iprp", b"ipco"})
_FULL_BOXES = frozenset({b"meta", b"iinf"})  # version and flags before the children (iinf: a count too)


@dataclass(frozen=True)
class Sequence:
    """The colour track of an image sequence (frames 0: a still image)."""

    frames: int = 0
    width: int = 0
    height: int = 0


@dataclass(frozen=True)
class Items:
    """What a meta box holds: the coding of its items, and the largest image size it declares (the
    primary image's, or a bound on it: tiles, thumbnails and depth maps are smaller)."""

    types: frozenset[bytes] = frozenset()
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


def items(data: bytes, *, name: str = "HEIF") -> Items:
    """The item types and image size of the meta box. Raises InvalidImage (saying `name` file) when
    the top-level boxes do not tile the file, there is no meta box or it holds more than
    MAX_META_BOXES boxes."""
    boxes = _top_level(data, name=name)
    if b"meta" not in boxes:
        raise InvalidImage(f"The {name} file is corrupt (no meta box).")
    start, end = boxes[b"meta"]
    found = _MetaWalk(data, name)
    found.walk(b"meta", start, end, depth=0)
    return Items(frozenset(found.types), found.width, found.height)


class _MetaWalk:
    def __init__(self, data: bytes, name: str) -> None:
        self.data = data
        self.name = name
        self.budget = MAX_META_BOXES
        self.types: set[bytes] = set()
        self.width = self.height = 0

    def walk(self, kind: bytes, start: int, end: int, *, depth: int) -> None:
        if kind in _FULL_BOXES:
            start += 4  # version, flags
        if kind == b"iinf":
            start += 2 if self.data[start - 4] == 0 else 4  # the entry count (version 0: 16 bits)
        pos = start
        while pos < end:
            self.budget -= 1
            if self.budget < 0:
                raise InvalidImage(
                    f"The {self.name} file is corrupt (more than {MAX_META_BOXES} boxes in meta)."
                )
            header = _box(self.data, pos, end)
            if header is None:
                raise InvalidImage(f"The {self.name} file is corrupt (bad box in meta).")
            child, child_start, child_end = header
            if child == b"infe":
                self._item(child_start, child_end)
            elif child == b"ispe" and child_end - child_start >= 12:
                width, height = struct.unpack(">II", self.data[child_start + 4 : child_start + 12])
                self.width, self.height = max(self.width, width), max(self.height, height)
            elif child in _META_CONTAINERS and depth < 2:
                self.walk(child, child_start, child_end, depth=depth + 1)
            pos = child_end

    def _item(self, start: int, end: int) -> None:
        """infe version 2 or 3: item ID (16 or 32 bits), protection index, then the item type."""
        version = self.data[start] if start < end else 0
        at = start + 4 + (2 if version == 2 else 4) + 2
        if version >= 2 and at + 4 <= end:
            self.types.add(self.data[at : at + 4])


def _top_level(data: bytes, *, name: str = "AVIF") -> dict[bytes, tuple[int, int]]:
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
            raise InvalidImage(f"The {name} file is truncated.")
        kind, start, end = header
        seen.setdefault(kind, (start, end))
        pos = end
    if pos < n:
        raise InvalidImage(f"The {name} file is corrupt (more than {MAX_TOP_LEVEL_BOXES} boxes).")
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
