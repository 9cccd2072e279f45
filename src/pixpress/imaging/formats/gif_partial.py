"""The first frame of a damaged GIF as a browser shows it: the worker's answer after a strict decode failed.

Chromium decodes a GIF as it arrives and draws each pixel as its LZW code is read. When the data stops
(a file cut short) or an LZW code is wrong (a damaged sub-block), it keeps what it drew and leaves the
rest of the frame transparent. An interlaced frame is drawn in four passes, each row repeated down
over the rows a later pass fills in (8, 4, 2, then 1 rows), so a frame cut in its first pass already
covers the whole height in coarse stripes; a row the data stops inside is drawn as far as it goes.
libnsgif (libvips) gives up on a wrong code and repeats no row, so the frame is decoded here.

Pillow's LZW decoder stops where Chromium's does (it too writes each pixel as it reads it, and fails on
the first code that is not in the table), so decoding twice into canvases filled with two different
values tells the pixels written from the others, as jpeg_partial does for JPEG. Measured against
Chromium on the damaged corpus (tests/imaging/oracle): every GIF cut or damaged in its first frame.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image

from pixpress.errors import InvalidImage
from pixpress.imaging.formats.gif_blocks import EXTENSION, IMAGE, MAX_CODE_SIZE, MIN_CODE_SIZE

CONTROL = 0xF9  # graphic control extension: the frame's transparent colour
# Interlaced rows: (first row, step, rows the pass repeats each row over), pass by pass.
PASSES = ((0, 8, 8), (4, 8, 4), (2, 4, 2), (1, 2, 1))
_ERRORS = (OSError, ValueError)


@dataclass(frozen=True)
class FirstImage:
    """Where the first frame is and how it is coded (read from its descriptor, nothing decoded)."""

    canvas_width: int  # the screen, grown to hold the frame (as browsers and libvips do)
    canvas_height: int
    left: int
    top: int
    width: int
    height: int
    interlaced: bool
    literal_width: int  # the LZW minimum code size
    palette: bytes  # RGB triplets: the frame's own table, or the global one
    transparent: int | None  # the colour index shown transparent, from the control extension
    data_at: int  # offset of the first sub-block of LZW data


@dataclass(frozen=True)
class ShownFrame:
    pixels: np.ndarray  # canvas_height x canvas_width x 4, RGBA
    decoded: int  # pixels of the frame the data reached, in the order they are coded
    total: int

    @property
    def complete(self) -> bool:
        return self.decoded >= self.total


def locate(data: bytes) -> FirstImage:
    """The first frame's descriptor. Raises InvalidImage when the file stops before it."""
    try:
        return _locate(data)
    except IndexError as exc:
        raise InvalidImage("The GIF file is truncated (before its first frame).") from exc


def _locate(data: bytes) -> FirstImage:
    screen_width, screen_height = _u16(data, 6), _u16(data, 8)
    flags = data[10]
    palette_at = 13
    pos = palette_at + (_table_size(flags) if flags & 0x80 else 0)
    palette = data[palette_at:pos]
    transparent = None
    # Extensions before the first frame: their sub-blocks stepped over one by one (a real file has a
    # few; probe's gif_blocks walk bounded the file before it reached the worker).
    while data[pos] == EXTENSION:
        label = data[pos + 1]
        if label == CONTROL and data[pos + 2] >= 4:
            transparent = data[pos + 6] if data[pos + 3] & 1 else None
        pos += 2
        while data[pos]:
            pos += data[pos] + 1
        pos += 1
    if data[pos] != IMAGE:
        raise InvalidImage("The GIF file has no frame.")
    left, top, width, height = (_u16(data, pos + at) for at in (1, 3, 5, 7))
    packed = data[pos + 9]
    pos += 10
    if packed & 0x80:
        palette = data[pos : pos + _table_size(packed)]
        pos += _table_size(packed)
    literal_width = data[pos]
    return FirstImage(
        canvas_width=max(screen_width, left + width),
        canvas_height=max(screen_height, top + height),
        left=left,
        top=top,
        width=width,
        height=height,
        interlaced=bool(packed & 0x40),
        literal_width=literal_width,
        palette=palette,
        transparent=transparent,
        data_at=pos + 1,
    )


