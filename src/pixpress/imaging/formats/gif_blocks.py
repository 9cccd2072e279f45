"""GIF block structure, read without decoding: how many frames, counted before libvips is asked.

libvips (libnsgif) keeps a record per frame while it counts them, about 95 bytes each: a 25 MB upload
of 1x1 frames is a million frames and 108 MB. Counting here first lets the frame limit refuse it.

Each block's data is a chain of sub-blocks of at most 255 bytes. Encoders write runs of sub-blocks of
one size (255 but the last): a run is stepped over 64 sub-blocks at a time by a strided slice in C,
so a real file costs a few Python steps per frame. A crafted file of sub-blocks of changing sizes
costs one step each; the walk stops past a step budget that grows with the frame limit, or past
MAX_SUB_BLOCKS sub-blocks (libnsgif walks them all too: 12 million 1-byte sub-blocks took it 35 ms).
"""

from __future__ import annotations

from pixpress.errors import ImageTooLarge, InvalidImage

TRAILER = 0x3B
EXTENSION = 0x21
IMAGE = 0x2C
# A 25 MB GIF of 255-byte sub-blocks is 100,000 sub-blocks and about 1,600 steps, plus four or five
# steps per frame (its control extension, its descriptor, the size changes in its data).
BASE_STEPS = 10_000
STEPS_PER_FRAME = 16
MAX_SUB_BLOCKS = 1_000_000
MIN_CODE_SIZE, MAX_CODE_SIZE = 1, 8  # LZW code sizes browsers draw a first frame with (the spec says 2)
_FIRST_CODES = 64  # clear codes read before the first pixel's, at most
_RUN = 64  # sub-blocks of one size stepped over per slice


def count_frames(data: bytes, *, max_frames: int) -> int:
    """Frames (image descriptors) up to the trailer. Raises ImageTooLarge past `max_frames`,
    InvalidImage when truncated before the first pixel of the first frame, when that frame's LZW code
    size is one browsers draw nothing of, or past its step budget (about 0.3 microsecond a step)."""
    flags = data[10]
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)  # after the global colour table
    frames = 0
    budget = _Budget(BASE_STEPS + STEPS_PER_FRAME * max_frames)
    while True:
        budget.step(0)
        if pos >= len(data) and frames:
            return frames  # the trailer is missing after whole frames: decoders show them
        kind = _at(data, pos)
        if kind == EXTENSION:
            pos = _skip_sub_blocks(data, pos + 2, budget)  # after the label
        elif kind == IMAGE:
            frames += 1
            if frames > max_frames:
                raise ImageTooLarge(
                    f"The animation has more than {max_frames} frames; the limit is {max_frames}.",
                    details={"frames": frames},
                )
            packed = _at(data, pos + 9)
            local_table = 3 << ((packed & 7) + 1) if packed & 0x80 else 0
            code_size_at = pos + 10 + local_table
            if frames == 1:
                _check_first_code_size(_at(data, code_size_at))
            area = int.from_bytes(data[pos + 5 : pos + 9], "little")  # width and height, 0 when either is
            pos = _skip_sub_blocks(data, code_size_at + 1, budget)
            if pos > len(data):
                # Cut inside this frame's data: browsers show the frames before it and this one as far
                # as it goes (the worker draws it: gif_partial.py). A first frame cut before its first
                # pixel shows nothing.
                if frames == 1 and not (area and first_pixel(data, code_size_at)):
                    raise InvalidImage(
                        "The GIF file is truncated (before the first pixel of its first frame)."
                    )
                return frames
        elif kind == TRAILER or _ends_with_trailer(data):
            # Some writers leave junk after the last frame; decoders stop there, and so does this.
            return frames
        else:
            raise InvalidImage("The GIF file is truncated (no trailer).")


def _check_first_code_size(size: int) -> None:
    """Browsers draw nothing of a first frame whose LZW code size is over 8 (its colour indices would
    not fit a byte); one of 0 draws a few stray pixels of the first row (not the image)."""
    if not MIN_CODE_SIZE <= size <= MAX_CODE_SIZE:
        raise InvalidImage(
            f"The GIF file is corrupt (its first frame's LZW code size is {size}).",
            details={"code_size": size},
        )


def first_pixel(data: bytes, code_size_at: int) -> bool:
    """Whether a frame's LZW data (its code size at `code_size_at`, then sub-blocks) decodes to at least
    one pixel before `data` ends: its first code other than a clear code is a colour index. Reads a few
    codes only (each one byte or two): bounded whatever the bytes."""
    size = data[code_size_at]
    width, clear = size + 1, 1 << size
    stream = _first_bytes(data, code_size_at + 1, _FIRST_CODES * 2)
    bits = int.from_bytes(stream, "little")
    for index in range(min(_FIRST_CODES, len(stream) * 8 // width)):
        code = bits >> (index * width) & ((1 << width) - 1)
        if code != clear:
            return code < clear  # the end code, or a code not in the table yet: nothing drawn
    return False


def _first_bytes(data: bytes, pos: int, limit: int) -> bytes:
    """Up to `limit` bytes of the sub-block chain starting at `pos` (its data without the lengths)."""
    out = b""
    while len(out) < limit and pos < len(data) and data[pos]:
        out += data[pos + 1 : pos + 1 + data[pos]]
        pos += data[pos] + 1
    return out[:limit]


class _Budget:
    def __init__(self, max_steps: int) -> None:
        self.steps_left = max_steps
        self.sub_blocks = 0

    def step(self, sub_blocks: int) -> None:
        self.steps_left -= 1
        self.sub_blocks += sub_blocks
        if self.steps_left < 0 or self.sub_blocks > MAX_SUB_BLOCKS:
            raise InvalidImage("The GIF file is corrupt (too many blocks).")


def _skip_sub_blocks(data: bytes, pos: int, budget: _Budget) -> int:
    """The offset after the chain of sub-blocks starting at `pos` (after its zero terminator); past the
    end of `data` when the chain runs past it."""
    while True:
        if pos >= len(data):
            return pos  # the file ends where the chain's terminator would be (== len), or inside it
        size = _at(data, pos)
        if size == 0:
            return pos + 1
        stride = size + 1
        run = data[pos : pos + stride * _RUN : stride]
        same = len(run) - len(run.lstrip(run[:1]))  # consecutive sub-blocks of this size
        budget.step(same)
        pos += stride * same


def _at(data: bytes, pos: int) -> int:
    if pos >= len(data):
        raise InvalidImage("The GIF file is truncated.")
    return data[pos]


def _ends_with_trailer(data: bytes) -> bool:
    """The last byte other than zero padding is the trailer (searched in C, without a copy)."""
    last = data.rfind(b"\x3b")
    return last >= 0 and data.count(b"\x00", last + 1) == len(data) - last - 1
