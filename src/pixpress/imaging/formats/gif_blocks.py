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
_RUN = 64  # sub-blocks of one size stepped over per slice


def count_frames(data: bytes, *, max_frames: int) -> int:
    """Frames (image descriptors) up to the trailer. Raises ImageTooLarge past `max_frames`,
    InvalidImage when truncated or past its step budget (about 0.3 microsecond a step)."""
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
            pos = _skip_sub_blocks(data, pos + 10 + local_table + 1, budget)  # after the LZW code size
            if pos > len(data):
                # Cut inside this frame's data: browsers show the frames before it and this one as far
                # as it goes; the first frame cut short is refused (its missing rows would be shown).
                if frames == 1:
                    raise InvalidImage("The GIF file is truncated (inside its first frame).")
                return frames
        elif kind == TRAILER or _ends_with_trailer(data):
            # Some writers leave junk after the last frame; decoders stop there, and so does this.
            return frames
        else:
            raise InvalidImage("The GIF file is truncated (no trailer).")


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