def shown(data: bytes, image: FirstImage) -> ShownFrame:
    """The canvas with the first frame as far as its data decodes (decoded == 0: nothing drawn).
    The caller checks the canvas against its limits first (4 bytes a pixel, 2 more a frame pixel)."""
    total = image.width * image.height
    canvas = np.zeros((image.canvas_height, image.canvas_width, 4), dtype=np.uint8)
    if not total or not MIN_CODE_SIZE <= image.literal_width <= MAX_CODE_SIZE:
        return ShownFrame(canvas, 0, total)
    indices, written = _decode(data, image)
    decoded = int(np.count_nonzero(written))
    # An index past the colour table (damaged data decodes to any) is opaque black, as Chromium shows it.
    colours = np.zeros((256, 4), dtype=np.uint8)
    table = np.frombuffer(image.palette[: len(image.palette) // 3 * 3], dtype=np.uint8).reshape(-1, 3)
    colours[: len(table), :3] = table[:256]
    colours[:, 3] = 255
    if image.transparent is not None:
        colours[image.transparent, 3] = 0
    frame = canvas[image.top : image.top + image.height, image.left : image.left + image.width]
    _draw(frame, colours[indices], decoded=decoded, interlaced=image.interlaced)
    return ShownFrame(canvas, decoded, total)


def _decode(data: bytes, image: FirstImage) -> tuple[np.ndarray, np.ndarray]:
    """Colour indices of the frame and which of them the data reached (Pillow's LZW decoder, run into
    canvases filled with 0 and 255: a pixel it wrote is the same in both)."""
    size = (image.width, image.height)
    stream = _lzw_blocks(data, image.data_at)
    canvases = []
    for fill in (0, 255):
        canvas = Image.new("L", size, fill)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                decoder = Image._getdecoder("L", "gif", (image.literal_width, image.interlaced, -1))
            decoder.setimage(canvas.im, (0, 0, *size))
            try:
                decoder.decode(stream)
            finally:
                decoder.cleanup()
        except _ERRORS:
            pass  # a broken stream: the pixels written before it stay
        canvases.append(np.asarray(canvas))
    return canvases[0], canvases[0] == canvases[1]


def _lzw_blocks(data: bytes, pos: int) -> bytes:
    """The frame's sub-blocks from `pos`, the last one cut to the bytes there are: Chromium decodes a
    sub-block the file stops inside as far as it goes, Pillow only a whole one."""
    start = last = pos
    while pos < len(data) and data[pos]:
        last = pos
        pos += data[pos] + 1
    if pos <= len(data):
        return data[start:pos]  # whole, or cut right after a sub-block
    return data[start:last] + bytes([len(data) - last - 1]) + data[last + 1 :]


def _draw(frame: np.ndarray, pixels: np.ndarray, *, decoded: int, interlaced: bool) -> None:
    """Into `frame` (transparent), the first `decoded` pixels in coding order, interlaced rows repeated
    down as Chromium repeats them while the later passes are missing."""
    height, width = frame.shape[:2]
    whole, part = divmod(decoded, width)
    if not interlaced:
        frame[:whole] = pixels[:whole]
        if whole < height and part:
            frame[whole, :part] = pixels[whole, :part]
        return
    done = 0
    for first, step, repeat in PASSES:
        for row in range(first, height, step):
            if done == whole:
                if part:
                    frame[row, :part] = pixels[row, :part]
                return
            frame[row : row + repeat] = pixels[row]
            done += 1


def _table_size(flags: int) -> int:
    return 3 << ((flags & 7) + 1)


def _u16(data: bytes, at: int) -> int:
    return data[at] | data[at + 1] << 8
