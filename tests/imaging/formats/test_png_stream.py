"""png_stream counts the rows a browser shows: up to damage in the stream, whatever its checksum says."""

from __future__ import annotations

import zlib

from pixpress.imaging.formats import png_chunks, png_stream
from tests.imaging.oracle import damaged_corpus


def _read(name: str) -> png_stream.ImageData:
    data = damaged_corpus.generate()[name]
    return png_stream.read(data, png_chunks.parse_header(data), max_chunks=None, max_inflate=None)


def test_a_wrong_adler32_alone_loses_no_row() -> None:
    """Chromium shows such a file whole (it does not check the zlib stream's checksum)."""
    assert _read("png_rgb/adler_damaged").complete


def test_a_row_with_a_bad_filter_byte_stops_the_count() -> None:
    """libpng stops at a row whose filter type is not one (what garbage inflates to)."""
    data = damaged_corpus.generate()["png_rgb/intact"]
    header = png_chunks.parse_header(data)
    stride = header.row_bytes(header.width) + 1
    rows = bytearray(zlib.decompress(damaged_corpus.idat_stream(data)))
    rows[40 * stride] = 9  # row 40's filter byte
    bad = damaged_corpus.with_idat_stream(data, zlib.compress(bytes(rows)))
    found = png_stream.read(bad, header, max_chunks=None, max_inflate=None)
    assert (found.complete, found.rows) == (False, 40)


def test_a_cut_stream_counts_its_whole_rows() -> None:
    found = _read("png_rgb/cut_50%")
    assert not found.complete
    assert 0 < found.rows < found.height
