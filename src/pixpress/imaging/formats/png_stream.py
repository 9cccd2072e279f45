"""Are a PNG's pixels all there? The image data chunks after the header, read and inflated without
decoding a pixel, to tell a file whose trailer is missing or damaged (every row present: a browser
shows it) from one that really stops early ("stops at row 212 of 512").

Asked at submit only when the file has no IEND chunk, and there bounded: at most MAX_SUBMIT_CHUNKS
chunks are walked and at most MAX_SUBMIT_INFLATE_BYTES inflated (about 15 ms; zlib in C, the output
thrown away piece by piece). A bigger image without IEND is judged by its chunks alone: whole chunks
to the end of the file (a writer that forgot IEND) pass and the worker decides; a last chunk cut short
is refused. The worker asks without bounds, after a strict decode failed.

For an APNG the last frame's data (the last run of fdAT chunks) is the one that can be cut short.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

from pixpress.imaging.formats.png_chunks import PngHeader

MAX_SUBMIT_CHUNKS = 10_000  # libpng writes 8 KB chunks: 80 MB of image data
MAX_SUBMIT_INFLATE_BYTES = 8 * 1024 * 1024  # 2 MP of RGBA
_PIECE = 256 * 1024  # inflated at a time, then dropped
_FEED = 64 * 1024  # compressed bytes given to zlib at a time
_DAMAGE_SLICE = 64  # compressed bytes at a time around damage (at most _FEED / 64 calls, once)
_LAST_FILTER = 4  # PNG row filters: none, sub, up, average, Paeth
# Adam7: (x start, y start, x step, y step) of each pass.
_PASSES = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


@dataclass(frozen=True)
class ImageData:
    """What the image data chunks hold. `complete` None: not inflated (over the budget)."""

    complete: bool | None
    rows: int  # rows of the last image present (non-interlaced; the height when complete)
    height: int  # of the last image (the last APNG frame)
    whole_chunks: bool  # the file ends after a whole chunk, not in the middle of one

    def describe(self) -> str:
        if self.complete is None or self.rows >= self.height:
            return "The PNG file is truncated (no IEND chunk)."
        return f"The PNG's image data stops at row {self.rows} of {self.height}."


def read(data: bytes, header: PngHeader, *, max_chunks: int | None, max_inflate: int | None) -> ImageData:
    """Walk the chunks from the first IDAT and inflate the last image's data (see the module doc)."""
    n = len(data)
    view = memoryview(data)
    pos = header.image_data
    run: list[memoryview] = []  # the compressed data of the current image
    run_kind = b""
    width, height = header.width, header.height
    whole = True
    count = 0
    while pos + 8 <= n:
        count += 1
        if max_chunks is not None and count > max_chunks:
            return ImageData(None, 0, height, whole_chunks=False)
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 8 + length
        if kind == b"IEND":
            break
        if kind == b"fcTL" and end <= n and length >= 12:
            width, height = struct.unpack(">II", data[pos + 12 : pos + 20])
            run, run_kind = [], b""
        elif kind in (b"IDAT", b"fdAT"):
            if kind != run_kind:
                run, run_kind = [], kind
            skip = 12 if kind == b"fdAT" else 8  # fdAT starts with a sequence number
            run.append(view[pos + skip : min(end, n)])
        if end + 4 > n:
            whole = end + 4 == n
            break
        pos = end + 4
    else:
        whole = pos == n
    expected = _raw_bytes(header, width, height)
    if max_inflate is not None and expected > max_inflate:
        return ImageData(None, 0, height, whole_chunks=whole)
    stride = None if header.interlaced else header.row_bytes(width) + 1
    inflated = _inflate(run, limit=expected, row_stride=stride)
    rows = height if inflated >= expected else _rows(header, width, inflated)
    return ImageData(inflated >= expected, rows, height, whole_chunks=whole)


def _raw_bytes(header: PngHeader, width: int, height: int) -> int:
    """Bytes of filtered rows (a filter byte each) the image needs, every Adam7 pass when interlaced."""
    if not header.interlaced:
        return height * (header.row_bytes(width) + 1)
    total = 0
    for x0, y0, dx, dy in _PASSES:
        pass_width = (width - x0 + dx - 1) // dx
        pass_height = (height - y0 + dy - 1) // dy
        if pass_width and pass_height:
            total += pass_height * (header.row_bytes(pass_width) + 1)
    return total


def _rows(header: PngHeader, width: int, inflated: int) -> int:
    """Rows present (an interlaced image shows no whole row before its last pass: 0)."""
    return 0 if header.interlaced else inflated // (header.row_bytes(width) + 1)


def _inflate(pieces: list[memoryview], *, limit: int, row_stride: int | None = None) -> int:
    """Bytes the zlib stream inflates to, up to `limit` + 1 (a bomb stops there); corrupt data stops it,
    after the bytes inflated before the damage. Its Adler-32 is not checked: Chromium does not either
    (a PNG whose checksum alone is wrong shows whole), so the stream is inflated raw, after its header.
    With `row_stride` (a filtered row's bytes, filter byte included) a row whose filter byte is not a
    filter (garbage after a hole in the stream) stops it too, at that row, as libpng stops there."""
    stream = zlib.decompressobj(-zlib.MAX_WBITS)
    rows = _Rows(limit, row_stride)
    skip = 2  # the zlib header
    for chunk in pieces:
        if skip:
            chunk, skip = chunk[skip:], max(0, skip - len(chunk))
        # Fed in slices: zlib copies the unconsumed input on each call (a whole 25 MB chunk, each time).
        for start in range(0, len(chunk), _FEED):
            before = stream.copy()
            try:
                rows.feed(stream, chunk[start : start + _FEED])
            except zlib.error:
                # The piece that met the damage lost its output: fed again in small slices, to count
                # the rows before the damage as a decoder that goes row by row shows them.
                return rows.count_to_damage(before, chunk[start : start + _FEED])
            if rows.stopped or stream.eof:
                return rows.total
    return rows.total


class _Rows:
    """Inflated bytes so far, stopping past `limit` or at a row with a bad filter byte."""

    def __init__(self, limit: int, row_stride: int | None) -> None:
        self.total = 0
        self.limit = limit
        self.row_stride = row_stride
        self.bad_filter = False

    @property
    def stopped(self) -> bool:
        return self.total > self.limit or self.bad_filter

    def feed(self, stream: Any, data: bytes | memoryview) -> None:
        pending: bytes | memoryview = data
        while pending and not self.stopped:
            self._add(stream.decompress(pending, _PIECE))
            pending = stream.unconsumed_tail

    def _add(self, out: bytes) -> None:
        if self.row_stride is not None:
            first = -self.total % self.row_stride  # the next filter byte's offset in `out`
            filters = out[first :: self.row_stride]
            if filters and max(filters) > _LAST_FILTER:
                bad = next(i for i, value in enumerate(filters) if value > _LAST_FILTER)
                self.total += first + bad * self.row_stride
                self.bad_filter = True
                return
        self.total += len(out)

    def count_to_damage(self, stream: Any, data: bytes | memoryview) -> int:
        for start in range(0, len(data), _DAMAGE_SLICE):
            try:
                self.feed(stream, data[start : start + _DAMAGE_SLICE])
            except zlib.error:
                return self.total
            if self.stopped or stream.eof:
                break
        return self.total
