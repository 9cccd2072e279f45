"""How many rows of a damaged JPEG a browser shows: the worker's answer after a strict decode failed.

Chromium decodes a JPEG as it arrives (libjpeg-turbo with a suspending source): a baseline JPEG cut
short shows the rows libjpeg could output before the data ran out, and nothing below them (the page
shows through). libvips, reading the whole file, pretends the image ended there and fills the missing
blocks with grey. So the rows are counted the way Chromium gets them: Pillow's JPEG decoder suspends
the same way and leaves rows it never reached untouched, so decoding twice into canvases filled with
two different values tells the written rows from the others (measured against Chromium on the damaged
corpus, tests/imaging/oracle: the same row count for every cut baseline JPEG).

A progressive JPEG whose first scan is whole is shown whole, at the refinement its data reaches (the
coefficients read so far; the later scans' missing ones stay zero): every row.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image

from pixpress.imaging.formats.jpeg_segments import SOS, JpegHeader

PROGRESSIVE_SOF = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
_ERRORS = (OSError, SyntaxError, ValueError, EOFError)


def visible_rows(data: bytes, header: JpegHeader) -> int:
    """Rows (of the stored image, before EXIF orientation) a browser shows; 0 when none."""
    progressive = any(segment.marker in PROGRESSIVE_SOF for segment in header.segments)
    if progressive and data.find(bytes([0xFF, SOS]), header.sos.end) >= 0:
        return header.height
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's bomb warning: pixpress's own limits apply
            return _rows_written(data)
    except _ERRORS:
        return 0


def _rows_written(data: bytes) -> int:
    with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
        decoder_name, extents, offset, args = image.tile[0]
        canvases = []
        for fill in (0, 255):
            canvas = Image.new(image.mode, image.size, (fill,) * len(image.getbands()))
            decoder = Image._getdecoder(image.mode, decoder_name, args, image.decoderconfig)
            decoder.setimage(canvas.im, extents)
            try:
                decoder.decode(data[offset:])
            finally:
                decoder.cleanup()
            canvases.append(np.asarray(canvas))
    same_rows = (canvases[0] == canvases[1]).reshape(image.size[1], -1).all(axis=1)
    return int(same_rows.argmin()) if not same_rows.all() else image.size[1]
